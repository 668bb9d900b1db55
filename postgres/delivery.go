package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

const deliveryColumns = `id, tenant_id, webhook_id, event_id, event_type, status, attempts, response_status_code,
	error_message, created_at, last_attempt_at, next_attempt_at, delivered_at`

func queryDeliveries(ctx context.Context, q querier, tail string, args ...any) ([]*herald.Delivery, error) {
	rows, err := q.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("select deliveries: %w", err)
	}
	defer rows.Close()
	out := []*herald.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select deliveries: %w", err)
	}
	return out, nil
}

// scanDelivery scans a row holding deliveryColumns, then those of after.
func scanDelivery(row scanner, after ...any) (*herald.Delivery, error) {
	var d herald.Delivery
	if err := row.Scan(append([]any{&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.Event, &d.Status, &d.Attempts,
		&d.ResponseStatusCode, freeText(&d.ErrorMessage), &d.CreatedAt, &d.LastAttemptAt, &d.NextAttemptAt, &d.DeliveredAt},
		after...)...); err != nil {
		return nil, err
	}
	d.Success = d.Status == herald.DeliverySuccess
	return &d, nil
}

// Delivery returns one delivery within ref.Tenancy with its attempts, in
// order.
func (s *DB) Delivery(ctx context.Context, ref herald.Ref) (*herald.Delivery, error) {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries `+c.where(), c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select delivery: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, delivery_id, number, started_at, duration_ms, status_code,
		response_headers, response_body, error, success FROM attempts WHERE delivery_id = $1 ORDER BY number`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("select attempts: %w", err)
	}
	defer rows.Close()
	d.AttemptList = []*herald.Attempt{}
	for rows.Next() {
		var a herald.Attempt
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Number, &a.StartedAt, &a.DurationMS, &a.StatusCode,
			&a.ResponseHeaders, freeText(&a.ResponseBody), freeText(&a.Error), &a.Success); err != nil {
			return nil, fmt.Errorf("scan attempt: %w", err)
		}
		d.AttemptList = append(d.AttemptList, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select attempts: %w", err)
	}
	return d, nil
}

// ListDeliveries returns a page of the deliveries within f.Tenancy, newest
// first, and the total (see pageTotal).
func (s *DB) ListDeliveries(ctx context.Context, f herald.DeliveryFilter) ([]*herald.Delivery, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	if f.WebhookID != "" {
		c.eq("webhook_id", f.WebhookID)
	}
	if f.EventID != "" {
		c.eq("event_id", f.EventID)
	}
	if f.Event != "" {
		c.eq("event_type", f.Event)
	}
	if f.Success != nil {
		if *f.Success {
			c.add("status = 'success'")
		} else {
			c.add("status <> 'success'") // as in the partial index deliveries_webhook_unsuccessful
		}
	}
	if f.Status != "" {
		c.eq("status", f.Status)
	}
	if !f.Since.IsZero() {
		c.add("created_at >= " + c.arg(f.Since))
	}
	if !f.Until.IsZero() {
		c.add("created_at < " + c.arg(f.Until))
	}
	return listPage(ctx, s, pageQuery{table: "deliveries", cols: deliveryColumns, where: c.where(), args: c.args,
		order: "seq DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Delivery, error) {
		return scanDelivery(row, total)
	})
}

// DeliveryTask loads a delivery within ref.Tenancy with its webhook and
// event, in one query.
func (s *DB) DeliveryTask(ctx context.Context, ref herald.Ref) (*herald.DeliveryTask, error) {
	var c conds
	c.eq("d.id", ref.ID)
	c.tenancy("d.tenant_id", ref.Tenancy)
	row := s.pool.QueryRow(ctx, `SELECT `+qualify("w", webhookColumns)+`,
		d.tenant_id, d.webhook_name, d.status, d.attempts, d.seq, d.ordering_key, `+qualify("e", eventColumns)+`
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		JOIN events e ON e.tenant_id = d.event_tenant_id AND e.id = d.event_id
		`+c.where(), c.args...)
	t := herald.DeliveryTask{Delivery: &herald.Delivery{ID: ref.ID}, Event: &herald.Event{}}
	var (
		data string
		seq  int64
		line *string
	)
	w, err := scanWebhook(row, &t.Delivery.TenantID, &t.WebhookName, &t.Delivery.Status, &t.Delivery.Attempts, &seq, &line,
		&t.Event.TenantID, &t.Event.ID, &t.Event.Type, &data, &t.Event.Created, &t.Event.OrderingKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select delivery task: %w", err)
	}
	t.Webhook = w
	t.Delivery.WebhookID, t.Delivery.EventID, t.Delivery.Event = w.ID, t.Event.ID, t.Event.Type
	t.Event.Data = []byte(data)
	if line != nil {
		t.Turn = &herald.TurnParams{Tenancy: ref.Tenancy, DeliveryID: ref.ID, Seq: seq,
			Line: herald.Line{WebhookID: w.ID, Key: *line}}
	}
	return &t, nil
}

