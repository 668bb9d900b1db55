package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

const operationColumns = `id, tenant_id, kind, status, webhook_id, event_id, webhook_ids, since, until, total, done,
	cursor, error, created_at, updated_at, finished_at`

func scanOperation(row scanner) (*herald.Operation, error) {
	var (
		o                herald.Operation
		ids              string
		since, until     sql.NullInt64
		total            sql.NullInt64
		created, updated int64
		finished         sql.NullInt64
	)
	if err := row.Scan(&o.ID, &o.TenantID, &o.Kind, &o.Status, &o.WebhookID, &o.EventID, &ids, &since, &until, &total,
		&o.Done, &o.Cursor, &o.Error, &created, &updated, &finished); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ids), &o.WebhookIDs); err != nil {
		return nil, fmt.Errorf("decode webhook ids: %w", err)
	}
	if total.Valid {
		n := int(total.Int64)
		o.Total = &n
	}
	o.Since, o.Until, o.FinishedAt = fromNull(since), fromNull(until), fromNull(finished)
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, nil
}

// CreateOperation counts what the operation would queue, through the
// reader pool, then stores it and queues its job in one transaction.
func (s *DB) CreateOperation(ctx context.Context, p herald.CreateOperationParams) (*herald.Operation, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC()
	limit := p.Max
	if limit <= 0 {
		limit = herald.MaxOperationRows
	}
	o := &herald.Operation{ID: herald.NewID(herald.PrefixOperation, now), Kind: p.Kind, Status: herald.OperationQueued,
		TenantID: p.TenantID, WebhookID: p.WebhookID, EventID: p.EventID, WebhookIDs: p.WebhookIDs, CreatedAt: now, UpdatedAt: now}
	if o.WebhookIDs == nil {
		o.WebhookIDs = []string{}
	}
	slices.Sort(o.WebhookIDs)
	o.WebhookIDs = slices.Compact(o.WebhookIDs)
	if p.Kind != herald.OperationReplay {
		until := p.Until
		if until.IsZero() {
			until = now
		}
		since := p.Since.UTC()
		until = until.UTC()
		o.Since, o.Until = &since, &until
	}
	n, err := s.countOperation(ctx, o, limit)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, herald.Errorf(herald.EINVALID, "since: the window holds more than %d deliveries to send, the most one operation may queue; narrow it with since and until", limit)
	}
	o.Total = &n
	ids, _ := json.Marshal(o.WebhookIDs)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin create operation: %w", err)
	}
	defer tx.Rollback()
	if err := checkTenant(ctx, tx, o.TenantID); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO operations (`+operationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', ?, ?, NULL)`,
		o.ID, string(o.TenantID), o.Kind, o.Status, o.WebhookID, o.EventID, string(ids), microsPtr(o.Since), microsPtr(o.Until),
		n, micros(now), micros(now)); err != nil {
		return nil, fmt.Errorf("insert operation: %w", err)
	}
	if _, err := s.river.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: p.Job(o.ID)}}); err != nil {
		return nil, fmt.Errorf("queue operation: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit create operation: %w", err)
	}
	s.driver.wake([]river.InsertManyParams{{Args: p.Job(o.ID)}})
	return o, nil
}

// countOperation counts what o would queue, stopping past limit.
func (s *DB) countOperation(ctx context.Context, o *herald.Operation, limit int) (int, error) {
	switch o.Kind {
	case herald.OperationRecover:
		if _, err := opWebhook(ctx, s.rdb, o); err != nil {
			return 0, err
		}
		var n int
		err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE webhook_id = ? AND status = 'failed'
			AND last_attempt_at >= ? AND last_attempt_at < ?`, o.WebhookID, micros(*o.Since), micros(*o.Until)).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count failed deliveries: %w", err)
		}
		return n, nil
	case herald.OperationReplay:
		ev, err := opEvent(ctx, s.rdb, o)
		if err != nil {
			return 0, err
		}
		ts, _, _, err := replayTargets(ctx, s.rdb, o, ev, "", -1)
		return len(ts), err
	case herald.OperationReplayMissing:
		w, err := opWebhook(ctx, s.rdb, o)
		if err != nil {
			return 0, err
		}
		n, cursor := 0, ""
		for {
			evs, last, scanned, err := missingEvents(ctx, s.rdb, o, w, cursor, 5000)
			if err != nil {
				return 0, err
			}
			n += len(evs)
			if scanned < 5000 || n > limit {
				return n, nil
			}
			cursor = last
		}
	}
	return 0, herald.Errorf(herald.EINVALID, "kind: must be %q, %q or %q", herald.OperationRecover, herald.OperationReplay, herald.OperationReplayMissing)
}

// opWebhook reads the webhook of a recover or replay_missing, owned by the
// operation's tenant.
func opWebhook(ctx context.Context, q querier, o *herald.Operation) (*herald.Webhook, error) {
	w, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ? AND tenant_id = ?`,
		o.WebhookID, string(o.TenantID)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", o.WebhookID)
	} else if err != nil {
		return nil, fmt.Errorf("select webhook: %w", err)
	}
	return w, nil
}

