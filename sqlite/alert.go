package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/jsjson"
)

const alertColumns = `id, tenant_id, name, description, metric, agg, op, threshold, window_ns, webhook_id, agent_id,
	is_active, state, value, evaluated_at, triggered_at, resolved_at, created_at, updated_at`

// CreateAlert validates and stores r for r.TenantID, which must exist,
// setting its ID, timestamps and state when empty.
func (s *DB) CreateAlert(ctx context.Context, r *herald.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
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
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, r.TenantID); err != nil {
			return effects{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (`+alertColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, alertArgs(r)...); err != nil {
			return effects{}, fmt.Errorf("insert alert: %w", err)
		}
		return effects{}, nil
	})
}

// alertArgs are the values of alertColumns for r.
func alertArgs(r *herald.AlertRule) []any {
	return []any{r.ID, string(r.TenantID), r.Name, r.Description, r.Metric, r.Agg, r.Op, r.Threshold, int64(r.Window),
		r.WebhookID, r.AgentID, r.IsActive, r.State, nullFloat(r.Value), microsPtr(r.EvaluatedAt), microsPtr(r.TriggeredAt),
		microsPtr(r.ResolvedAt), micros(r.CreatedAt), micros(r.UpdatedAt)}
}

// Alert returns one alert rule within ref.Tenancy with its state.
func (s *DB) Alert(ctx context.Context, ref herald.Ref) (*herald.AlertRule, error) {
	id := ref.ID
	q := confined("tenant_id", ref.Tenancy).and("id = ?", id)
	r, err := scanAlert(s.rdb.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts `+q.String(), q.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "alert %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select alert: %w", err)
	}
	return r, nil
}

// ListAlerts returns a page of alert rules within f.Tenancy, newest
// first, and the total.
func (s *DB) ListAlerts(ctx context.Context, f herald.AlertFilter) ([]*herald.AlertRule, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	return listPage(ctx, s, pageQuery{table: "alerts", cols: alertColumns, where: q.String(), args: q.args,
		order: "id DESC", skip: skip, limit: limit}, scanAlert)
}

// UpdateAlert validates r and replaces the settings of r.ID, a rule of
// r.TenantID, with r's, setting its UpdatedAt. The stored state and
// tenant are kept, and copied into r.
func (s *DB) UpdateAlert(ctx context.Context, r *herald.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r.UpdatedAt = s.clock.Now().UTC().Truncate(time.Microsecond)
	got, err := scanAlert(s.db.QueryRowContext(ctx, `UPDATE alerts SET name = ?, description = ?, metric = ?, agg = ?,
		op = ?, threshold = ?, window_ns = ?, webhook_id = ?, agent_id = ?, is_active = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ? RETURNING `+alertColumns,
		r.Name, r.Description, r.Metric, r.Agg, r.Op, r.Threshold, int64(r.Window), r.WebhookID, r.AgentID,
		r.IsActive, micros(r.UpdatedAt), r.ID, string(r.TenantID)))
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "alert %q not found", r.ID)
	} else if err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	*r = *got
	return nil
}

