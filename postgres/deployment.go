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

const deploymentColumns = `id, agent_id, status, version, changes, error, reason, created_at, updated_at`

// ReportDeployment applies a deployment report in one transaction: the
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
		d, err := writeDeployment(ctx, tx, r, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deployment_history
			(deployment_id, status, version, changes, error, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			d.ID, r.Status, r.Version, jsonArg(r.Changes), escapeText(r.Error), escapeText(r.Reason), now); err != nil {
			return fmt.Errorf("insert deployment history: %w", err)
		}
		a, agentSpecs, err := applyAgentReport(ctx, tx, r.AgentReport(), now)
		if err != nil {
			return err
		}
		specs := append([]herald.EventSpec{herald.DeploymentEvent(r)}, agentSpecs...)
		evs, err := s.publishSpecs(ctx, tx, specs, now)
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
			WHERE id = $1 FOR NO KEY UPDATE`, r.DeploymentID))
		if err == nil {
			d := herald.ApplyDeployment(old, r, now)
			if _, err := tx.Exec(ctx, `UPDATE deployments SET agent_id = $2, status = $3, version = $4,
				changes = $5, error = $6, reason = $7, updated_at = $8 WHERE id = $1`,
				d.ID, d.AgentID, d.Status, d.Version, jsonArg(d.Changes), escapeText(d.Error), escapeText(d.Reason), d.UpdatedAt); err != nil {
				return nil, fmt.Errorf("update deployment: %w", err)
			}
			return d, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("lock deployment: %w", err)
		}
		d := herald.ApplyDeployment(nil, r, now)
		var inserted bool
		err = tx.QueryRow(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING RETURNING true`,
			d.ID, d.AgentID, d.Status, d.Version, jsonArg(d.Changes), escapeText(d.Error), escapeText(d.Reason), d.CreatedAt, d.UpdatedAt).Scan(&inserted)
		if err == nil {
			return d, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("insert deployment: %w", err)
		}
	}
	return nil, fmt.Errorf("lock deployment %q: inserted meanwhile but not found", r.DeploymentID)
}

// Deployment returns one deployment with its history, oldest first.
func (s *DB) Deployment(ctx context.Context, id string) (*herald.Deployment, error) {
	d, err := scanDeployment(s.pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "deployment %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select deployment: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT status, version, changes, error, reason, at
		FROM deployment_history WHERE deployment_id = $1 ORDER BY seq`, id)
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

// ListDeployments returns a page of deployments, most recently updated
// first, and the total (see pageTotal).
func (s *DB) ListDeployments(ctx context.Context, f herald.DeploymentFilter) ([]*herald.Deployment, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	where, args := "WHERE true", []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND %s = $%d", cond, len(args))
	}
	if f.AgentID != "" {
		add("agent_id", f.AgentID)
	}
	if f.Status != "" {
		add("status", f.Status)
	}
	return listPage(ctx, s, pageQuery{table: "deployments", cols: deploymentColumns, where: where, args: args,
		order: "updated_at DESC, id DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Deployment, error) {
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
	if err := row.Scan(append([]any{&d.ID, &d.AgentID, &d.Status, &d.Version, &changes, freeText(&d.Error), freeText(&d.Reason),
		&d.CreatedAt, &d.UpdatedAt}, after...)...); err != nil {
		return nil, err
	}
	if changes != nil {
		d.Changes = json.RawMessage(*changes)
	}
	return &d, nil
}
