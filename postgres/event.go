package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

const eventColumns = `tenant_id, id, type, data, created_at, ordering_key`

// PublishEvent stores the event for p.TenantID, which must exist (see
// checkTenant), its deliveries and their River jobs in one transaction,
// shared with concurrent writes (see groupWriter). Empty Data is stored as
// {}. An ID the tenant published before returns the first event and its
// deliveries with Created false, and fans out nothing.
//
// The event is inserted with ON CONFLICT (tenant_id, id) DO NOTHING: when
// another transaction is inserting the same ID for the tenant, PostgreSQL
// waits for it, so two concurrent publishes of one ID make one event, and
// the loser reads the winner's event and deliveries, which committed
// together. Two publishes of one ID in one group are the same case within
// one transaction: the second reads the first's rows.
func (s *DB) PublishEvent(ctx context.Context, p herald.PublishParams) (*herald.PublishResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	ev := &herald.Event{ID: p.ID, TenantID: herald.TenantID(p.TenantID), Type: p.Type, Data: p.Data, Created: now,
		OrderingKey: p.OrderingKey}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage(`{}`)
	}
	if ev.ID == "" {
		ev.ID = herald.NewID(herald.PrefixEvent, now)
	}
	op := &publishOp{ev: ev, webhookID: p.WebhookID, exclude: p.ExcludeWebhookID}
	if err := s.writer.do(ctx, op); err != nil {
		return nil, err
	}
	return op.res, nil
}

// publishOp is PublishEvent's write in a group (see groupOp). One statement
// checks the tenant (FOR KEY SHARE, as checkTenant), inserts the event and,
// when it was new, its deliveries to the webhooks planned from the group's
// read (see insertDeliveries, whose locking it shares).
type publishOp struct {
	ev                 *herald.Event
	webhookID, exclude string

	hooks, ids []string // planned deliveries: webhook and delivery IDs
	tenantOK   bool
	inserted   bool
	made       map[string]herald.TenantID // delivery ID to its tenant
	res        *herald.PublishResult
}

func (o *publishOp) order() string { return "p" + string(o.ev.TenantID) + "\x00" + o.ev.ID }

func (o *publishOp) tenant() (string, bool) { return string(o.ev.TenantID), true }

// plan picks the webhooks of the fan-out, as fanOut and matchingWebhooks
// do: the one named, whatever its state (the statement checks that the
// event may reach it), or every matching active one but exclude.
func (o *publishOp) plan(hooks []*herald.Webhook) []herald.Line {
	var lines []herald.Line
	add := func(h *herald.Webhook) {
		if l := herald.DeliveryLine(h.ID, h.Ordering, o.ev.OrderingKey); l != nil {
			lines = append(lines, *l)
		}
	}
	if o.webhookID != "" {
		o.hooks = []string{o.webhookID}
		for _, h := range hooks {
			if h.ID == o.webhookID {
				add(h)
			}
		}
	} else {
		var (
			agentID     string
			agentParsed bool
		)
		for _, h := range hooks {
			if !h.IsActive || h.ID == o.exclude {
				continue
			}
			if h.AgentID != "" && !agentParsed {
				agentID, agentParsed = o.ev.AgentID(), true
			}
			if h.Matches(o.ev.Type, agentID) {
				o.hooks = append(o.hooks, h.ID)
				add(h)
			}
		}
	}
	o.ids = make([]string, len(o.hooks))
	for i := range o.hooks {
		o.ids[i] = herald.NewID(herald.PrefixDelivery, o.ev.Created)
	}
	return lines
}