// opEvent reads the event of a replay, owned by the operation's tenant.
func opEvent(ctx context.Context, q querier, o *herald.Operation) (*herald.Event, error) {
	ev, err := scanEvent(q.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? AND tenant_id = ?`,
		o.EventID, string(o.TenantID)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", o.EventID)
	} else if err != nil {
		return nil, fmt.Errorf("select event: %w", err)
	}
	return ev, nil
}

// replayTargets returns the active webhooks after the id cursor, at most
// limit of them read (negative: all), that a replay of ev goes to: the
// named ones the event may reach, or every matching one. It returns the
// last id read and how many were read.
func replayTargets(ctx context.Context, q querier, o *herald.Operation, ev *herald.Event, cursor string, limit int) ([]target, string, int, error) {
	cond := reaches + ` AND is_active = 1 AND id > ?2`
	args := []any{string(ev.TenantID), cursor}
	if len(o.WebhookIDs) > 0 {
		cond += ` AND id IN (SELECT value FROM json_each(?3))`
		ids, _ := json.Marshal(o.WebhookIDs)
		args = append(args, string(ids))
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name, events, agent_id, tenant_id, ordering FROM webhooks WHERE `+cond+
		` ORDER BY id LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, "", 0, fmt.Errorf("select webhooks: %w", err)
	}
	defer rows.Close()
	var (
		out     []target
		last    string
		scanned int
	)
	for rows.Next() {
		var (
			w      = herald.Webhook{IsActive: true}
			events string
		)
		if err := rows.Scan(&w.ID, &w.Name, &events, &w.AgentID, &w.TenantID, &w.Ordering); err != nil {
			return nil, "", 0, fmt.Errorf("scan webhook: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
			return nil, "", 0, fmt.Errorf("decode events: %w", err)
		}
		last, scanned = w.ID, scanned+1
		if len(o.WebhookIDs) > 0 || w.Matches(ev.Type, ev.AgentID()) {
			out = append(out, target{w.ID, w.Name, string(w.TenantID), w.Ordering})
		}
	}
	return out, last, scanned, rows.Err()
}

// missingEvents returns the events of o's window after the seq cursor, at
// most limit of them read, that w matches and may receive but has no
// delivery of. It returns the last seq read and how many were read.
func missingEvents(ctx context.Context, q querier, o *herald.Operation, w *herald.Webhook, cursor string, limit int) ([]*herald.Event, string, int, error) {
	after, _ := strconv.ParseInt(cursor, 10, 64)
	cond := `e.seq > ? AND e.created_at >= ? AND e.created_at < ?`
	args := []any{after, micros(*o.Since), micros(*o.Until)}
	switch {
	case w.TenantID != "":
		cond += ` AND e.tenant_id = ?`
		args = append(args, string(w.TenantID))
	case !w.AllTenants:
		cond += ` AND e.tenant_id = ''`
	}
	rows, err := q.QueryContext(ctx, `SELECT e.seq, e.tenant_id, e.id, e.type, e.agent_id, e.ordering_key,
		EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.event_tenant_id = e.tenant_id AND d.webhook_id = ?)
		FROM events e WHERE `+cond+` ORDER BY e.seq LIMIT ?`, append(append([]any{w.ID}, args...), limit)...)
	if err != nil {
		return nil, "", 0, fmt.Errorf("select events: %w", err)
	}
	defer rows.Close()
	var (
		out     []*herald.Event
		last    string
		scanned int
	)
	for rows.Next() {
		var (
			seq       int64
			ev        herald.Event
			agent     string
			delivered bool
		)
		if err := rows.Scan(&seq, &ev.TenantID, &ev.ID, &ev.Type, &agent, &ev.OrderingKey, &delivered); err != nil {
			return nil, "", 0, fmt.Errorf("scan event: %w", err)
		}
		last, scanned = strconv.FormatInt(seq, 10), scanned+1
		if !delivered && w.Matches(ev.Type, agent) {
			out = append(out, &ev)
		}
	}
	return out, last, scanned, rows.Err()
}

// Operation returns one operation within ref.Tenancy.
func (s *DB) Operation(ctx context.Context, ref herald.Ref) (*herald.Operation, error) {
	q := confined("tenant_id", ref.Tenancy).and("id = ?", ref.ID)
	o, err := scanOperation(s.rdb.QueryRowContext(ctx, `SELECT `+operationColumns+` FROM operations `+q.String(), q.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "operation %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select operation: %w", err)
	}
	return o, nil
}

// ListOperations returns a page of operations within f.Tenancy, newest
// first, and the total.
func (s *DB) ListOperations(ctx context.Context, f herald.OperationFilter) ([]*herald.Operation, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	return listPage(ctx, s, pageQuery{table: "operations", cols: operationColumns, where: q.String(), args: q.args,
		order: "seq DESC", skip: skip, limit: limit}, scanOperation)
}

// RunOperationBatch runs the next batch of an operation in one
// transaction of the single writer.
func (s *DB) RunOperationBatch(ctx context.Context, p herald.OperationBatchParams) (*herald.Operation, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC()
	limit := p.Limit
	if limit <= 0 {
		limit = herald.DefaultOperationBatch
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin operation batch: %w", err)
	}
	defer tx.Rollback()
	q := confined("tenant_id", p.Ref.Tenancy).and("id = ?", p.Ref.ID)
	o, err := scanOperation(tx.QueryRowContext(ctx, `SELECT `+operationColumns+` FROM operations `+q.String(), q.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "operation %q not found", p.Ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select operation: %w", err)
	}
	if o.Finished() {
		return o, nil
	}
	var (
		jobs    []river.InsertManyParams
		cursor  = o.Cursor
		scanned int
		failure string
	)
	switch o.Kind {
	case herald.OperationRecover:
		var w *herald.Webhook
		if w, failure, err = activeWebhook(ctx, tx, o); err != nil || w == nil {
			break
		}
		jobs, cursor, scanned, err = recoverBatch(ctx, tx, o, limit, now)
	case herald.OperationReplay:
		ev, err2 := opEvent(ctx, tx, o)
		if herald.ErrorCode(err2) == herald.ENOTFOUND {
			failure = fmt.Sprintf("event %q was deleted", o.EventID)
			break
		} else if err = err2; err != nil {
			break
		}
		var ts []target
		if ts, cursor, scanned, err = replayTargets(ctx, tx, o, ev, o.Cursor, limit); err != nil {
			break
		}
		for _, t := range ts {
			id, err2 := insertDelivery(ctx, tx, t, ev, now)
			if err = err2; err != nil {
				break
			}
			jobs = append(jobs, queue.DeliveryJob(id, time.Time{}))
		}
	case herald.OperationReplayMissing:
		var w *herald.Webhook
		if w, failure, err = activeWebhook(ctx, tx, o); err != nil || w == nil {
			break
		}
		var evs []*herald.Event
		if evs, cursor, scanned, err = missingEvents(ctx, tx, o, w, o.Cursor, limit); err != nil {
			break
		}
		for _, ev := range evs {
			id, err2 := insertDelivery(ctx, tx, target{w.ID, w.Name, string(w.TenantID), w.Ordering}, ev, now)
			if err = err2; err != nil {
				break
			}
			jobs = append(jobs, queue.DeliveryJob(id, time.Time{}))
		}
	}
	if err != nil {
		return nil, err
	}
	if cursor == "" {
		cursor = o.Cursor
	}
	o.Status, o.Cursor, o.Done, o.UpdatedAt = herald.OperationRunning, cursor, o.Done+len(jobs), now
	switch {
	case failure != "":
		o.Status, o.Error, o.FinishedAt = herald.OperationFailed, failure, &now
	case scanned < limit:
		o.Status, o.FinishedAt = herald.OperationSucceeded, &now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE operations SET status = ?, cursor = ?, done = ?, error = ?, updated_at = ?,
		finished_at = ? WHERE id = ?`, o.Status, o.Cursor, o.Done, o.Error, micros(now), microsPtr(o.FinishedAt), o.ID); err != nil {
		return nil, fmt.Errorf("update operation: %w", err)
	}
	if len(jobs) > 0 {
		if _, err := s.river.InsertManyTx(ctx, tx, jobs); err != nil {
			return nil, fmt.Errorf("queue deliveries: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit operation batch: %w", err)
	}
	s.driver.wake(jobs)
	return o, nil
}

