package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlcol"
	"github.com/heraldhq/herald/queue"
)

// Import stores exported records as they are, in one transaction. Rows
// already present keep their values (INSERT OR IGNORE), and chunks of log
// lines and metric points store only the rows past those their agent
// holds (see herald.ImportParams), so an import can be run again; every
// newly stored pending delivery, queued invocation and finished invocation
// with a pending reply gets a queued job. Every row keeps its tenant,
// which must be stored already (its tenant record comes first). It counts
// the records stored and those present already.
func (s *DB) Import(ctx context.Context, p herald.ImportParams) (herald.ImportResult, error) {
	defer s.eventTypes.Drop() // after the commit: reads see the catalogue imported
	var result herald.ImportResult
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return herald.ImportResult{}, fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback()
	var jobs []river.InsertManyParams
	logs := storedRows{count: `SELECT count(*) FROM agent_logs WHERE tenant_id = ? AND agent_id = ?`}
	points := storedRows{count: `SELECT count(*) FROM metric_points WHERE tenant_id = ? AND agent_id = ?`}
	known := map[herald.TenantID]bool{"": true} // tenants checked to exist
	// A record was stored when the transaction's count of changed rows
	// (total_changes) grew with it.
	changes := func() (n int64, err error) {
		err = tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&n)
		return n, err
	}
	before, err := changes()
	if err != nil {
		return herald.ImportResult{}, fmt.Errorf("count changes: %w", err)
	}
	for _, r := range p.Records {
		if tenant := r.TenantID(); !known[tenant] {
			if err := checkTenant(ctx, tx, tenant); err != nil {
				return herald.ImportResult{}, fmt.Errorf("import record: %w", err)
			}
			known[tenant] = true
		}
		switch {
		case r.Tenant != nil:
			err = importTenant(ctx, tx, r.Tenant)
		case r.EventType != nil:
			err = importEventType(ctx, tx, r.EventType)
		case r.WebhookSecrets != nil:
			err = importWebhookSecrets(ctx, tx, r.WebhookSecrets)
		case r.Webhook != nil:
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO webhooks (`+webhookColumns+`)
				VALUES (`+webhookPlaceholders+`)`, webhookArgs(r.Webhook)...)
		case r.APIKey != nil:
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				apiKeyArgs(&r.APIKey.APIKey, r.APIKey.Hash)...)
		case r.Event != nil:
			e := r.Event
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO events (tenant_id, id, type, data, created_at, ordering_key,
				agent_id) VALUES (?, ?, ?, ?, ?, ?, ?)`, string(e.TenantID), e.ID, e.Type, string(e.Data), micros(e.Created),
				e.OrderingKey, e.AgentID())
		case r.Delivery != nil:
			var queued bool
			queued, err = importDelivery(ctx, tx, r.Delivery)
			if queued {
				jobs = append(jobs, queue.DeliveryJob(r.Delivery.ID, time.Time{}))
			}
		case r.Agent != nil:
			err = importAgent(ctx, tx, r.Agent)
		case r.AgentLogs != nil:
			err = importLogs(ctx, tx, &logs, r.AgentLogs)
		case r.MetricPoints != nil:
			err = importPoints(ctx, tx, &points, r.MetricPoints)
		case r.Deployment != nil:
			err = importDeployment(ctx, tx, r.Deployment)
		case r.Alert != nil:
			err = importAlert(ctx, tx, r.Alert)
		default:
			var job *river.InsertManyParams
			job, err = importInbound(ctx, tx, r)
			if job != nil {
				jobs = append(jobs, *job)
			}
		}
		if err != nil {
			return herald.ImportResult{}, fmt.Errorf("import record: %w", err)
		}
		after, err := changes()
		if err != nil {
			return herald.ImportResult{}, fmt.Errorf("count changes: %w", err)
		}
		if after > before {
			result.Stored++
		} else {
			result.Present++
		}
		before = after
	}
	if len(jobs) > 0 {
		if _, err := s.river.InsertManyTx(ctx, tx, jobs); err != nil {
			return herald.ImportResult{}, fmt.Errorf("queue imported deliveries and invocations: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return herald.ImportResult{}, fmt.Errorf("commit import: %w", err)
	}
	s.driver.wake(jobs)
	return result, nil
}

// importTenant stores a tenant unless it is present.
func importTenant(ctx context.Context, tx *sql.Tx, t *herald.Tenant) error {
	v := *t
	if err := v.Validate(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tenants (`+tenantColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		v.ID, v.Name, string(v.Metadata), micros(v.CreatedAt), micros(v.UpdatedAt), retentionSeconds(v.Retention)); err != nil {
		return fmt.Errorf("insert tenant: %w", err)
	}
	return nil
}

// importDelivery stores a delivery and its attempts, and reports whether it
// is a newly stored pending one, which needs a job. Its event is of
// d.EventTenantID, or of the delivery's own tenant when that is empty (a
// tenant's webhooks get its events only).
func importDelivery(ctx context.Context, tx *sql.Tx, d *herald.ExportedDelivery) (bool, error) {
	eventTenant := cmp.Or(d.EventTenantID, d.TenantID)
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO deliveries (id, tenant_id, webhook_id, event_tenant_id,
		event_id, event_type, webhook_name, status, attempts, response_status_code, error_message, created_at,
		last_attempt_at, next_attempt_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, string(d.TenantID), d.WebhookID, string(eventTenant), d.EventID, d.Event, d.WebhookName, d.Status,
		d.Attempts, d.ResponseStatusCode, d.ErrorMessage, micros(d.CreatedAt), microsPtr(d.LastAttemptAt),
		microsPtr(d.NextAttemptAt), microsPtr(d.DeliveredAt))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, a := range d.AttemptList {
		headers, _ := json.Marshal(nonNilHeader(a.ResponseHeaders))
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO attempts (id, tenant_id, webhook_id, delivery_id, number,
			started_at, duration_ms, status_code, response_headers, response_body, error, success)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, string(d.TenantID), d.WebhookID, d.ID, a.Number, micros(a.StartedAt), a.DurationMS, a.StatusCode, string(headers), a.ResponseBody, a.Error, a.Success); err != nil {
			return false, err
		}
	}
	return d.Status == herald.DeliveryPending, nil
}

// importAgent stores an agent's state unless it is present.
func importAgent(ctx context.Context, tx *sql.Tx, a *herald.Agent) error {
	last, err := json.Marshal(nonNilMetrics(a.LastMetrics))
	if err != nil {
		return fmt.Errorf("encode last metrics: %w", err)
	}
	rt, err := runtimeText(a.Runtime)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO agents (`+agentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(a.TenantID), a.ID, a.Status, a.NodeID, a.Error, jsonText(a.Metadata), string(last), microsPtr(a.LastMetricsAt),
		micros(a.LastSeen), micros(a.StatusChangedAt), micros(a.CreatedAt), micros(a.UpdatedAt), a.Name, rt); err != nil {
		return fmt.Errorf("insert agent: %w", err)
	}
	return nil
}

// storedRows counts, per agent (of a tenant), the log lines (or metric
// points) it holds during one import, counting them with the count query
// once.
type storedRows struct {
	count string
	n     map[[2]string]int
}

// skip returns how many leading rows of a chunk of n rows exported at
// offset the agent holds already, and counts the rest as stored.
func (c *storedRows) skip(ctx context.Context, tx *sql.Tx, tenant herald.TenantID, agentID string, offset, n int) (int, error) {
	key := [2]string{string(tenant), agentID}
	stored, ok := c.n[key]
	if !ok {
		if err := tx.QueryRowContext(ctx, c.count, key[0], key[1]).Scan(&stored); err != nil {
			return 0, fmt.Errorf("count stored rows: %w", err)
		}
	}
	skip := min(max(stored-offset, 0), n)
	if c.n == nil {
		c.n = map[[2]string]int{}
	}
	c.n[key] = stored + n - skip
	return skip, nil
}

// importLogs appends the lines of a chunk the agent does not hold yet.
func importLogs(ctx context.Context, tx *sql.Tx, c *storedRows, l *herald.ExportedLogs) error {
	skip, err := c.skip(ctx, tx, l.TenantID, l.AgentID, l.Offset, len(l.Lines))
	if err != nil {
		return err
	}
	for _, e := range l.Lines[skip:] {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_logs (tenant_id, agent_id, level, message, ts)
			VALUES (?, ?, ?, ?, ?)`, string(l.TenantID), l.AgentID, e.Level, e.Message, micros(e.Timestamp)); err != nil {
			return fmt.Errorf("insert agent log: %w", err)
		}
	}
	return nil
}

// importPoints appends the points of a chunk the agent does not hold yet.
func importPoints(ctx context.Context, tx *sql.Tx, c *storedRows, p *herald.ExportedPoints) error {
	skip, err := c.skip(ctx, tx, p.TenantID, p.AgentID, p.Offset, len(p.Points))
	if err != nil {
		return err
	}
	for _, m := range p.Points[skip:] {
		if _, err := tx.ExecContext(ctx, `INSERT INTO metric_points (tenant_id, agent_id, name, value, ts)
			VALUES (?, ?, ?, ?, ?)`, string(p.TenantID), p.AgentID, m.Name, m.Value, micros(m.Timestamp)); err != nil {
			return fmt.Errorf("insert metric point: %w", err)
		}
	}
	return nil
}

// importDeployment stores a deployment with its history unless it is
// present.
func importDeployment(ctx context.Context, tx *sql.Tx, d *herald.Deployment) error {
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO deployments (`+deploymentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(d.TenantID), d.ID, d.AgentID, d.Status, d.Version, jsonText(d.Changes), d.Error, d.Reason, micros(d.CreatedAt), micros(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert deployment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, c := range d.History {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_history
			(tenant_id, deployment_id, status, version, changes, error, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			string(d.TenantID), d.ID, c.Status, c.Version, jsonText(c.Changes), c.Error, c.Reason, micros(c.At)); err != nil {
			return fmt.Errorf("insert deployment history: %w", err)
		}
	}
	return nil
}

// importAlert stores an alert rule with its state unless it is present.
func importAlert(ctx context.Context, tx *sql.Tx, r *herald.AlertRule) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO alerts (`+alertColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, alertArgs(r)...); err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	return nil
}

// importInbound stores a record of the inbound tables unless it is
// present, and returns the job that runs a newly stored queued
// invocation, or sends the pending reply of a newly stored finished one.
func importInbound(ctx context.Context, tx *sql.Tx, r *herald.Record) (*river.InsertManyParams, error) {
	switch {
	case r.InboundWebhook != nil:
		w := r.InboundWebhook
		cols, err := inboundWebhookJSON(w)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO inbound_webhooks (`+inboundWebhookColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inboundWebhookArgs(w, cols)...); err != nil {
			return nil, fmt.Errorf("insert inbound webhook: %w", err)
		}
	case r.InboundSecret != nil:
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO inbound_secrets (name, secret) VALUES (?, ?)`,
			r.InboundSecret.Name, r.InboundSecret.Secret); err != nil {
			return nil, fmt.Errorf("insert inbound secret: %w", err)
		}
	case r.Invocation != nil:
		inv := r.Invocation.Stored()
		actions, err := sqlcol.Actions(inv.Actions)
		if err != nil {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO invocations (`+invocationColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, invocationArgs(inv, actions)...)
		if err != nil {
			return nil, fmt.Errorf("insert invocation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		if inv.Status == herald.InvocationQueued {
			return &river.InsertManyParams{Args: queue.InvokeArgs{InvocationID: inv.ID}}, nil
		}
		if runAt, ok := r.Invocation.PendingReply(); ok {
			job := queue.ReplyJob(inv.ID, runAt)
			return &job, nil
		}
	case r.InboundRequest != nil:
		q := r.InboundRequest
		headers, err := headersText(q.Headers)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO inbound_requests (`+inboundRequestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inboundRequestArgs(q, headers)...); err != nil {
			return nil, fmt.Errorf("insert inbound request: %w", err)
		}
	case r.InboundClaim != nil:
		c := r.InboundClaim
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO inbound_claims (scope, id, expires_at) VALUES (?, ?, ?)`,
			c.Scope, c.ID, micros(c.ExpiresAt)); err != nil {
			return nil, fmt.Errorf("insert inbound claim: %w", err)
		}
	}
	return nil, nil
}