// DeleteAlert removes an alert rule within ref.Tenancy.
func (s *DB) DeleteAlert(ctx context.Context, ref herald.Ref) error {
	id := ref.ID
	q := confined("tenant_id", ref.Tenancy).and("id = ?", id)
	res, err := s.db.ExecContext(ctx, `DELETE FROM alerts `+q.String(), q.args...)
	if err != nil {
		return fmt.Errorf("delete alert: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "alert %q not found", id)
	}
	return nil
}

// metricAggSQL is the SQL aggregate of each herald.Aggregate agg over
// metric_points.value; total() is 0.0 over no rows, as Aggregate's sum.
var metricAggSQL = map[string]string{
	"count": "count(*)", "sum": "total(value)", "avg": "avg(value)", "min": "min(value)", "max": "max(value)",
}

// AlertValue computes a rule's metric over [q.Since, q.Now) in SQL, over
// the rows of the rule's tenant only, through the reader pool.
func (s *DB) AlertValue(ctx context.Context, q herald.AlertQuery) (*float64, error) {
	r := q.Rule
	tenant := string(r.TenantID)
	since, until := micros(q.Since), micros(q.Now)
	switch r.Metric {
	case herald.MetricWebhookFailures, herald.MetricWebhookFailureRate:
		// With an agent, only the attempts of that agent's webhooks count.
		// An attempt's tenant is its webhook's.
		query, args := `SELECT count(*), coalesce(sum(a.success = 0), 0) FROM attempts a`, []any{}
		if r.AgentID != "" {
			query, args = query+` JOIN webhooks aw ON aw.id = a.webhook_id AND aw.agent_id = ?`, append(args, r.AgentID)
		}
		query, args = query+` WHERE a.tenant_id = ? AND a.started_at >= ? AND a.started_at < ?`, append(args, tenant, since, until)
		if r.WebhookID != "" {
			query, args = query+` AND a.webhook_id = ?`, append(args, r.WebhookID)
		}
		var all, failed float64
		err := s.rdb.QueryRowContext(ctx, query, args...).Scan(&all, &failed)
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
		query, args := `SELECT count(*) FROM deliveries WHERE status = 'pending' AND tenant_id = ?`, []any{tenant}
		if r.WebhookID != "" {
			query, args = query+` AND webhook_id = ?`, append(args, r.WebhookID)
		}
		return s.alertScalar(ctx, "count pending deliveries", query, args...)
	case herald.MetricAgentUnresponsive:
		query, args := `SELECT count(*) FROM agents WHERE status = ? AND tenant_id = ?`, []any{herald.AgentUnresponsive, tenant}
		if r.AgentID != "" {
			query, args = query+` AND id = ?`, append(args, r.AgentID)
		}
		return s.alertScalar(ctx, "count unresponsive agents", query, args...)
	}
	agg, ok := metricAggSQL[r.Agg]
	if !ok {
		return nil, herald.Errorf(herald.EINVALID, "agg: %q is not one of avg, min, max, sum, count", r.Agg)
	}
	query, args := `SELECT `+agg+` FROM metric_points WHERE tenant_id = ? AND name = ? AND ts >= ? AND ts < ?`,
		[]any{tenant, r.Metric, since, until}
	if r.AgentID != "" {
		query, args = query+` AND agent_id = ?`, append(args, r.AgentID)
	}
	return s.alertScalar(ctx, "aggregate metric points", query, args...)
}

// alertScalar runs a query of one nullable number.
func (s *DB) alertScalar(ctx context.Context, what, query string, args ...any) (*float64, error) {
	var v sql.NullFloat64
	if err := s.rdb.QueryRowContext(ctx, query, args...).Scan(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !v.Valid {
		return nil, nil
	}
	return &v.Float64, nil
}

// SetAlertState records an evaluation in one write of the group writer
// (which holds SQLite's only write lock, so the rule cannot change
// meanwhile): the value and time always, and on a change of state the new
// state, its time, and the alert event published for the rule's tenant as
// PublishEvent does.
func (s *DB) SetAlertState(ctx context.Context, p herald.AlertStateParams) (*herald.AlertStateResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var res *herald.AlertStateResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		var (
			jobs []river.InsertManyParams
			err  error
		)
		res, jobs, err = s.setAlertState(ctx, tx, p, now)
		return effects{jobs: jobs}, err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *DB) setAlertState(ctx context.Context, tx *sql.Tx, p herald.AlertStateParams, now time.Time) (*herald.AlertStateResult, []river.InsertManyParams, error) {
	r, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, p.AlertID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, herald.Errorf(herald.ENOTFOUND, "alert %q not found", p.AlertID)
	} else if err != nil {
		return nil, nil, fmt.Errorf("select alert: %w", err)
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
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET value = ?, evaluated_at = ?, state = ?, triggered_at = ?,
		resolved_at = ? WHERE id = ?`, nullFloat(r.Value), micros(now), r.State, microsPtr(r.TriggeredAt),
		microsPtr(r.ResolvedAt), r.ID); err != nil {
		return nil, nil, fmt.Errorf("update alert state: %w", err)
	}
	out := &herald.AlertStateResult{Rule: r}
	if !flip {
		return out, nil, nil
	}
	spec := herald.AlertEvent(r, p.Triggered, p.Value)
	data, err := jsjson.Marshal(spec.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("encode alert event: %w", err)
	}
	pub, jobs, err := s.publish(ctx, tx, herald.PublishParams{TenantID: string(r.TenantID), Type: spec.Type, Data: data,
		Now: now}, now)
	if err != nil {
		return nil, nil, err
	}
	out.Event = pub.Event
	out.Event.Deliveries = pub.Deliveries
	return out, jobs, nil
}

func scanAlert(row scanner) (*herald.AlertRule, error) {
	var (
		r                             herald.AlertRule
		window, created, updated      int64
		value                         sql.NullFloat64
		evaluated, triggered, resolve sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.TenantID, &r.Name, &r.Description, &r.Metric, &r.Agg, &r.Op, &r.Threshold, &window,
		&r.WebhookID, &r.AgentID, &r.IsActive, &r.State, &value, &evaluated, &triggered, &resolve,
		&created, &updated); err != nil {
		return nil, err
	}
	r.Window = herald.Duration(window)
	if value.Valid {
		r.Value = &value.Float64
	}
	r.EvaluatedAt, r.TriggeredAt, r.ResolvedAt = fromNull(evaluated), fromNull(triggered), fromNull(resolve)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

// nullFloat is v for a nullable REAL column.
func nullFloat(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