func (o *publishOp) queue(b *pgx.Batch) {
	ev := o.ev
	b.Queue(`WITH t AS (
			SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE
		), w AS (
			SELECT id, name, tenant_id, ordering FROM webhooks WHERE id = ANY($9) AND `+reachesEvent("$1")+` FOR KEY SHARE
		), ev AS (
			INSERT INTO events (`+eventColumns+`, agent_id)
			SELECT $1, $2, $3, $4, $5, $6, $7
			WHERE ($1 = '' OR EXISTS (SELECT 1 FROM t)) AND ($10 = '' OR EXISTS (SELECT 1 FROM w))
			ON CONFLICT (tenant_id, id) DO NOTHING RETURNING true
		), d AS (
			INSERT INTO deliveries (id, tenant_id, webhook_id, event_tenant_id, event_id, event_type, webhook_name,
				status, created_at, next_attempt_at, ordering_key)
			SELECT n.id, w.tenant_id, w.id, $1, $2, $3, w.name, 'pending', $5, $5,
				`+lineKeySQL("$6")+`
			FROM unnest($8::text[], $9::text[]) WITH ORDINALITY AS n (id, webhook_id, i)
			JOIN w ON w.id = n.webhook_id
			WHERE EXISTS (SELECT 1 FROM ev)
			ORDER BY n.i
			RETURNING id, tenant_id
		)
		SELECT $1 = '' OR EXISTS (SELECT 1 FROM t), EXISTS (SELECT 1 FROM ev),
			array(SELECT id FROM d), array(SELECT tenant_id FROM d)`,
		string(ev.TenantID), ev.ID, ev.Type, ev.Data, ev.Created, ev.OrderingKey, ev.AgentID(), o.ids, o.hooks, o.webhookID)
}

func (o *publishOp) read(br pgx.BatchResults) error {
	var ids, tenants []string
	if err := br.QueryRow().Scan(&o.tenantOK, &o.inserted, &ids, &tenants); err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	o.made = make(map[string]herald.TenantID, len(ids))
	for i, id := range ids {
		o.made[id] = herald.TenantID(tenants[i])
	}
	return nil
}

