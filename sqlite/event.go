package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

const eventColumns = `tenant_id, id, type, data, created_at, ordering_key`

// PublishEvent stores the event for p.TenantID, which must exist, its
// deliveries and their queued jobs in one transaction, shared with
// concurrent writes (see groupWriter). An ID the tenant published before
// returns the first event with Created false.
func (s *DB) PublishEvent(ctx context.Context, p herald.PublishParams) (*herald.PublishResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC()
	var res *herald.PublishResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, herald.TenantID(p.TenantID)); err != nil {
			return effects{}, err
		}
		var (
			jobs []river.InsertManyParams
			err  error
		)
		res, jobs, err = s.publish(ctx, tx, p, now)
		return effects{jobs: jobs}, err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// publish stores an event of p.TenantID and its deliveries in tx and
// returns the jobs to queue for them. The caller has checked the tenant.
func (s *DB) publish(ctx context.Context, tx *sql.Tx, p herald.PublishParams, now time.Time) (*herald.PublishResult, []river.InsertManyParams, error) {
	if p.ID != "" {
		ev, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? AND tenant_id = ?`,
			p.ID, p.TenantID))
		if err == nil {
			ds, err := queryDeliveries(ctx, tx, `WHERE event_id = ? AND event_tenant_id = ? ORDER BY seq`, ev.ID, p.TenantID)
			if err != nil {
				return nil, nil, err
			}
			return &herald.PublishResult{Event: ev, Deliveries: ds}, nil, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("select event: %w", err)
		}
	}
	ev := &herald.Event{ID: p.ID, TenantID: herald.TenantID(p.TenantID), Type: p.Type, Data: p.Data, Created: now,
		OrderingKey: p.OrderingKey}
	if ev.ID == "" {
		ev.ID = herald.NewID(herald.PrefixEvent, now)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (tenant_id, id, type, data, created_at, ordering_key, agent_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.TenantID, ev.ID, ev.Type, string(ev.Data), micros(now), ev.OrderingKey, ev.AgentID()); err != nil {
		return nil, nil, fmt.Errorf("insert event: %w", err)
	}

	targets, err := s.targets(ctx, tx, p.WebhookID, ev)
	if p.WebhookID == "" && p.ExcludeWebhookID != "" {
		targets = slices.DeleteFunc(targets, func(t target) bool { return t.id == p.ExcludeWebhookID })
	}
	if err != nil {
		return nil, nil, err
	}
	res := &herald.PublishResult{Event: ev, Created: true, Deliveries: make([]*herald.Delivery, 0, len(targets))}
	jobs := make([]river.InsertManyParams, 0, len(targets))
	for chunk := range slices.Chunk(targets, maxInsertRows) {
		var (
			sql  strings.Builder
			args = make([]any, 0, len(chunk)*11)
		)
		sql.WriteString(`INSERT INTO deliveries (id, tenant_id, webhook_id, event_tenant_id, event_id, event_type,
			webhook_name, status, created_at, next_attempt_at, ordering_key) VALUES `)
		for i, t := range chunk {
			d := &herald.Delivery{
				ID: herald.NewID(herald.PrefixDelivery, now), TenantID: herald.TenantID(t.tenant), WebhookID: t.id,
				EventID: ev.ID, Event: ev.Type, Status: herald.DeliveryPending, CreatedAt: now, NextAttemptAt: &now,
			}
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, d.ID, t.tenant, d.WebhookID, p.TenantID, d.EventID, d.Event, t.name, d.Status,
				micros(now), micros(now), herald.LineKey(t.ordering, ev.OrderingKey))
			res.Deliveries = append(res.Deliveries, d)
			jobs = append(jobs, queue.TracedDeliveryJob(ctx, d.ID))
		}
		if _, err := tx.ExecContext(ctx, sql.String(), args...); err != nil {
			return nil, nil, fmt.Errorf("insert deliveries: %w", err)
		}
	}
	return res, jobs, nil
}

// maxInsertRows bounds the rows of one multi-row INSERT: 11 parameters
// each stay well under SQLite's limit of 32,766.
const maxInsertRows = 500

// target is a webhook an event goes to, with its ordering.
type target struct{ id, name, tenant, ordering string }

// reaches is the condition on webhooks (with the event's tenant as its
// two arguments) that an event of a tenant may go to: the tenant's own,
// and the platform's all_tenants ones; a platform event goes to the
// platform's webhooks alone. It reads one tenant's rows, and the
// platform's, of the index on (tenant_id, is_active).
const reaches = `tenant_id IN (?1, '') AND (tenant_id = ?1 OR all_tenants = 1)`

// targets returns the webhooks an event goes to: the one named by
// webhookID (a test event), or every active one that matches, of those
// its tenant reaches (read through s.reach).
func (s *DB) targets(ctx context.Context, tx *sql.Tx, webhookID string, ev *herald.Event) ([]target, error) {
	if webhookID != "" {
		var t target
		err := tx.QueryRowContext(ctx, `SELECT id, name, tenant_id, ordering FROM webhooks WHERE `+reaches+` AND id = ?2`,
			string(ev.TenantID), webhookID).Scan(&t.id, &t.name, &t.tenant, &t.ordering)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", webhookID)
		} else if err != nil {
			return nil, fmt.Errorf("select webhook: %w", err)
		}
		return []target{t}, nil
	}
	hooks, err := s.reach.hooks(ctx, tx, string(ev.TenantID))
	if err != nil {
		return nil, err
	}
	var out []target
	agentID := ""
	agentParsed := false
	for _, w := range hooks {
		if w.AgentID != "" && !agentParsed {
			agentID, agentParsed = ev.AgentID(), true
		}
		if w.Matches(ev.Type, agentID) {
			out = append(out, target{w.ID, w.Name, string(w.TenantID), w.Ordering})
		}
	}
	return out, nil
}

// Event returns one event within ref.Tenancy, with its deliveries within
// it. With AnyTenant it is the newest event of that id, of any tenant.
func (s *DB) Event(ctx context.Context, ref herald.Ref) (*herald.Event, error) {
	var row *sql.Row
	if tenant, one := ref.Tenancy.Tenant(); one {
		row = s.rdb.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? AND tenant_id = ?`, ref.ID, tenant)
	} else if ref.Tenancy.IsAny() {
		row = s.rdb.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? ORDER BY seq DESC LIMIT 1`, ref.ID)
	} else {
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", ref.ID)
	}
	ev, err := scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select event: %w", err)
	}
	q := confined("tenant_id", ref.Tenancy).and("event_id = ?", ev.ID).and("event_tenant_id = ?", string(ev.TenantID))
	ev.Deliveries, err = queryDeliveries(ctx, s.rdb, q.String()+` ORDER BY seq`, q.args...)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// ListEvents returns a page of events within f.Tenancy, newest first, and
// the total.
func (s *DB) ListEvents(ctx context.Context, f herald.EventFilter) ([]*herald.Event, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	if f.Type != "" {
		q.and("type = ?", f.Type)
	}
	if f.AgentID != "" {
		q.and("agent_id = ?", f.AgentID)
	}
	return listPage(ctx, s, pageQuery{table: "events", cols: eventColumns, where: q.String(), args: q.args,
		order: "seq DESC", skip: skip, limit: limit}, scanEvent)
}

// scanEvent scans a row holding eventColumns.
func scanEvent(row scanner) (*herald.Event, error) {
	var (
		ev      herald.Event
		data    string
		created int64
	)
	if err := row.Scan(&ev.TenantID, &ev.ID, &ev.Type, &data, &created, &ev.OrderingKey); err != nil {
		return nil, err
	}
	ev.Data, ev.Created = json.RawMessage(data), fromMicros(created)
	return &ev, nil
}

// CountEventDeliveries counts the deliveries within p.Tenancy of each of
// p.Events with one grouped query on the deliveries_event index.
func (s *DB) CountEventDeliveries(ctx context.Context, p herald.DeliveryCountParams) (map[herald.EventKey]int, error) {
	out := map[herald.EventKey]int{}
	if len(p.Events) == 0 {
		return out, nil
	}
	if len(p.Events) > herald.MaxCountEvents {
		return nil, herald.Errorf(herald.EINVALID, "events: at most %d at a time", herald.MaxCountEvents)
	}
	want := make(map[herald.EventKey]bool, len(p.Events))
	ids := make([]any, 0, len(p.Events))
	marks := make([]string, 0, len(p.Events))
	for _, k := range p.Events {
		if !want[k] {
			want[k] = true
			ids, marks = append(ids, k.ID), append(marks, "?")
		}
	}
	q := confined("tenant_id", p.Tenancy).and("event_id IN ("+strings.Join(marks, ", ")+")", ids...)
	rows, err := s.rdb.QueryContext(ctx, `SELECT event_tenant_id, event_id, count(*) FROM deliveries `+q.String()+
		` GROUP BY event_tenant_id, event_id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("count event deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k herald.EventKey
			n int
		)
		if err := rows.Scan(&k.TenantID, &k.ID, &n); err != nil {
			return nil, fmt.Errorf("scan event deliveries: %w", err)
		}
		if want[k] {
			out[k] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count event deliveries: %w", err)
	}
	return out, nil
}
