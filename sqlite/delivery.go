package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

const deliveryColumns = `id, tenant_id, webhook_id, event_id, event_type, status, attempts, response_status_code,
	error_message, created_at, last_attempt_at, next_attempt_at, delivered_at`

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func queryDeliveries(ctx context.Context, q querier, tail string, args ...any) ([]*herald.Delivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries `+tail, args...)
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
	return out, rows.Err()
}

func scanDelivery(row scanner) (*herald.Delivery, error) {
	var (
		d                 herald.Delivery
		code              sql.NullInt64
		created           int64
		last, next, deliv sql.NullInt64
	)
	if err := row.Scan(&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.Event, &d.Status, &d.Attempts, &code,
		&d.ErrorMessage, &created, &last, &next, &deliv); err != nil {
		return nil, err
	}
	if code.Valid {
		c := int(code.Int64)
		d.ResponseStatusCode = &c
	}
	d.Success = d.Status == herald.DeliverySuccess
	d.CreatedAt = fromMicros(created)
	d.LastAttemptAt, d.NextAttemptAt, d.DeliveredAt = fromNull(last), fromNull(next), fromNull(deliv)
	return &d, nil
}

// Delivery returns one delivery within ref.Tenancy with its attempts.
func (s *DB) Delivery(ctx context.Context, ref herald.Ref) (*herald.Delivery, error) {
	id := ref.ID
	q := confined("tenant_id", ref.Tenancy).and("id = ?", id)
	d, err := scanDelivery(s.rdb.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries `+q.String(), q.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select delivery: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, delivery_id, number, started_at, duration_ms, status_code,
		response_headers, response_body, error, success FROM attempts WHERE delivery_id = ? ORDER BY number`, id)
	if err != nil {
		return nil, fmt.Errorf("select attempts: %w", err)
	}
	defer rows.Close()
	d.AttemptList = []*herald.Attempt{}
	for rows.Next() {
		var (
			a       herald.Attempt
			started int64
			code    sql.NullInt64
			headers string
		)
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Number, &started, &a.DurationMS, &code, &headers,
			&a.ResponseBody, &a.Error, &a.Success); err != nil {
			return nil, fmt.Errorf("scan attempt: %w", err)
		}
		a.StartedAt = fromMicros(started)
		if code.Valid {
			c := int(code.Int64)
			a.StatusCode = &c
		}
		if err := json.Unmarshal([]byte(headers), &a.ResponseHeaders); err != nil {
			return nil, fmt.Errorf("decode response headers: %w", err)
		}
		d.AttemptList = append(d.AttemptList, &a)
	}
	return d, rows.Err()
}

// ListDeliveries returns a page of deliveries within f.Tenancy, newest
// first, and the total.
func (s *DB) ListDeliveries(ctx context.Context, f herald.DeliveryFilter) ([]*herald.Delivery, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	if f.WebhookID != "" {
		q.and("webhook_id = ?", f.WebhookID)
	}
	if f.EventID != "" {
		q.and("event_id = ?", f.EventID)
	}
	if f.Event != "" {
		q.and("event_type = ?", f.Event)
	}
	if f.Success != nil {
		if *f.Success {
			q.and("status = 'success'")
		} else {
			q.and("status <> 'success'")
		}
	}
	if f.Status != "" {
		q.and("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		q.and("created_at >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		q.and("created_at < ?", micros(f.Until))
	}
	var total int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM deliveries `+q.String(), q.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count deliveries: %w", err)
	}
	out, err := queryDeliveries(ctx, s.rdb, q.String()+` ORDER BY seq DESC LIMIT ? OFFSET ?`, append(q.args, limit, skip)...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// DeliveryTask loads a delivery within ref.Tenancy with its webhook and
// event, in one query.
func (s *DB) DeliveryTask(ctx context.Context, ref herald.Ref) (*herald.DeliveryTask, error) {
	deliveryID := ref.ID
	q := confined("d.tenant_id", ref.Tenancy).and("d.id = ?", deliveryID)
	row := s.rdb.QueryRowContext(ctx, `SELECT d.tenant_id, d.webhook_name, d.status, d.attempts, d.seq, d.ordering_key,
		e.tenant_id, e.id, e.type, e.data, e.created_at, e.ordering_key,
		w.id, w.tenant_id, w.all_tenants, w.name, w.description, w.url, w.events, w.agent_id, w.is_active, w.secret,
		w.headers, w.timeout_seconds, w.max_retries, w.retry_schedule, w.verify_ssl, w.signature_header,
		w.signature_format, w.created_at, w.updated_at, w.last_triggered_at, w.last_success_at, w.last_failure_at,
		w.previous_secrets, w.secret_rotated_at, w.disabled_reason, w.disabled_at, w.enabled_at,
		w.rate_limit_requests, w.rate_limit_per_us, w.ordering
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		JOIN events e ON e.id = d.event_id AND e.tenant_id = d.event_tenant_id `+q.String(), q.args...)
	t := herald.DeliveryTask{Delivery: &herald.Delivery{ID: deliveryID}, Event: &herald.Event{}}
	var (
		data    string
		created int64
		seq     int64
		line    sql.NullString
	)
	w, err := scanWebhookAfter(row, &t.Delivery.TenantID, &t.WebhookName, &t.Delivery.Status, &t.Delivery.Attempts,
		&seq, &line, &t.Event.TenantID, &t.Event.ID, &t.Event.Type, &data, &created, &t.Event.OrderingKey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", deliveryID)
	} else if err != nil {
		return nil, fmt.Errorf("select delivery task: %w", err)
	}
	t.Webhook = w
	t.Delivery.WebhookID, t.Delivery.EventID, t.Delivery.Event = w.ID, t.Event.ID, t.Event.Type
	t.Event.Data, t.Event.Created = json.RawMessage(data), fromMicros(created)
	if line.Valid {
		t.Turn = &herald.TurnParams{Tenancy: ref.Tenancy, DeliveryID: deliveryID, Seq: seq,
			Line: herald.Line{WebhookID: w.ID, Key: line.String}}
	}
	return &t, nil
}

// RecordAttempt stores an attempt and its outcome in one transaction,
// shared with concurrent writes (see groupWriter). Attempts that settle no
// ordered delivery are recorded together with the others of their group.
func (s *DB) RecordAttempt(ctx context.Context, r herald.AttemptResult) (*herald.Delivery, error) {
	aw := &attemptWrite{r: r}
	op := &writeOp{fn: func(ctx context.Context, tx *sql.Tx) (effects, error) {
		aw.d = nil
		d, t, err := recordAttempt(ctx, tx, r)
		if err != nil {
			return effects{}, err
		}
		aw.d = d
		e := effects{touches: []touch{t}}
		if r.Line != nil && d.Status != herald.DeliveryPending {
			e.jobs, err = releaseNext(ctx, tx, *r.Line)
		}
		return e, err
	}}
	if r.Line == nil || r.Status == herald.DeliveryPending {
		op.attempt = aw
	}
	if err := s.writer.writes.Do(ctx, op); err != nil {
		return nil, err
	}
	return aw.d, nil
}

// attemptWrite is a recorded attempt in a group, and once it has run the
// delivery it updated (nil when gone).
type attemptWrite struct {
	r herald.AttemptResult
	d *herald.Delivery
}

// notFound is the error of an attempt whose delivery is gone.
func notFound(deliveryID string) error {
	return herald.Errorf(herald.ENOTFOUND, "delivery %q not found", deliveryID)
}

// padRows is the number of rows, n or more, that a multi-row statement of
// n rows is written with: the next power of two. The rows added are all
// NULL and match nothing, and the statements of groups of any size take a
// handful of texts, each prepared once per connection (see cachingConn).
func padRows(n int) int { return 1 << bits.Len(uint(max(n, 1)-1)) }

// padValues adds all-NULL rows shaped like row to values, a VALUES list of
// n rows, up to padRows(n), and their arguments to args.
func padValues(values *strings.Builder, args []any, n int, row string) []any {
	extra := padRows(n) - n
	for range extra {
		values.WriteString(", " + row)
	}
	return append(args, make([]any, extra*strings.Count(row, "?"))...)
}

// The rows of recordAttempts' UPDATE and INSERT.
const (
	attemptUpdateRow = "(?, ?, ?, ?, ?, ?, ?)"
	attemptInsertRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

// recordAttempts records the attempts ws, of distinct deliveries, in tx
// with two statements for all: one UPDATE of their deliveries and one
// INSERT of the attempts. It sets each one's delivery (nil when gone: that
// one changes nothing) and returns how the webhooks' timestamps move.
func recordAttempts(ctx context.Context, tx *sql.Tx, ws []*attemptWrite) ([]touch, error) {
	var (
		values strings.Builder
		args   = make([]any, 0, 7*len(ws))
		byID   = make(map[string]*attemptWrite, len(ws))
	)
	for i, w := range ws {
		w.d = nil
		r, a := w.r, w.r.Attempt
		at := micros(a.StartedAt)
		var delivered, next any
		if r.Status == herald.DeliverySuccess {
			delivered = at
		}
		if r.NextAttemptAt != nil && r.Status == herald.DeliveryPending {
			next = micros(*r.NextAttemptAt)
		}
		if i > 0 {
			values.WriteString(", ")
		}
		values.WriteString(attemptUpdateRow)
		args = append(args, r.DeliveryID, r.Status, a.StatusCode, a.Error, at, next, delivered)
		byID[r.DeliveryID] = w
	}
	args = padValues(&values, args, len(ws), attemptUpdateRow)
	// VALUES names its columns column1 to column7, in the order above.
	rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, status = v.column2,
		response_status_code = v.column3, error_message = v.column4, last_attempt_at = v.column5,
		next_attempt_at = v.column6, delivered_at = coalesce(v.column7, delivered_at)
		FROM (VALUES `+values.String()+`) AS v WHERE deliveries.id = v.column1 RETURNING `+deliveryColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("update deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		byID[d.ID].d = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("update deliveries: %w", err)
	}
	rows.Close()

	values.Reset()
	args = args[:0]
	touches := make([]touch, 0, len(ws))
	for _, w := range ws {
		if w.d == nil {
			continue
		}
		a := w.r.Attempt
		a.Number, a.DeliveryID = w.d.Attempts, w.r.DeliveryID
		if a.ID == "" {
			a.ID = herald.NewID(herald.PrefixAttempt, a.StartedAt)
		}
		headers, _ := json.Marshal(nonNilHeader(a.ResponseHeaders))
		if len(args) > 0 {
			values.WriteString(", ")
		}
		values.WriteString(attemptInsertRow)
		at := micros(a.StartedAt)
		args = append(args, a.ID, string(w.d.TenantID), w.d.WebhookID, a.DeliveryID, a.Number, at, a.DurationMS, a.StatusCode,
			string(headers), a.ResponseBody, a.Error, a.Success)
		touches = append(touches, touch{webhookID: w.d.WebhookID, at: at, success: a.Success})
	}
	if len(args) == 0 {
		return touches, nil
	}
	args = padValues(&values, args, len(touches), attemptInsertRow)
	if _, err := tx.ExecContext(ctx, `INSERT INTO attempts (id, tenant_id, webhook_id, delivery_id, number, started_at,
		duration_ms, status_code, response_headers, response_body, error, success)
		SELECT * FROM (VALUES `+values.String()+`) WHERE column1 IS NOT NULL`, args...); err != nil {
		return nil, fmt.Errorf("insert attempts: %w", err)
	}
	return touches, nil
}

// recordAttempt updates the delivery and inserts the attempt in tx, and
// returns how the webhook's last_* timestamps move (the group applies that
// before it commits).
func recordAttempt(ctx context.Context, tx *sql.Tx, r herald.AttemptResult) (*herald.Delivery, touch, error) {
	a := r.Attempt
	at := micros(a.StartedAt)
	var delivered any
	if r.Status == herald.DeliverySuccess {
		delivered = at
	}
	var next any
	if r.NextAttemptAt != nil && r.Status == herald.DeliveryPending {
		next = micros(*r.NextAttemptAt)
	}
	d, err := scanDelivery(tx.QueryRowContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, status = ?,
		response_status_code = ?, error_message = ?, last_attempt_at = ?, next_attempt_at = ?,
		delivered_at = coalesce(?, delivered_at)
		WHERE id = ? RETURNING `+deliveryColumns,
		r.Status, a.StatusCode, a.Error, at, next, delivered, r.DeliveryID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, touch{}, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", r.DeliveryID)
	} else if err != nil {
		return nil, touch{}, fmt.Errorf("update delivery: %w", err)
	}
	a.Number = d.Attempts
	if a.ID == "" {
		a.ID = herald.NewID(herald.PrefixAttempt, a.StartedAt)
	}
	a.DeliveryID = r.DeliveryID
	headers, _ := json.Marshal(nonNilHeader(a.ResponseHeaders))
	if _, err := tx.ExecContext(ctx, `INSERT INTO attempts (id, tenant_id, webhook_id, delivery_id, number, started_at,
		duration_ms, status_code, response_headers, response_body, error, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, string(d.TenantID), d.WebhookID, a.DeliveryID, a.Number, at, a.DurationMS, a.StatusCode, string(headers), a.ResponseBody, a.Error, a.Success); err != nil {
		return nil, touch{}, fmt.Errorf("insert attempt: %w", err)
	}
	return d, touch{webhookID: d.WebhookID, at: at, success: a.Success}, nil
}

func nonNilHeader(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h
}

// RetryDelivery makes a delivery within p.Tenancy pending again and queues
// an attempt now.
func (s *DB) RetryDelivery(ctx context.Context, p herald.RetryParams) (*herald.Delivery, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin retry: %w", err)
	}
	defer tx.Rollback()
	q := confined("tenant_id", p.Tenancy).and("id = ?", p.DeliveryID).and("webhook_id = ?", p.WebhookID)
	res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, next_attempt_at = ? `+q.String(),
		append([]any{herald.DeliveryPending, micros(now)}, q.args...)...)
	if err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q of webhook %q not found", p.DeliveryID, p.WebhookID)
	}
	if _, err := s.river.InsertManyTx(ctx, tx, []river.InsertManyParams{queue.DeliveryJob(p.DeliveryID, time.Time{})}); err != nil {
		return nil, fmt.Errorf("queue delivery: %w", err)
	}
	d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, p.DeliveryID))
	if err != nil {
		return nil, fmt.Errorf("select delivery: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit retry: %w", err)
	}
	s.driver.wake([]river.InsertManyParams{queue.DeliveryJob(p.DeliveryID, time.Time{})})
	return d, nil
}