// after returns the deliveries' jobs of a new event; for one not inserted,
// the first event of that ID, or the error of a missing tenant or webhook.
func (o *publishOp) after(ctx context.Context, tx pgx.Tx) (effects, error, error) {
	ev := o.ev
	switch {
	case !o.tenantOK:
		return effects{}, herald.Errorf(herald.EINVALID, "tenant_id: no tenant %q", ev.TenantID), nil
	case !o.inserted:
		first, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE tenant_id = $1 AND id = $2`,
			string(ev.TenantID), ev.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			// Not a repeat: the event may not reach the webhook named, so
			// the statement inserted nothing (see queue).
			return effects{}, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", o.webhookID), nil
		} else if err != nil {
			return effects{}, nil, fmt.Errorf("select event: %w", err)
		}
		ds, err := queryDeliveries(ctx, tx, `WHERE event_tenant_id = $1 AND event_id = $2 ORDER BY seq`,
			string(ev.TenantID), ev.ID)
		if err != nil {
			return effects{}, nil, err
		}
		o.res = &herald.PublishResult{Event: first, Deliveries: ds}
		return effects{}, nil, nil
	}
	o.res = &herald.PublishResult{Event: ev, Created: true, Deliveries: []*herald.Delivery{}}
	var e effects
	for i, id := range o.ids {
		tenant, ok := o.made[id]
		if !ok {
			continue
		}
		next := ev.Created
		o.res.Deliveries = append(o.res.Deliveries, &herald.Delivery{
			ID: id, TenantID: tenant, WebhookID: o.hooks[i], EventID: ev.ID, Event: ev.Type, Status: herald.DeliveryPending,
			CreatedAt: ev.Created, NextAttemptAt: &next,
		})
		e.jobs = append(e.jobs, queue.TracedDeliveryJob(ctx, id))
	}
	return e, nil, nil
}

// publishNew stores a new event of ev.TenantID (its ID unused) and its
// deliveries in tx, as PublishEvent does, for writes that publish events
// along with changes of their own. The caller queues the deliveries with
// queueDeliveries.
func publishNew(ctx context.Context, tx pgx.Tx, ev *herald.Event) ([]*herald.Delivery, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO events (`+eventColumns+`, agent_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		string(ev.TenantID), ev.ID, ev.Type, ev.Data, ev.Created, ev.OrderingKey, ev.AgentID()); err != nil {
		return nil, fmt.Errorf("insert event: %w", err)
	}
	return fanOut(ctx, tx, ev, "", "")
}

// fanOut inserts the pending deliveries of the event ev, just inserted in
// tx: to the webhook webhookID alone when set (ENOTFOUND when it does not
// exist or the event may not reach it), else to every matching active
// webhook but exclude. It never returns nil.
func fanOut(ctx context.Context, tx pgx.Tx, ev *herald.Event, webhookID, exclude string) ([]*herald.Delivery, error) {
	hooks, ordered := []string{webhookID}, true
	if webhookID == "" {
		var err error
		if hooks, ordered, err = matchingWebhooks(ctx, tx, ev); err != nil {
			return nil, err
		}
		hooks = slices.DeleteFunc(hooks, func(id string) bool { return id == exclude })
	}
	ds := []*herald.Delivery{}
	if len(hooks) > 0 {
		if ordered {
			if err := lockLines(ctx, tx, ev, hooks); err != nil {
				return nil, err
			}
		}
		var err error
		if ds, err = insertDeliveries(ctx, tx, ev, hooks); err != nil {
			return nil, err
		}
	}
	if webhookID != "" && len(ds) == 0 {
		return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", webhookID)
	}
	return ds, nil
}

// queueDeliveries inserts the River jobs of deliveries in tx, in one call:
// batch jobs for those due now (see queue.Batch).
func (s *DB) queueDeliveries(ctx context.Context, tx pgx.Tx, ds []*herald.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	jobs := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		jobs[i] = queue.TracedDeliveryJob(ctx, d.ID)
	}
	if _, err := s.river.InsertManyTx(ctx, tx, queue.Batch(jobs)); err != nil {
		return fmt.Errorf("queue deliveries: %w", err)
	}
	return nil
}

// reachesEvent is the condition on a webhook row that an event of the
// tenant in placeholder n may go to: the tenant's own webhooks, and the
// platform's all_tenants ones (the firehose). A platform event reaches
// only the platform's webhooks.
func reachesEvent(n string) string {
	return `(tenant_id = ` + n + ` OR (tenant_id = '' AND all_tenants))`
}

// matchingWebhooks returns the IDs of the active webhooks ev goes to, read
// with one query on webhooks_tenant_active and webhooks_firehose, and
// whether any of them is ordered. The patterns are matched in Go by
// herald.Webhook.Matches, the one definition of matching.
func matchingWebhooks(ctx context.Context, tx pgx.Tx, ev *herald.Event) ([]string, bool, error) {
	rows, err := tx.Query(ctx, `SELECT id, events, agent_id, ordering FROM webhooks
		WHERE is_active AND `+reachesEvent("$1"), string(ev.TenantID))
	if err != nil {
		return nil, false, fmt.Errorf("select webhooks: %w", err)
	}
	defer rows.Close()
	var (
		out         []string
		agentID     string
		agentParsed bool
		ordered     bool
	)
	for rows.Next() {
		w := herald.Webhook{IsActive: true}
		if err := rows.Scan(&w.ID, &w.Events, &w.AgentID, &w.Ordering); err != nil {
			return nil, false, fmt.Errorf("scan webhook: %w", err)
		}
		if w.AgentID != "" && !agentParsed {
			agentID, agentParsed = ev.AgentID(), true
		}
		if w.Matches(ev.Type, agentID) {
			out = append(out, w.ID)
			ordered = ordered || herald.DeliveryLine(w.ID, w.Ordering, ev.OrderingKey) != nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("select webhooks: %w", err)
	}
	return out, ordered, nil
}

// insertDeliveries inserts one pending delivery of ev per webhook in hooks
// that ev may reach, in one statement, and returns them in the order of
// hooks. Each delivery is its webhook's tenant's.
//
// Reading the webhooks and then inserting rows that reference them is a
// read-then-write: a webhook deleted in between would fail the foreign key
// and with it the publish. So the statement first locks the webhooks FOR KEY
// SHARE (which blocks their deletion, not their updates or other
// publishes); a webhook deleted meanwhile is no longer found and simply gets
// no delivery. The webhook's name and tenant are read under the same lock.
func insertDeliveries(ctx context.Context, tx pgx.Tx, ev *herald.Event, hooks []string) ([]*herald.Delivery, error) {
	ids := make([]string, len(hooks))
	for i := range hooks {
		ids[i] = herald.NewID(herald.PrefixDelivery, ev.Created)
	}
	rows, err := tx.Query(ctx, `WITH w AS (
			SELECT id, name, tenant_id, ordering FROM webhooks WHERE id = ANY($2) AND `+reachesEvent("$3")+` FOR KEY SHARE
		)
		INSERT INTO deliveries (id, tenant_id, webhook_id, event_tenant_id, event_id, event_type, webhook_name,
			status, created_at, next_attempt_at, ordering_key)
		SELECT t.id, w.tenant_id, w.id, $3, $4, $5, w.name, 'pending', $6, $6,
			`+lineKeySQL("$7")+`
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t (id, webhook_id, n)
		JOIN w ON w.id = t.webhook_id
		ORDER BY t.n
		RETURNING id, tenant_id`, ids, hooks, string(ev.TenantID), ev.ID, ev.Type, ev.Created, ev.OrderingKey)
	if err != nil {
		return nil, fmt.Errorf("insert deliveries: %w", err)
	}
	made := map[string]herald.TenantID{}
	var (
		id     string
		tenant herald.TenantID
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &tenant}, func() error {
		made[id] = tenant
		return nil
	}); err != nil {
		return nil, fmt.Errorf("insert deliveries: %w", err)
	}
	out := make([]*herald.Delivery, 0, len(made))
	for i, id := range ids {
		tenant, ok := made[id]
		if !ok {
			continue
		}
		next := ev.Created
		out = append(out, &herald.Delivery{
			ID: id, TenantID: tenant, WebhookID: hooks[i], EventID: ev.ID, Event: ev.Type, Status: herald.DeliveryPending,
			CreatedAt: ev.Created, NextAttemptAt: &next,
		})
	}
	return out, nil
}

// Event returns one event within ref.Tenancy (with AnyTenant, the newest
// of that ID), with its deliveries within ref.Tenancy.
func (s *DB) Event(ctx context.Context, ref herald.Ref) (*herald.Event, error) {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	ev, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events `+c.where()+
		` ORDER BY seq DESC LIMIT 1`, c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select event: %w", err)
	}
	var dc conds
	dc.eq("event_tenant_id", string(ev.TenantID))
	dc.eq("event_id", ev.ID)
	dc.tenancy("tenant_id", ref.Tenancy)
	ev.Deliveries, err = queryDeliveries(ctx, s.pool, dc.where()+` ORDER BY seq`, dc.args...)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// ListEvents returns a page of the events within f.Tenancy, newest
// first, and the total (see pageTotal).
func (s *DB) ListEvents(ctx context.Context, f herald.EventFilter) ([]*herald.Event, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	if f.Type != "" {
		c.eq("type", f.Type)
	}
	if f.AgentID != "" {
		c.eq("agent_id", f.AgentID)
	}
	return listPage(ctx, s, pageQuery{table: "events", cols: eventColumns, where: c.where(), args: c.args,
		order: "seq DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Event, error) {
		return scanEvent(row, total)
	})
}

// scanEvent scans a row holding eventColumns, then those of after. The json
// column is read as text, byte for byte what was published.
func scanEvent(row scanner, after ...any) (*herald.Event, error) {
	var (
		ev   herald.Event
		data string
	)
	if err := row.Scan(append([]any{&ev.TenantID, &ev.ID, &ev.Type, &data, &ev.Created, &ev.OrderingKey}, after...)...); err != nil {
		return nil, err
	}
	ev.Data = json.RawMessage(data)
	return &ev, nil
}

// CountEventDeliveries counts the deliveries within p.Tenancy of each of
// p.Events with one grouped query.
func (s *DB) CountEventDeliveries(ctx context.Context, p herald.DeliveryCountParams) (map[herald.EventKey]int, error) {
	out := map[herald.EventKey]int{}
	if len(p.Events) == 0 {
		return out, nil
	}
	if len(p.Events) > herald.MaxCountEvents {
		return nil, herald.Errorf(herald.EINVALID, "events: at most %d at a time", herald.MaxCountEvents)
	}
	want := make(map[herald.EventKey]bool, len(p.Events))
	ids := make([]string, 0, len(p.Events))
	for _, k := range p.Events {
		if !want[k] {
			want[k] = true
			ids = append(ids, k.ID)
		}
	}
	var c conds
	c.tenancy("tenant_id", p.Tenancy)
	c.add("event_id = ANY(" + c.arg(ids) + ")")
	rows, err := s.pool.Query(ctx, `SELECT event_tenant_id, event_id, count(*) FROM deliveries `+c.where()+
		` GROUP BY event_tenant_id, event_id`, c.args...)
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
