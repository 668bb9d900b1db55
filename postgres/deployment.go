package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

const deploymentColumns = `tenant_id, id, agent_id, status, version, changes, error, reason, created_at, updated_at`

// ReportDeployment applies a deployment report for r.TenantID, which must
// exist (see checkTenant), in one transaction: the
// deployment's new state (herald.ApplyDeployment) and a history row, its
// deployment.* event, and then its agent's report
// (herald.DeploymentReport.AgentReport) through the code path of
// ReportAgentStatus, with the agent events. The result lists the
// deployment event first.
//
// The deployment's row is locked before the agent's, always in that order,
// so that reports for one deployment apply one at a time and reports never
// wait on each other in a cycle.
func (s *DB) ReportDeployment(ctx context.Context, r *herald.DeploymentReport) (*herald.ReportResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if len(r.Changes) > 0 && !json.Valid(r.Changes) {
		return nil, herald.Errorf(herald.EINVALID, "changes: must be JSON")
	}
	now := s.reportTime(r.Now)
	var res *herald.ReportResult
	err := s.inTx(ctx, "report deployment", func(tx pgx.Tx) error {
		if err := checkTenant(ctx, tx, string(r.TenantID)); err != nil {
			return err
		}
		d, err := writeDeployment(ctx, tx, r, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deployment_history
			(tenant_id, deployment_id, status, version, changes, error, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			string(d.TenantID), d.ID, r.Status, r.Version, jsonArg(r.Changes), escapeText(r.Error), escapeText(r.Reason), now); err != nil {
			return fmt.Errorf("insert deployment history: %w", err)
		}
		a, agentSpecs, err := applyAgentReport(ctx, tx, r.AgentReport(), now)
		if err != nil {
			return err
		}
		specs := append([]herald.EventSpec{herald.DeploymentEvent(r)}, agentSpecs...)
		evs, err := s.publishSpecs(ctx, tx, r.TenantID, specs, now)
		res = &herald.ReportResult{Agent: a, Deployment: d, Events: evs}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// writeDeployment takes the report's deployment row, locked until tx ends,
// and writes its new state, as writeAgent does for agents.
func writeDeployment(ctx context.Context, tx pgx.Tx, r *herald.DeploymentReport, now time.Time) (*herald.Deployment, error) {
	for range 2 {
		old, err := scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments
			WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, string(r.TenantID), r.DeploymentID))
		if err == nil {
			d := herald.ApplyDeployment(old, r, now)
			d.TenantID = r.TenantID
			if _, err := tx.Exec(ctx, `UPDATE deployments SET agent_id = $3, status = $4, version = $5,
				changes = $6, error = $7, reason = $8, updated_at = $9 WHERE tenant_id = $1 AND id = $2`,
				string(d.TenantID), d.ID, d.AgentID, d.Status, d.Version, jsonArg(d.Changes), escapeText(d.Error),
				escapeText(d.Reason), d.UpdatedAt); err != nil {
				return nil, fmt.Errorf("update deployment: %w", err)
			}
			return d, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("lock deployment: %w", err)
		}
		d := herald.ApplyDeployment(nil, r, now)
		d.TenantID = r.TenantID
		var inserted bool
		err = tx.QueryRow(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, id) DO NOTHING RETURNING true`,
			deploymentArgs(d)...).Scan(&inserted)
		if err == nil {
			return d, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("insert deployment: %w", err)
		}
	}
	return nil, fmt.Errorf("lock deployment %q: inserted meanwhile but not found", r.DeploymentID)
}

// deploymentArgs are the values of deploymentColumns for d.
func deploymentArgs(d *herald.Deployment) []any {
	return []any{string(d.TenantID), d.ID, d.AgentID, d.Status, d.Version, jsonArg(d.Changes), escapeText(d.Error),
		escapeText(d.Reason), d.CreatedAt, d.UpdatedAt}
}

// Deployment returns one deployment of the owner of ref.Tenancy (see
// herald.Tenancy.Owner) with its history, oldest first.
func (s *DB) Deployment(ctx context.Context, ref herald.Ref) (*herald.Deployment, error) {
	owner, ok := ref.Tenancy.Owner()
	if !ok {
		return nil, herald.Errorf(herald.ENOTFOUND, "deployment %q not found", ref.ID)
	}
	d, err := scanDeployment(s.pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE tenant_id = $1 AND id = $2`, owner, ref.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "deployment %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select deployment: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT status, version, changes, error, reason, at
		FROM deployment_history WHERE tenant_id = $1 AND deployment_id = $2 ORDER BY seq`, owner, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("select deployment history: %w", err)
	}
	d.History, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (herald.DeploymentChange, error) {
		var (
			c       herald.DeploymentChange
			changes *string
		)
		err := row.Scan(&c.Status, &c.Version, &changes, freeText(&c.Error), freeText(&c.Reason), &c.At)
		if changes != nil {
			c.Changes = json.RawMessage(*changes)
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("select deployment history: %w", err)
	}
	return d, nil
}

// ListDeployments returns a page of the deployments within f.Tenancy, most
// recently updated first, and the total (see pageTotal).
func (s *DB) ListDeployments(ctx context.Context, f herald.DeploymentFilter) ([]*herald.Deployment, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	if f.AgentID != "" {
		c.eq("agent_id", f.AgentID)
	}
	if f.Status != "" {
		c.eq("status", f.Status)
	}
	return listPage(ctx, s, pageQuery{table: "deployments", cols: deploymentColumns, where: c.where(), args: c.args,
		order: "updated_at DESC, id DESC, tenant_id DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Deployment, error) {
		return scanDeployment(row, total)
	})
}

// scanDeployment scans a row holding deploymentColumns, then those of
// after. The changes column is read as its text.
func scanDeployment(row scanner, after ...any) (*herald.Deployment, error) {
	var (
		d       herald.Deployment
		changes *string
	)
	if err := row.Scan(append([]any{&d.TenantID, &d.ID, &d.AgentID, &d.Status, &d.Version, &changes, freeText(&d.Error), freeText(&d.Reason),
		&d.CreatedAt, &d.UpdatedAt}, after...)...); err != nil {
		return nil, err
	}
	if changes != nil {
		d.Changes = json.RawMessage(*changes)
	}
	return &d, nil
}
