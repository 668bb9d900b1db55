package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/jsjson"
)

const alertColumns = `id, tenant_id, name, description, metric, agg, op, threshold, window_ns, webhook_id, agent_id,
	is_active, state, value, evaluated_at, triggered_at, resolved_at, created_at, updated_at`

// CreateAlert validates and stores r for r.TenantID, which must exist (see
// checkTenant), setting its ID, timestamps and state when empty.
func (s *DB) CreateAlert(ctx context.Context, r *herald.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	now := s.now()
	if r.ID == "" {
		r.ID = herald.NewID(herald.PrefixAlert, now)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	if r.State == "" {
		r.State = herald.AlertOK
	}
	return s.forTenant(ctx, r.TenantID, "create alert", func(q querier) error {
		if _, err := q.Exec(ctx, `INSERT INTO alerts (`+alertColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			alertArgs(r)...); err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		return nil
	})
}

// alertArgs are the values of alertColumns for r.
func alertArgs(r *herald.AlertRule) []any {
	return []any{r.ID, string(r.TenantID), r.Name, r.Description, r.Metric, r.Agg, r.Op, r.Threshold, int64(r.Window),
		r.WebhookID, r.AgentID, r.IsActive, r.State, r.Value, r.EvaluatedAt, r.TriggeredAt, r.ResolvedAt, r.CreatedAt,
		r.UpdatedAt}
}

// Alert returns one alert rule within ref.Tenancy with its state.
func (s *DB) Alert(ctx context.Context, ref herald.Ref) (*herald.AlertRule, error) {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	r, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts `+c.where(), c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "alert %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select alert: %w", err)
	}
	return r, nil
}

// ListAlerts returns a page of the alert rules within f.Tenancy, newest
// first (by ID), and the total (see pageTotal).
func (s *DB) ListAlerts(ctx context.Context, f herald.AlertFilter) ([]*herald.AlertRule, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	return listPage(ctx, s, pageQuery{table: "alerts", cols: alertColumns, where: c.where(), args: c.args,
		order: "id DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.AlertRule, error) {
		return scanAlert(row, total)
	})
}

// UpdateAlert validates r and replaces the settings of r.ID, a rule of
// r.TenantID, with r's, setting its UpdatedAt. The stored state is kept,
// and copied into r.
func (s *DB) UpdateAlert(ctx context.Context, r *herald.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r.UpdatedAt = s.now()
	got, err := scanAlert(s.pool.QueryRow(ctx, `UPDATE alerts SET name = $1, description = $2, metric = $3,
		agg = $4, op = $5, threshold = $6, window_ns = $7, webhook_id = $8, agent_id = $9, is_active = $10,
		updated_at = $11 WHERE id = $12 AND tenant_id = $13 RETURNING `+alertColumns,
		r.Name, r.Description, r.Metric, r.Agg, r.Op, r.Threshold, int64(r.Window), r.WebhookID, r.AgentID,
		r.IsActive, r.UpdatedAt, r.ID, string(r.TenantID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "alert %q not found", r.ID)
	} else if err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	*r = *got
	return nil
}

// DeleteAlert removes an alert rule within ref.Tenancy.
func (s *DB) DeleteAlert(ctx context.Context, ref herald.Ref) error {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	tag, err := s.pool.Exec(ctx, `DELETE FROM alerts `+c.where(), c.args...)
	if err != nil {
		return fmt.Errorf("delete alert: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "alert %q not found", ref.ID)
	}
	return nil
}

// metricAggSQL is the SQL aggregate of each herald.Aggregate agg over
// metric_points.value; sum is 0 over no rows, as Aggregate's.
var metricAggSQL = map[string]string{
	"count": "count(*)", "sum": "coalesce(sum(value), 0)", "avg": "avg(value)", "min": "min(value)", "max": "max(value)",
}

// AlertValue computes a rule's metric over [q.Since, q.Now) in SQL,
// counting only the rows of the rule's tenant.
func (s *DB) AlertValue(ctx context.Context, q herald.AlertQuery) (*float64, error) {
	r := q.Rule
	c := conds{}
	c.eq("tenant_id", string(r.TenantID))
	switch r.Metric {
	case herald.MetricWebhookFailures, herald.MetricWebhookFailureRate:
		// The attempts of the tenant's webhooks (an attempt is its
		// webhook's tenant's), of the rule's webhook, or of the webhooks of
		// the rule's agent, when set.
		c = conds{}
		c.eq("a.tenant_id", string(r.TenantID))
		c.add("a.started_at >= " + c.arg(q.Since))
		c.add("a.started_at < " + c.arg(q.Now))
		join := ""
		if r.WebhookID != "" {
			c.eq("a.webhook_id", r.WebhookID)
		}
		if r.AgentID != "" {
			join = ` JOIN webhooks w ON w.id = a.webhook_id`
			c.eq("w.agent_id", r.AgentID)
		}
		var all, failed float64
		err := s.pool.QueryRow(ctx, `SELECT count(*)::float8, (count(*) FILTER (WHERE NOT a.success))::float8
			FROM attempts a`+join+` `+c.where(), c.args...).Scan(&all, &failed)
		if err != nil {
			return nil, fmt.Errorf("count attempts: %w", err)
		}
		if r.Metric == herald.MetricWebhookFailures {
			return &failed, nil
		}
		rate := 0.0
		if all > 0 {
			rate = failed / all
		}
		return &rate, nil
	case herald.MetricDeliveriesPending:
		c.add("status = 'pending'")
		if r.WebhookID != "" {
			c.eq("webhook_id", r.WebhookID)
		}
		return s.alertScalar(ctx, "count pending deliveries", `SELECT count(*)::float8 FROM deliveries `+c.where(), c.args...)
	case herald.MetricAgentUnresponsive:
		c.eq("status", herald.AgentUnresponsive)
		if r.AgentID != "" {
			c.eq("id", r.AgentID)
		}
		return s.alertScalar(ctx, "count unresponsive agents", `SELECT count(*)::float8 FROM agents `+c.where(), c.args...)
	}
	agg, ok := metricAggSQL[r.Agg]
	if !ok {
		return nil, herald.Errorf(herald.EINVALID, "agg: %q is not one of avg, min, max, sum, count", r.Agg)
	}
	c.eq("name", r.Metric)
	c.add("ts >= " + c.arg(q.Since))
	c.add("ts < " + c.arg(q.Now))
	if r.AgentID != "" {
		c.eq("agent_id", r.AgentID)
	}
	return s.alertScalar(ctx, "aggregate metric points", `SELECT (`+agg+`)::float8 FROM metric_points `+c.where(), c.args...)
}

// alertScalar runs a query of one nullable number.
func (s *DB) alertScalar(ctx context.Context, what, query string, args ...any) (*float64, error) {
	var v *float64
	if err := s.pool.QueryRow(ctx, query, args...).Scan(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// SetAlertState records an evaluation in one transaction that holds the
// rule's row lock (SELECT … FOR UPDATE), so that concurrent evaluations of
// one rule, on this node or another, flip it and publish its event once:
// the value and time always, and on a change of state the new state, its
// time, and the alert event, the rule's tenant's, published as
// PublishEvent does.
func (s *DB) SetAlertState(ctx context.Context, p herald.AlertStateParams) (*herald.AlertStateResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin alert state: %w", err)
	}
	defer tx.Rollback(context.Background())

	r, err := scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1 FOR UPDATE`, p.AlertID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "alert %q not found", p.AlertID)
	} else if err != nil {
		return nil, fmt.Errorf("select alert: %w", err)
	}
	r.Value, r.EvaluatedAt = nil, &now
	if p.Value != nil {
		v := *p.Value
		r.Value = &v
	}
	flip := (r.State == herald.AlertTriggered) != p.Triggered
	if flip {
		if p.Triggered {
			r.State, r.TriggeredAt = herald.AlertTriggered, &now
		} else {
			r.State, r.ResolvedAt = herald.AlertOK, &now
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE alerts SET value = $1, evaluated_at = $2, state = $3, triggered_at = $4,
		resolved_at = $5 WHERE id = $6`, r.Value, now, r.State, r.TriggeredAt, r.ResolvedAt, r.ID); err != nil {
		return nil, fmt.Errorf("update alert state: %w", err)
	}
	out := &herald.AlertStateResult{Rule: r}
	if flip {
		spec := herald.AlertEvent(r, p.Triggered, p.Value)
		data, err := jsjson.Marshal(spec.Data)
		if err != nil {
			return nil, fmt.Errorf("encode alert event: %w", err)
		}
		ev := &herald.Event{ID: herald.NewID(herald.PrefixEvent, now), TenantID: r.TenantID, Type: spec.Type, Data: data, Created: now}
		if ev.Deliveries, err = publishNew(ctx, tx, ev); err != nil {
			return nil, err
		}
		if err := s.queueDeliveries(ctx, tx, ev.Deliveries); err != nil {
			return nil, err
		}
		out.Event = ev
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit alert state: %w", err)
	}
	return out, nil
}

// scanAlert scans a row holding alertColumns, then those of after.
func scanAlert(row scanner, after ...any) (*herald.AlertRule, error) {
	var (
		r      herald.AlertRule
		window int64
	)
	err := row.Scan(append([]any{&r.ID, &r.TenantID, &r.Name, &r.Description, &r.Metric, &r.Agg, &r.Op, &r.Threshold, &window,
		&r.WebhookID, &r.AgentID, &r.IsActive, &r.State, &r.Value, &r.EvaluatedAt, &r.TriggeredAt, &r.ResolvedAt,
		&r.CreatedAt, &r.UpdatedAt}, after...)...)
	if err != nil {
		return nil, err
	}
	r.Window = herald.Duration(window)
	return &r, nil
}