// activeWebhook reads the webhook of o, or says why o fails: it was
// deleted or is off.
func activeWebhook(ctx context.Context, q querier, o *herald.Operation) (*herald.Webhook, string, error) {
	w, err := opWebhook(ctx, q, o)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, fmt.Sprintf("webhook %q was deleted", o.WebhookID), nil
	} else if err != nil {
		return nil, "", err
	}
	if !w.IsActive {
		return nil, fmt.Sprintf("webhook %q is disabled", o.WebhookID), nil
	}
	return w, "", nil
}

// recoverBatch makes the next failed deliveries of o's window pending
// again and returns their jobs, the last seq read and how many it read.
func recoverBatch(ctx context.Context, tx *sql.Tx, o *herald.Operation, limit int, now time.Time) ([]river.InsertManyParams, string, int, error) {
	after, _ := strconv.ParseInt(o.Cursor, 10, 64)
	rows, err := tx.QueryContext(ctx, `SELECT seq, id FROM deliveries WHERE webhook_id = ? AND status = 'failed'
		AND last_attempt_at >= ? AND last_attempt_at < ? AND seq > ? ORDER BY seq LIMIT ?`,
		o.WebhookID, micros(*o.Since), micros(*o.Until), after, limit)
	if err != nil {
		return nil, "", 0, fmt.Errorf("select failed deliveries: %w", err)
	}
	var (
		ids  []string
		last int64
	)
	for rows.Next() {
		var id string
		if err := rows.Scan(&last, &id); err != nil {
			rows.Close()
			return nil, "", 0, fmt.Errorf("scan delivery: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", 0, fmt.Errorf("select failed deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil, "", 0, nil
	}
	list, _ := json.Marshal(ids)
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'pending', next_attempt_at = ?
		WHERE id IN (SELECT value FROM json_each(?))`, micros(now), string(list)); err != nil {
		return nil, "", 0, fmt.Errorf("update deliveries: %w", err)
	}
	jobs := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		jobs[i] = queue.DeliveryJob(id, time.Time{})
	}
	return jobs, strconv.FormatInt(last, 10), len(ids), nil
}

// insertDelivery inserts a pending delivery of ev to the webhook t, made
// at now, and returns its id.
func insertDelivery(ctx context.Context, tx *sql.Tx, t target, ev *herald.Event, now time.Time) (string, error) {
	id := herald.NewID(herald.PrefixDelivery, now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, tenant_id, webhook_id, event_tenant_id, event_id,
		event_type, webhook_name, status, created_at, next_attempt_at, ordering_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, t.tenant, t.id, string(ev.TenantID), ev.ID, ev.Type, t.name, herald.DeliveryPending, micros(now), micros(now),
		herald.LineKey(t.ordering, ev.OrderingKey)); err != nil {
		return "", fmt.Errorf("insert delivery: %w", err)
	}
	return id, nil
}

// FailOperation ends an unfinished operation within p.Ref.Tenancy as
// failed.
func (s *DB) FailOperation(ctx context.Context, p herald.FailOperationParams) (*herald.Operation, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	q := confined("tenant_id", p.Ref.Tenancy).and("id = ?", p.Ref.ID)
	if _, err := s.db.ExecContext(ctx, `UPDATE operations SET status = ?, error = ?, updated_at = ?, finished_at = ? `+
		q.String()+` AND status IN ('queued', 'running')`,
		append([]any{herald.OperationFailed, p.Error, micros(now), micros(now)}, q.args...)...); err != nil {
		return nil, fmt.Errorf("update operation: %w", err)
	}
	return s.Operation(ctx, p.Ref)
}
