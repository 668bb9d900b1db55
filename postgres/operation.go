package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
)

const operationColumns = `id, tenant_id, kind, status, webhook_id, event_id, webhook_ids, since, until, total, done,
	cursor, error, created_at, updated_at, finished_at`

func scanOperation(row scanner, after ...any) (*herald.Operation, error) {
	var (
		o     herald.Operation
		total *int32
	)
	if err := row.Scan(append([]any{&o.ID, &o.TenantID, &o.Kind, &o.Status, &o.WebhookID, &o.EventID, &o.WebhookIDs,
		&o.Since, &o.Until, &total, &o.Done, &o.Cursor, &o.Error, &o.CreatedAt, &o.UpdatedAt, &o.FinishedAt}, after...)...); err != nil {
		return nil, err
	}
	if total != nil {
		n := int(*total)
		o.Total = &n
	}
	if len(o.WebhookIDs) == 0 {
		o.WebhookIDs = nil
	}
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	o.Since, o.Until, o.FinishedAt = utc(o.Since), utc(o.Until), utc(o.FinishedAt)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// CreateOperation counts what the operation would queue, through the
// pool, then stores it and queues its job in one transaction.
func (s *DB) CreateOperation(ctx context.Context, p herald.CreateOperationParams) (*herald.Operation, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	limit := p.Max
	if limit <= 0 {
		limit = herald.MaxOperationRows
	}
	o := &herald.Operation{ID: herald.NewID(herald.PrefixOperation, now), Kind: p.Kind, Status: herald.OperationQueued,
		TenantID: p.TenantID, WebhookID: p.WebhookID, EventID: p.EventID, WebhookIDs: slices.Clone(p.WebhookIDs),
		CreatedAt: now, UpdatedAt: now}
	slices.Sort(o.WebhookIDs)
	o.WebhookIDs = slices.Compact(o.WebhookIDs)
	if p.Kind != herald.OperationReplay {
		until := p.Until
		if until.IsZero() {
			until = now
		}
		since := p.Since.UTC().Truncate(time.Microsecond)
		until = until.UTC().Truncate(time.Microsecond)
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin create operation: %w", err)
	}
	defer tx.Rollback(context.Background())
	if err := checkTenant(ctx, tx, string(o.TenantID)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO operations (id, tenant_id, kind, status, webhook_id, event_id, webhook_ids,
		since, until, total, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
		o.ID, string(o.TenantID), o.Kind, o.Status, o.WebhookID, o.EventID, nonNil(o.WebhookIDs), o.Since, o.Until, n, now); err != nil {
		return nil, fmt.Errorf("insert operation: %w", err)
	}
	if _, err := s.river.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: p.Job(o.ID)}}); err != nil {
		return nil, fmt.Errorf("queue operation: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit create operation: %w", err)
	}
	return o, nil
}

