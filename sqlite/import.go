package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/internal/sqlcol"
)

// Import stores exported records as they are, in one transaction. Rows
// already present keep their values (INSERT OR IGNORE), and chunks of log
// lines and metric points store only the rows past those their agent
// holds (see herald.ImportParams), so an import can be run again; every
// newly stored pending delivery, queued invocation and finished invocation
// with a pending reply gets a queued job. It counts the records stored and
// those present already.
func (s *DB) Import(ctx context.Context, p herald.ImportParams) (herald.ImportResult, error) {
	var result herald.ImportResult
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return herald.ImportResult{}, fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback()
	var jobs []river.InsertManyParams
	logs := storedRows{count: `SELECT count(*) FROM agent_logs WHERE agent_id = ?`}
	points := storedRows{count: `SELECT count(*) FROM metric_points WHERE agent_id = ?`}
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
		switch {
		case r.Webhook != nil:
			w := r.Webhook
			events, headers, schedule := webhookJSON(w)
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO webhooks (`+webhookColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				w.ID, w.Name, w.Description, w.URL, events, w.AgentID, w.IsActive, w.Secret, headers,
				w.TimeoutSeconds, w.MaxRetries, schedule, w.VerifySSL, w.SignatureHeader, w.SignatureFormat,
				micros(w.CreatedAt), micros(w.UpdatedAt), microsPtr(w.LastTriggeredAt), microsPtr(w.LastSuccessAt), microsPtr(w.LastFailureAt))
		case r.APIKey != nil:
			k := r.APIKey
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				k.ID, k.Name, k.Scope, k.Prefix, k.Hash, micros(k.CreatedAt), microsPtr(k.LastUsedAt), microsPtr(k.RevokedAt))
		case r.Event != nil:
			e := r.Event
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO events (id, type, data, created_at, agent_id)
				VALUES (?, ?, ?, ?, ?)`, e.ID, e.Type, string(e.Data), micros(e.Created), e.AgentID())
		case r.Delivery != nil:
			var queued bool
			queued, err = importDelivery(ctx, tx, r.Delivery)
			if queued {
				jobs = append(jobs, delivery.JobParams(r.Delivery.ID, time.Time{}))
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
	return result, nil
}

// importDelivery stores a delivery and its attempts, and reports whether it
// is a newly stored pending one, which needs a job.
func importDelivery(ctx context.Context, tx *sql.Tx, d *herald.ExportedDelivery) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO deliveries (id, webhook_id, event_id, event_type,
		webhook_name, status, attempts, response_status_code, error_message, created_at, last_attempt_at,
		next_attempt_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.WebhookID, d.EventID, d.Event, d.WebhookName, d.Status, d.Attempts, d.ResponseStatusCode,
		d.ErrorMessage, micros(d.CreatedAt), microsPtr(d.LastAttemptAt), microsPtr(d.NextAttemptAt), microsPtr(d.DeliveredAt))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, a := range d.AttemptList {
		headers, _ := json.Marshal(nonNilHeader(a.ResponseHeaders))
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO attempts (id, delivery_id, number, started_at,
			duration_ms, status_code, response_headers, response_body, error, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, d.ID, a.Number, micros(a.StartedAt), a.DurationMS, a.StatusCode, string(headers), a.ResponseBody, a.Error, a.Success); err != nil {
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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Status, a.NodeID, a.Error, jsonText(a.Metadata), string(last), microsPtr(a.LastMetricsAt), micros(a.LastSeen),
		micros(a.StatusChangedAt), micros(a.CreatedAt), micros(a.UpdatedAt), a.Name, rt); err != nil {
		return fmt.Errorf("insert agent: %w", err)
	}
	return nil
}

// storedRows counts, per agent, the log lines (or metric points) it holds
// during one import, counting them with the count query once.
type storedRows struct {
	count string
	n     map[string]int
}

// skip returns how many leading rows of a chunk of n rows exported at
// offset the agent holds already, and counts the rest as stored.
func (c *storedRows) skip(ctx context.Context, tx *sql.Tx, agentID string, offset, n int) (int, error) {
	stored, ok := c.n[agentID]
	if !ok {
		if err := tx.QueryRowContext(ctx, c.count, agentID).Scan(&stored); err != nil {
			return 0, fmt.Errorf("count stored rows: %w", err)
		}
	}
	skip := min(max(stored-offset, 0), n)
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[agentID] = stored + n - skip
	return skip, nil
}

// importLogs appends the lines of a chunk the agent does not hold yet.
func importLogs(ctx context.Context, tx *sql.Tx, c *storedRows, l *herald.ExportedLogs) error {
	skip, err := c.skip(ctx, tx, l.AgentID, l.Offset, len(l.Lines))
	if err != nil {
		return err
	}
	for _, e := range l.Lines[skip:] {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_logs (agent_id, level, message, ts) VALUES (?, ?, ?, ?)`,
			l.AgentID, e.Level, e.Message, micros(e.Timestamp)); err != nil {
			return fmt.Errorf("insert agent log: %w", err)
		}
	}
	return nil
}

// importPoints appends the points of a chunk the agent does not hold yet.
func importPoints(ctx context.Context, tx *sql.Tx, c *storedRows, p *herald.ExportedPoints) error {
	skip, err := c.skip(ctx, tx, p.AgentID, p.Offset, len(p.Points))
	if err != nil {
		return err
	}
	for _, m := range p.Points[skip:] {
		if _, err := tx.ExecContext(ctx, `INSERT INTO metric_points (agent_id, name, value, ts) VALUES (?, ?, ?, ?)`,
			p.AgentID, m.Name, m.Value, micros(m.Timestamp)); err != nil {
			return fmt.Errorf("insert metric point: %w", err)
		}
	}
	return nil
}

// importDeployment stores a deployment with its history unless it is
// present.
func importDeployment(ctx context.Context, tx *sql.Tx, d *herald.Deployment) error {
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO deployments (`+deploymentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.AgentID, d.Status, d.Version, jsonText(d.Changes), d.Error, d.Reason, micros(d.CreatedAt), micros(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert deployment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, c := range d.History {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_history
			(deployment_id, status, version, changes, error, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.ID, c.Status, c.Version, jsonText(c.Changes), c.Error, c.Reason, micros(c.At)); err != nil {
			return fmt.Errorf("insert deployment history: %w", err)
		}
	}
	return nil
}

// importAlert stores an alert rule with its state unless it is present.
func importAlert(ctx context.Context, tx *sql.Tx, r *herald.AlertRule) error {
	var value any
	if r.Value != nil {
		value = *r.Value
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO alerts (id, name, description, metric, agg, op,
		threshold, window_ns, webhook_id, agent_id, is_active, state, value, evaluated_at, triggered_at,
		resolved_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Name, r.Description, r.Metric, r.Agg, r.Op, r.Threshold, int64(r.Window), r.WebhookID, r.AgentID,
		r.IsActive, r.State, value, microsPtr(r.EvaluatedAt), microsPtr(r.TriggeredAt), microsPtr(r.ResolvedAt),
		micros(r.CreatedAt), micros(r.UpdatedAt)); err != nil {
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
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.Name, w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform, cols.filters,
			w.ResponseMode, cols.allowedIPs, cols.rateLimit, micros(w.CreatedAt), micros(w.UpdatedAt),
			microsPtr(w.LastTriggeredAt), w.BotToken); err != nil {
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
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			inv.ID, inv.Agent, inv.Source, inv.Mode, inv.Status, inv.Message, sqlcol.Object(inv.Context),
			jsonText(inv.User), jsonText(inv.Room), inv.Response, actions, inv.Error, inv.DurationMS,
			micros(inv.CreatedAt), microsPtr(inv.StartedAt), microsPtr(inv.FinishedAt), replyToText(inv.ReplyTo),
			inv.ReplyStatus, inv.ReplyError)
		if err != nil {
			return nil, fmt.Errorf("insert invocation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		if inv.Status == herald.InvocationQueued {
			return &river.InsertManyParams{Args: delivery.InvokeArgs{InvocationID: inv.ID}}, nil
		}
		if runAt, ok := r.Invocation.PendingReply(); ok {
			job := delivery.ReplyJobParams(inv.ID, runAt)
			return &job, nil
		}
	case r.InboundRequest != nil:
		q := r.InboundRequest
		headers, err := headersText(q.Headers)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO inbound_requests (`+inboundRequestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			q.ID, q.Webhook, micros(q.At), q.SourceIP, headers, q.Body, q.EventType, q.Verdict, q.Reason,
			q.Status, q.InvocationID); err != nil {
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