// qualify prefixes each column of the list cols with alias.
func qualify(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// RecordAttempt stores an attempt, the delivery's new status and the
// webhook's last_* timestamps in one transaction, shared with concurrent
// writes (see groupWriter). The attempt's Number is the delivery's attempt
// count after this one.
//
// The UPDATE ... RETURNING increments attempts under the delivery's row
// lock, so concurrent records of one delivery number their attempts apart.
// The webhook's timestamps only move forward (see applyTouches).
func (s *DB) RecordAttempt(ctx context.Context, r herald.AttemptResult) (*herald.Delivery, error) {
	op := &attemptOp{r: r}
	if err := s.writer.do(ctx, op); err != nil {
		return nil, err
	}
	return op.d, nil
}

// attemptOp is RecordAttempt's write in a group (see groupOp): one
// statement updates the delivery and inserts the attempt numbered from it;
// when an ordered delivery settles, a second one releases the first
// delivery held behind it (see releaseNext), under the line's lock, which
// the group takes.
type attemptOp struct {
	r        herald.AttemptResult
	at       time.Time
	released string // the delivery released, if any
	d        *herald.Delivery
}

func (o *attemptOp) order() string { return "a" + o.r.DeliveryID }

func (o *attemptOp) tenant() (string, bool) { return "", false }

func (o *attemptOp) plan([]*herald.Webhook) []herald.Line {
	if o.settles() {
		return []herald.Line{*o.r.Line}
	}
	return nil
}

// settles reports whether the attempt settles an ordered delivery.
func (o *attemptOp) settles() bool { return o.r.Line != nil && o.r.Status != herald.DeliveryPending }

// attemptID returns the ID of the attempt, made when the caller gave none.
func (o *attemptOp) attemptID() string {
	a := o.r.Attempt
	if a.ID == "" {
		a.ID = herald.NewID(herald.PrefixAttempt, a.StartedAt.UTC().Truncate(time.Microsecond))
	}
	return a.ID
}

// values sets the attempt's time and ID, and returns when the delivery
// is delivered and next due (nil: unchanged, or none), and the response
// headers to store.
func (o *attemptOp) values() (delivered, next *time.Time, headers http.Header) {
	r, a := o.r, o.r.Attempt
	o.at = a.StartedAt.UTC().Truncate(time.Microsecond)
	if r.Status == herald.DeliverySuccess {
		delivered = &o.at
	}
	if r.NextAttemptAt != nil && r.Status == herald.DeliveryPending {
		next = r.NextAttemptAt
	}
	a.ID = o.attemptID()
	headers = a.ResponseHeaders
	if headers == nil {
		headers = http.Header{}
	}
	return delivered, next, headers
}

func (o *attemptOp) queue(b *pgx.Batch) {
	r, a := o.r, o.r.Attempt
	delivered, next, headers := o.values()
	b.Queue(`WITH d AS (
			UPDATE deliveries SET attempts = attempts + 1, status = $1,
				response_status_code = $2, error_message = $3, last_attempt_at = $4, next_attempt_at = $5,
				delivered_at = coalesce($6, delivered_at)
			WHERE id = $7 RETURNING `+deliveryColumns+`
		), a AS (
			INSERT INTO attempts (id, tenant_id, webhook_id, delivery_id, number, started_at, duration_ms,
				status_code, response_headers, response_body, error, success)
			SELECT $8, d.tenant_id, d.webhook_id, d.id, d.attempts, $4, $9, $2, $10, $11, $3, $12 FROM d
		)
		SELECT `+deliveryColumns+` FROM d`,
		r.Status, a.StatusCode, escapeText(a.Error), o.at, next, delivered, r.DeliveryID,
		a.ID, a.DurationMS, headers, escapeText(a.ResponseBody), a.Success)
	if o.settles() {
		// The delivery's new status is visible to this later statement, so
		// the first pending delivery of the line is the one behind it.
		b.Queue(`UPDATE deliveries SET held = false WHERE id = (
				SELECT id FROM deliveries WHERE webhook_id = $1 AND ordering_key = $2 AND status = 'pending'
				ORDER BY seq LIMIT 1
			) AND held AND EXISTS (SELECT 1 FROM deliveries WHERE id = $3 AND status <> 'pending')
			RETURNING id`, r.Line.WebhookID, r.Line.Key, r.DeliveryID)
	}
}

func (o *attemptOp) read(br pgx.BatchResults) error {
	d, err := scanDelivery(br.QueryRow())
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("update delivery: %w", err)
	}
	o.d = d
	if o.settles() {
		err := br.QueryRow().Scan(&o.released)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("release delivery: %w", err)
		}
	}
	return nil
}

func (o *attemptOp) after(context.Context, pgx.Tx) (effects, error, error) {
	if o.d == nil {
		return effects{}, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", o.r.DeliveryID), nil
	}
	a := o.r.Attempt
	a.DeliveryID, a.Number = o.r.DeliveryID, o.d.Attempts
	e := effects{touches: []touch{{webhookID: o.d.WebhookID, at: o.at, success: a.Success}}}
	if o.released != "" {
		e.jobs = []river.InsertManyParams{queue.DeliveryJob(o.released, time.Time{})}
	}
	return e, nil, nil
}

// RetryDelivery makes a delivery of webhook p.WebhookID within p.Tenancy
// pending again and queues an attempt now, in one transaction.
func (s *DB) RetryDelivery(ctx context.Context, p herald.RetryParams) (*herald.Delivery, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin retry: %w", err)
	}
	defer tx.Rollback(context.Background())
	c := conds{args: []any{herald.DeliveryPending, now}}
	c.eq("id", p.DeliveryID)
	c.eq("webhook_id", p.WebhookID)
	c.tenancy("tenant_id", p.Tenancy)
	d, err := scanDelivery(tx.QueryRow(ctx, `UPDATE deliveries SET status = $1, next_attempt_at = $2 `+c.where()+
		` RETURNING `+deliveryColumns, c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q of webhook %q not found", p.DeliveryID, p.WebhookID)
	} else if err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	if _, err := s.river.InsertManyTx(ctx, tx, []river.InsertManyParams{queue.DeliveryJob(p.DeliveryID, time.Time{})}); err != nil {
		return nil, fmt.Errorf("queue delivery: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit retry: %w", err)
	}
	return d, nil
}
