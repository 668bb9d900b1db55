package postgres

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlcol"
	"github.com/heraldhq/herald/queue"
)

// Import stores exported records as they are, each with its tenant, in one
// transaction; tenants come first in an export, and a tenant id present
// already counts as present. A record of a tenant that neither exists nor
// came before it in the batch is EINVALID (see checkTenant), and the batch
// stores nothing. Rows
// already present keep their values (ON CONFLICT DO NOTHING), and chunks of
// log lines and metric points store only the rows past those their agent
// holds (see herald.ImportParams), so an import can be run again; every
// newly stored pending delivery, queued invocation and finished invocation
// with a pending reply gets a queued job. It counts the records stored and
// those present already.
func (s *DB) Import(ctx context.Context, p herald.ImportParams) (herald.ImportResult, error) {
	defer s.eventTypes.Drop() // after the commit: this node reads the catalogue it imported
	var result herald.ImportResult
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return herald.ImportResult{}, fmt.Errorf("begin import: %w", err)
	}
	defer ptx.Rollback(ctx)
	// A record was stored when its statements changed rows.
	tx := &countingTx{Tx: ptx}
	var jobs []river.InsertManyParams
	tenants := map[herald.TenantID]bool{"": true} // checked to exist
	logs := storedRows{count: `SELECT count(*) FROM agent_logs WHERE tenant_id = $1 AND agent_id = $2`}
	points := storedRows{count: `SELECT count(*) FROM metric_points WHERE tenant_id = $1 AND agent_id = $2`}
	for _, r := range p.Records {
		if t := r.TenantID(); !tenants[t] {
			if err := checkTenant(ctx, tx, string(t)); err != nil {
				return herald.ImportResult{}, fmt.Errorf("import record: %w", err)
			}
			tenants[t] = true
		}
		before := tx.rows
		switch {
		case r.Tenant != nil:
			t := r.Tenant
			metadata := string(t.Metadata)
			if len(metadata) == 0 {
				metadata = "{}"
			}
			_, err = tx.Exec(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (id) DO NOTHING`, t.ID, escapeText(t.Name), metadata, t.CreatedAt, t.UpdatedAt, retentionSeconds(t.Retention))
		case r.EventType != nil:
			err = importEventType(ctx, tx, r.EventType)
		case r.WebhookSecrets != nil:
			err = importWebhookSecrets(ctx, tx, r.WebhookSecrets)
		case r.Webhook != nil:
			_, err = tx.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
				VALUES (`+webhookPlaceholders+`)
				ON CONFLICT (id) DO NOTHING`, webhookArgs(r.Webhook)...)
		case r.APIKey != nil:
			k := r.APIKey
			_, err = tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT DO NOTHING`,
				k.ID, string(k.TenantID), k.Name, k.Scope, k.Prefix, k.Hash, k.CreatedAt, k.LastUsedAt, k.RevokedAt)
		case r.Event != nil:
			e := r.Event
			_, err = tx.Exec(ctx, `INSERT INTO events (`+eventColumns+`, agent_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (tenant_id, id) DO NOTHING`, string(e.TenantID), e.ID, e.Type, string(e.Data), e.Created,
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
		if tx.rows > before {
			result.Stored++
		} else {
			result.Present++
		}
	}
	if len(jobs) > 0 {
		if _, err := s.river.InsertManyTx(ctx, ptx, jobs); err != nil {
			return herald.ImportResult{}, fmt.Errorf("queue imported deliveries and invocations: %w", err)
		}
	}
	if err := ptx.Commit(ctx); err != nil {
		return herald.ImportResult{}, fmt.Errorf("commit import: %w", err)
	}
	return result, nil
}

// countingTx is a transaction that counts the rows its Exec calls change.
type countingTx struct {
	pgx.Tx
	rows int64
}

// Exec runs sql and adds the rows it changed to t.rows.
func (t *countingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.Tx.Exec(ctx, sql, args...)
	t.rows += tag.RowsAffected()
	return tag, err
}

// importDelivery stores a delivery and its attempts, and reports whether it
// is a newly stored pending one, which needs a job. Its event is the one of
// d.EventTenantID, or of the delivery's own tenant when that is empty.
func importDelivery(ctx context.Context, tx pgx.Tx, d *herald.ExportedDelivery) (bool, error) {
	eventTenant := cmp.Or(d.EventTenantID, d.TenantID)
	tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, tenant_id, webhook_id, event_tenant_id, event_id, event_type,
		webhook_name, status, attempts, response_status_code, error_message, created_at, last_attempt_at,
		next_attempt_at, delivered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING`,
		d.ID, string(d.TenantID), d.WebhookID, string(eventTenant), d.EventID, d.Event, d.WebhookName, d.Status, d.Attempts,
		d.ResponseStatusCode, escapeText(d.ErrorMessage), d.CreatedAt, d.LastAttemptAt, d.NextAttemptAt, d.DeliveredAt)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	for _, a := range d.AttemptList {
		headers := a.ResponseHeaders
		if headers == nil {
			headers = http.Header{}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attempts (id, tenant_id, webhook_id, delivery_id, number, started_at, duration_ms,
			status_code, response_headers, response_body, error, success)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
			a.ID, string(d.TenantID), d.WebhookID, d.ID, a.Number, a.StartedAt, a.DurationMS, a.StatusCode, headers, escapeText(a.ResponseBody), escapeText(a.Error), a.Success); err != nil {
			return false, err
		}
	}
	return d.Status == herald.DeliveryPending, nil
}

// importAgent stores an agent's state unless it is present.
func importAgent(ctx context.Context, tx pgx.Tx, a *herald.Agent) error {
	args, err := agentArgs(a)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO agents (`+agentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (tenant_id, id) DO NOTHING`,
		args...); err != nil {
		return fmt.Errorf("insert agent: %w", err)
	}
	return nil
}

// storedRows counts, per agent, the log lines (or metric points) it holds
// during one import, counting them with the count query once.
type storedRows struct {
	count string
	n     map[agentKey]int
}

// agentKey names an agent: its id is unique within its tenant.
type agentKey struct {
	tenant herald.TenantID
	id     string
}

// skip returns how many leading rows of a chunk of n rows exported at
// offset the agent holds already, and counts the rest as stored.
func (c *storedRows) skip(ctx context.Context, tx pgx.Tx, agent agentKey, offset, n int) (int, error) {
	stored, ok := c.n[agent]
	if !ok {
		if err := tx.QueryRow(ctx, c.count, string(agent.tenant), agent.id).Scan(&stored); err != nil {
			return 0, fmt.Errorf("count stored rows: %w", err)
		}
	}
	skip := min(max(stored-offset, 0), n)
	if c.n == nil {
		c.n = map[agentKey]int{}
	}
	c.n[agent] = stored + n - skip
	return skip, nil
}

// importLogs appends the lines of a chunk the agent does not hold yet,
// with one statement, in order.
func importLogs(ctx context.Context, tx pgx.Tx, c *storedRows, l *herald.ExportedLogs) error {
	skip, err := c.skip(ctx, tx, agentKey{l.TenantID, l.AgentID}, l.Offset, len(l.Lines))
	if err != nil || skip == len(l.Lines) {
		return err
	}
	lines := l.Lines[skip:]
	levels, messages, times := make([]string, len(lines)), make([]string, len(lines)), make([]time.Time, len(lines))
	for i, e := range lines {
		levels[i], messages[i], times[i] = e.Level, escapeText(e.Message), e.Timestamp
	}
	if _, err := tx.Exec(ctx, `INSERT INTO agent_logs (tenant_id, agent_id, level, message, ts)
		SELECT $1, $2, u.level, u.message, u.ts
		FROM unnest($3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS u (level, message, ts, n)
		ORDER BY u.n`, string(l.TenantID), l.AgentID, levels, messages, times); err != nil {
		return fmt.Errorf("insert agent logs: %w", err)
	}
	return nil
}

// importPoints appends the points of a chunk the agent does not hold yet,
// with one statement.
func importPoints(ctx context.Context, tx pgx.Tx, c *storedRows, p *herald.ExportedPoints) error {
	skip, err := c.skip(ctx, tx, agentKey{p.TenantID, p.AgentID}, p.Offset, len(p.Points))
	if err != nil || skip == len(p.Points) {
		return err
	}
	points := p.Points[skip:]
	names, values, times := make([]string, len(points)), make([]float64, len(points)), make([]time.Time, len(points))
	for i, m := range points {
		names[i], values[i], times[i] = m.Name, m.Value, m.Timestamp
	}
	if _, err := tx.Exec(ctx, `INSERT INTO metric_points (tenant_id, agent_id, name, value, ts)
		SELECT $1, $2, u.name, u.value, u.ts FROM unnest($3::text[], $4::float8[], $5::timestamptz[]) AS u (name, value, ts)`,
		string(p.TenantID), p.AgentID, names, values, times); err != nil {
		return fmt.Errorf("insert metric points: %w", err)
	}
	return nil
}

// importDeployment stores a deployment with its history unless it is
// present.
func importDeployment(ctx context.Context, tx pgx.Tx, d *herald.Deployment) error {
	tag, err := tx.Exec(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, id) DO NOTHING`, deploymentArgs(d)...)
	if err != nil {
		return fmt.Errorf("insert deployment: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	for _, c := range d.History {
		if _, err := tx.Exec(ctx, `INSERT INTO deployment_history
			(tenant_id, deployment_id, status, version, changes, error, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			string(d.TenantID), d.ID, c.Status, c.Version, jsonArg(c.Changes), escapeText(c.Error), escapeText(c.Reason), c.At); err != nil {
			return fmt.Errorf("insert deployment history: %w", err)
		}
	}
	return nil
}

