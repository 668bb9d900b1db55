package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
)

const deploymentColumns = `tenant_id, id, agent_id, status, version, changes, error, reason, created_at, updated_at`

// ReportDeployment applies a deployment report of r.TenantID, which must
// exist, in one write: the
// deployment's new state (herald.ApplyDeployment) and a history row, its
// deployment.* event, and then its agent's report
// (herald.DeploymentReport.AgentReport) through the code path of
// ReportAgentStatus, with the agent events. The result lists the
// deployment event first.
func (s *DB) ReportDeployment(ctx context.Context, r *herald.DeploymentReport) (*herald.ReportResult, error) {
	if err := validateDeployment(r); err != nil {
		return nil, err
	}
	now := s.reportTime(r.Now)
	var res *herald.ReportResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, r.TenantID); err != nil {
			return effects{}, err
		}
		old, err := scanDeployment(tx.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments
			WHERE tenant_id = ? AND id = ?`, string(r.TenantID), r.DeploymentID))
		if errors.Is(err, sql.ErrNoRows) {
			old = nil
		} else if err != nil {
			return effects{}, fmt.Errorf("select deployment: %w", err)
		}
		d := herald.ApplyDeployment(old, r, now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, id) DO UPDATE SET agent_id = excluded.agent_id, status = excluded.status,
				version = excluded.version, changes = excluded.changes, error = excluded.error,
				reason = excluded.reason, updated_at = excluded.updated_at`,
			string(d.TenantID), d.ID, d.AgentID, d.Status, d.Version, jsonText(d.Changes), d.Error, d.Reason,
			micros(d.CreatedAt), micros(d.UpdatedAt)); err != nil {
			return effects{}, fmt.Errorf("save deployment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_history
			(tenant_id, deployment_id, status, version, changes, error, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			string(d.TenantID), d.ID, r.Status, r.Version, jsonText(r.Changes), r.Error, r.Reason, micros(now)); err != nil {
			return effects{}, fmt.Errorf("insert deployment history: %w", err)
		}
		ar := r.AgentReport()
		a, agentSpecs, err := applyAgentReport(ctx, tx, ar, now)
		if err != nil {
			return effects{}, err
		}
		specs := append([]herald.EventSpec{herald.DeploymentEvent(r)}, agentSpecs...)
		evs, jobs, err := s.publishSpecs(ctx, tx, r.TenantID, specs, now)
		if err != nil {
			return effects{}, err
		}
		res = &herald.ReportResult{Agent: a, Deployment: d, Events: evs}
		return effects{jobs: jobs}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// validateDeployment is r.Validate, and checks that changes is JSON.
func validateDeployment(r *herald.DeploymentReport) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if len(r.Changes) > 0 && !json.Valid(r.Changes) {
		return herald.Errorf(herald.EINVALID, "changes: must be JSON")
	}
	return nil
}

// Deployment returns one deployment of ref.Tenancy's owner (see
// herald.Tenancy.Owner) with its history, oldest first.
func (s *DB) Deployment(ctx context.Context, ref herald.Ref) (*herald.Deployment, error) {
	id := ref.ID
	tenant, ok := ref.Tenancy.Owner()
	if !ok {
		return nil, herald.Errorf(herald.ENOTFOUND, "deployment %q not found", id)
	}
	d, err := scanDeployment(s.rdb.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE tenant_id = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "deployment %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select deployment: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT status, version, changes, error, reason, at
		FROM deployment_history WHERE tenant_id = ? AND deployment_id = ? ORDER BY seq`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("select deployment history: %w", err)
	}
	defer rows.Close()
	d.History = []herald.DeploymentChange{}
	for rows.Next() {
		var (
			c       herald.DeploymentChange
			changes sql.NullString
			at      int64
		)
		if err := rows.Scan(&c.Status, &c.Version, &changes, &c.Error, &c.Reason, &at); err != nil {
			return nil, fmt.Errorf("scan deployment history: %w", err)
		}
		if changes.Valid {
			c.Changes = json.RawMessage(changes.String)
		}
		c.At = fromMicros(at)
		d.History = append(d.History, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select deployment history: %w", err)
	}
	return d, nil
}

// ListDeployments returns a page of deployments within f.Tenancy, most
// recently updated first, and the total.
func (s *DB) ListDeployments(ctx context.Context, f herald.DeploymentFilter) ([]*herald.Deployment, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	if f.AgentID != "" {
		q.and("agent_id = ?", f.AgentID)
	}
	if f.Status != "" {
		q.and("status = ?", f.Status)
	}
	return listPage(ctx, s, pageQuery{table: "deployments", cols: deploymentColumns, where: q.String(), args: q.args,
		order: "updated_at DESC, id DESC, tenant_id DESC", skip: skip, limit: limit}, scanDeployment)
}

func scanDeployment(row scanner) (*herald.Deployment, error) {
	var (
		d                herald.Deployment
		changes          sql.NullString
		created, updated int64
	)
	if err := row.Scan(&d.TenantID, &d.ID, &d.AgentID, &d.Status, &d.Version, &changes, &d.Error, &d.Reason,
		&created, &updated); err != nil {
		return nil, err
	}
	if changes.Valid {
		d.Changes = json.RawMessage(changes.String)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

// jsonText is a JSON value for a nullable text column: NULL when empty.
func jsonText(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