// countOperation counts what o would queue, stopping past limit.
func (s *DB) countOperation(ctx context.Context, o *herald.Operation, limit int) (int, error) {
	switch o.Kind {
	case herald.OperationRecover:
		if _, err := opWebhook(ctx, s.pool, o); err != nil {
			return 0, err
		}
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND status = 'failed'
			AND last_attempt_at >= $2 AND last_attempt_at < $3`, o.WebhookID, *o.Since, *o.Until).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count failed deliveries: %w", err)
		}
		return n, nil
	case herald.OperationReplay:
		ev, err := opEvent(ctx, s.pool, o)
		if err != nil {
			return 0, err
		}
		ids, _, _, err := replayTargets(ctx, s.pool, o, ev, "", 0)
		return len(ids), err
	case herald.OperationReplayMissing:
		w, err := opWebhook(ctx, s.pool, o)
		if err != nil {
			return 0, err
		}
		n, cursor := 0, ""
		for {
			evs, last, scanned, err := missingEvents(ctx, s.pool, o, w, cursor, 5000)
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
	w, err := scanWebhook(q.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1 AND tenant_id = $2`,
		o.WebhookID, string(o.TenantID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", o.WebhookID)
	} else if err != nil {
		return nil, fmt.Errorf("select webhook: %w", err)
	}
	return w, nil
}

// opEvent reads the event of a replay, owned by the operation's tenant.
func opEvent(ctx context.Context, q querier, o *herald.Operation) (*herald.Event, error) {
	ev, err := scanEvent(q.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE tenant_id = $1 AND id = $2`,
		string(o.TenantID), o.EventID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", o.EventID)
	} else if err != nil {
		return nil, fmt.Errorf("select event: %w", err)
	}
	return ev, nil
}

// replayTargets returns the ids of the active webhooks after the id
// cursor, at most limit of them read (0: all), that a replay of ev goes
// to: the named ones the event may reach, or every matching one. It
// returns the last id read and how many were read.
func replayTargets(ctx context.Context, q querier, o *herald.Operation, ev *herald.Event, cursor string, limit int) ([]string, string, int, error) {
	c := conds{args: []any{string(ev.TenantID)}}
	c.add(`is_active AND ` + reachesEvent("$1"))
	c.add("id > " + c.arg(cursor))
	if len(o.WebhookIDs) > 0 {
		c.add("id = ANY(" + c.arg(o.WebhookIDs) + ")")
	}
	tail := ""
	if limit > 0 {
		tail = " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := q.Query(ctx, `SELECT id, events, agent_id FROM webhooks `+c.where()+` ORDER BY id`+tail, c.args...)
	if err != nil {
		return nil, "", 0, fmt.Errorf("select webhooks: %w", err)
	}
	defer rows.Close()
	var (
		out     []string
		last    string
		scanned int
	)
	for rows.Next() {
		w := herald.Webhook{IsActive: true}
		if err := rows.Scan(&w.ID, &w.Events, &w.AgentID); err != nil {
			return nil, "", 0, fmt.Errorf("scan webhook: %w", err)
		}
		last, scanned = w.ID, scanned+1
		if len(o.WebhookIDs) > 0 || w.Matches(ev.Type, ev.AgentID()) {
			out = append(out, w.ID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", 0, fmt.Errorf("select webhooks: %w", err)
	}
	return out, last, scanned, nil
}

// missingEvents returns the events of o's window after the seq cursor, at
// most limit of them read, that w matches and may receive but has no
// delivery of. It returns the last seq read and how many were read.
func missingEvents(ctx context.Context, q querier, o *herald.Operation, w *herald.Webhook, cursor string, limit int) ([]*herald.Event, string, int, error) {
	after, _ := strconv.ParseInt(cursor, 10, 64)
	c := conds{args: []any{w.ID}}
	c.add("e.seq > " + c.arg(after))
	c.add("e.created_at >= " + c.arg(*o.Since))
	c.add("e.created_at < " + c.arg(*o.Until))
	switch {
	case w.TenantID != "":
		c.eq("e.tenant_id", string(w.TenantID))
	case !w.AllTenants:
		c.add("e.tenant_id = ''")
	}
	rows, err := q.Query(ctx, `SELECT e.seq, e.tenant_id, e.id, e.type, e.agent_id, e.ordering_key,
		EXISTS (SELECT 1 FROM deliveries d WHERE d.event_tenant_id = e.tenant_id AND d.event_id = e.id AND d.webhook_id = $1)
		FROM events e `+c.where()+` ORDER BY e.seq LIMIT `+strconv.Itoa(limit), c.args...)
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
	if err := rows.Err(); err != nil {
		return nil, "", 0, fmt.Errorf("select events: %w", err)
	}
	return out, last, scanned, nil
}

// Operation returns one operation within ref.Tenancy.
func (s *DB) Operation(ctx context.Context, ref herald.Ref) (*herald.Operation, error) {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	o, err := scanOperation(s.pool.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations `+c.where(), c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
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
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	return listPage(ctx, s, pageQuery{table: "operations", cols: operationColumns, where: c.where(), args: c.args,
		order: "seq DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Operation, error) {
		return scanOperation(row, total)
	})
}

// RunOperationBatch runs the next batch of an operation in one
// transaction, holding the operation's row locked so that two runs of its
// job never take the same batch.
func (s *DB) RunOperationBatch(ctx context.Context, p herald.OperationBatchParams) (*herald.Operation, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	limit := p.Limit
	if limit <= 0 {
		limit = herald.DefaultOperationBatch
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin operation batch: %w", err)
	}
	defer tx.Rollback(context.Background())
	var c conds
	c.eq("id", p.Ref.ID)
	c.tenancy("tenant_id", p.Ref.Tenancy)
	o, err := scanOperation(tx.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations `+c.where()+` FOR UPDATE`, c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "operation %q not found", p.Ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select operation: %w", err)
	}
	if o.Finished() {
		return o, nil
	}
	var (
		ds      []*herald.Delivery
		cursor  string
		scanned int
		failure string
	)
	switch o.Kind {
	case herald.OperationRecover:
		var w *herald.Webhook
		if w, failure, err = activeWebhook(ctx, tx, o); err != nil || w == nil {
			break
		}
		ds, cursor, scanned, err = recoverBatch(ctx, tx, o, limit, now)
	case herald.OperationReplay:
		ev, err2 := opEvent(ctx, tx, o)
		if herald.ErrorCode(err2) == herald.ENOTFOUND {
			failure = fmt.Sprintf("event %q was deleted", o.EventID)
			break
		} else if err = err2; err != nil {
			break
		}
		var hooks []string
		if hooks, cursor, scanned, err = replayTargets(ctx, tx, o, ev, o.Cursor, limit); err != nil || len(hooks) == 0 {
			break
		}
		again := *ev
		again.Created = now
		if err = lockLines(ctx, tx, &again, hooks); err != nil {
			break
		}
		ds, err = insertDeliveries(ctx, tx, &again, hooks)
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
			ev.Created = now
			if herald.DeliveryLine(w.ID, w.Ordering, ev.OrderingKey) != nil {
				if err = lockLines(ctx, tx, ev, []string{w.ID}); err != nil {
					break
				}
			}
			made, err2 := insertDeliveries(ctx, tx, ev, []string{w.ID})
			if err = err2; err != nil {
				break
			}
			ds = append(ds, made...)
		}
	}
	if err != nil {
		return nil, err
	}
	if cursor == "" {
		cursor = o.Cursor
	}
	o.Status, o.Cursor, o.Done, o.UpdatedAt = herald.OperationRunning, cursor, o.Done+len(ds), now
	switch {
	case failure != "":
		o.Status, o.Error, o.FinishedAt = herald.OperationFailed, failure, &now
	case scanned < limit:
		o.Status, o.FinishedAt = herald.OperationSucceeded, &now
	}
	if _, err := tx.Exec(ctx, `UPDATE operations SET status = $1, cursor = $2, done = $3, error = $4, updated_at = $5,
		finished_at = $6 WHERE id = $7`, o.Status, o.Cursor, o.Done, o.Error, now, o.FinishedAt, o.ID); err != nil {
		return nil, fmt.Errorf("update operation: %w", err)
	}
	if err := s.queueDeliveries(ctx, tx, ds); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit operation batch: %w", err)
	}
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
// again, and returns them, the last seq read and how many it read.
func recoverBatch(ctx context.Context, tx pgx.Tx, o *herald.Operation, limit int, now time.Time) ([]*herald.Delivery, string, int, error) {
	after, _ := strconv.ParseInt(o.Cursor, 10, 64)
	rows, err := tx.Query(ctx, `UPDATE deliveries SET status = 'pending', next_attempt_at = $1
		WHERE id IN (SELECT id FROM deliveries WHERE webhook_id = $2 AND status = 'failed'
			AND last_attempt_at >= $3 AND last_attempt_at < $4 AND seq > $5 ORDER BY seq LIMIT $6 FOR UPDATE)
		RETURNING id, seq`, now, o.WebhookID, *o.Since, *o.Until, after, limit)
	if err != nil {
		return nil, "", 0, fmt.Errorf("update deliveries: %w", err)
	}
	var (
		ds   []*herald.Delivery
		id   string
		seq  int64
		last int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
		ds = append(ds, &herald.Delivery{ID: id})
		last = max(last, seq)
		return nil
	}); err != nil {
		return nil, "", 0, fmt.Errorf("update deliveries: %w", err)
	}
	if len(ds) == 0 {
		return nil, "", 0, nil
	}
	return ds, strconv.FormatInt(last, 10), len(ds), nil
}

// FailOperation ends an unfinished operation within p.Ref.Tenancy as
// failed.
func (s *DB) FailOperation(ctx context.Context, p herald.FailOperationParams) (*herald.Operation, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	c := conds{args: []any{herald.OperationFailed, p.Error, now.UTC().Truncate(time.Microsecond)}}
	c.eq("id", p.Ref.ID)
	c.tenancy("tenant_id", p.Ref.Tenancy)
	c.add("status IN ('queued', 'running')")
	if _, err := s.pool.Exec(ctx, `UPDATE operations SET status = $1, error = $2, updated_at = $3, finished_at = $3 `+c.where(), c.args...); err != nil {
		return nil, fmt.Errorf("update operation: %w", err)
	}
	return s.Operation(ctx, p.Ref)
}