// importAlert stores an alert rule with its state unless it is present.
func importAlert(ctx context.Context, tx pgx.Tx, r *herald.AlertRule) error {
	if _, err := tx.Exec(ctx, `INSERT INTO alerts (`+alertColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (id) DO NOTHING`, alertArgs(r)...); err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	return nil
}

// importInbound stores a record of the inbound tables unless it is
// present, and returns the job that runs a newly stored queued
// invocation, or sends the pending reply of a newly stored finished one.
func importInbound(ctx context.Context, tx pgx.Tx, r *herald.Record) (*river.InsertManyParams, error) {
	switch {
	case r.InboundWebhook != nil:
		args, err := inboundWebhookArgs(r.InboundWebhook)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO inbound_webhooks (`+inboundWebhookColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (tenant_id, name) DO NOTHING`, args...); err != nil {
			return nil, fmt.Errorf("insert inbound webhook: %w", err)
		}
	case r.InboundSecret != nil:
		if _, err := tx.Exec(ctx, `INSERT INTO inbound_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			r.InboundSecret.Name, r.InboundSecret.Secret); err != nil {
			return nil, fmt.Errorf("insert inbound secret: %w", err)
		}
	case r.Invocation != nil:
		inv := r.Invocation.Stored()
		actions, err := sqlcol.Actions(inv.Actions)
		if err != nil {
			return nil, err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO invocations (`+invocationColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
			ON CONFLICT (id) DO NOTHING`, invocationArgs(inv, actions)...)
		if err != nil {
			return nil, fmt.Errorf("insert invocation: %w", err)
		}
		if tag.RowsAffected() == 0 {
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
		if _, err := tx.Exec(ctx, `INSERT INTO inbound_requests (`+inboundRequestColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
			inboundRequestArgs(r.InboundRequest)...); err != nil {
			return nil, fmt.Errorf("insert inbound request: %w", err)
		}
	case r.InboundClaim != nil:
		c := r.InboundClaim
		if _, err := tx.Exec(ctx, `INSERT INTO inbound_claims (scope, id, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (scope, id) DO NOTHING`, c.Scope, c.ID, c.ExpiresAt); err != nil {
			return nil, fmt.Errorf("insert inbound claim: %w", err)
		}
	}
	return nil, nil
}
