package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// publishSetOp runs the publishes of a group together, in one statement
// that does what each publishOp's does (see publishOp.queue) for all of
// them: one statement costs PostgreSQL far less than one per publish. The
// group treats it as one write; when it fails, the group runs its
// publishes again one by one, each in its savepoint, so that only the bad
// one fails (see groupWriter.run). Its ops have distinct events (tenant and
// ID), sorted: a repeat of an ID within the group runs on its own, after
// it.
type publishSetOp struct {
	ops []*publishOp
}

// publishMember says whether a publish joins its group's set, and its key
// there: a repeat of an event (tenant and ID) runs on its own, after it.
func publishMember(o *publishOp) (string, bool) { return o.order(), true }

// order puts the set where its publishes sort, before any repeats of them.
func (s *publishSetOp) order() string { return "p" }

func (s *publishSetOp) tenant() (string, bool) { return "", false }

func (s *publishSetOp) plan([]*herald.Webhook) []herald.Line { return nil }

func (s *publishSetOp) queue(b *pgx.Batch) {
	n := len(s.ops)
	var (
		tenants, ids, types, data, keys, agents, named = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		created      = make([]any, n)
		dIDs, dHooks []string
		dEvents      []int64
	)
	for i, o := range s.ops {
		ev := o.ev
		tenants[i], ids[i], types[i], data[i] = string(ev.TenantID), ev.ID, ev.Type, string(ev.Data)
		created[i], keys[i], agents[i], named[i] = ev.Created, ev.OrderingKey, ev.AgentID(), o.webhookID
		for j, id := range o.ids {
			dIDs, dHooks, dEvents = append(dIDs, id), append(dHooks, o.hooks[j]), append(dEvents, int64(i+1))
		}
	}
	// The statement is publishOp's, over arrays: e holds the events (i is
	// each one's place), n the planned deliveries (ev is their event's i).
	// Events and deliveries are inserted in the order of the arrays, so
	// each line's deliveries are numbered in the order of the group.
	b.Queue(`WITH t AS (
			SELECT id FROM tenants WHERE id = ANY($1::text[]) FOR KEY SHARE
		), w AS (
			SELECT id, name, tenant_id, all_tenants, ordering FROM webhooks WHERE id = ANY($10::text[]) FOR KEY SHARE
		), e AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
				$7::text[], $8::text[]) WITH ORDINALITY AS e (tenant_id, id, type, data, created_at, ordering_key, agent_id,
				webhook_id, i)
		), ev AS (
			INSERT INTO events (`+eventColumns+`, agent_id)
			SELECT e.tenant_id, e.id, e.type, e.data::json, e.created_at, e.ordering_key, e.agent_id FROM e
			WHERE (e.tenant_id = '' OR e.tenant_id IN (SELECT id FROM t))
				AND (e.webhook_id = '' OR EXISTS (SELECT 1 FROM w WHERE w.id = e.webhook_id
					AND (w.tenant_id = e.tenant_id OR (w.tenant_id = '' AND w.all_tenants))))
			ORDER BY e.i
			ON CONFLICT (tenant_id, id) DO NOTHING RETURNING tenant_id, id
		), d AS (
			INSERT INTO deliveries (id, tenant_id, webhook_id, event_tenant_id, event_id, event_type, webhook_name,
				status, created_at, next_attempt_at, ordering_key)
			SELECT n.id, w.tenant_id, w.id, e.tenant_id, e.id, e.type, w.name, 'pending', e.created_at, e.created_at,
				`+lineKeySQL("e.ordering_key")+`
			FROM unnest($9::text[], $10::text[], $11::bigint[]) WITH ORDINALITY AS n (id, webhook_id, ev, i)
			JOIN e ON e.i = n.ev
			JOIN ev ON ev.tenant_id = e.tenant_id AND ev.id = e.id
			JOIN w ON w.id = n.webhook_id AND (w.tenant_id = e.tenant_id OR (w.tenant_id = '' AND w.all_tenants))
			ORDER BY n.i
			RETURNING id, tenant_id
		)
		SELECT array(SELECT id FROM t), array(SELECT tenant_id FROM ev), array(SELECT id FROM ev),
			array(SELECT id FROM d), array(SELECT tenant_id FROM d)`,
		tenants, ids, types, data, created, keys, agents, named, dIDs, dHooks, dEvents)
}

// read gives each publish its outcome, as publishOp.read would.
func (s *publishSetOp) read(br pgx.BatchResults) error {
	var found, evTenants, evIDs, dIDs, dTenants []string
	if err := br.QueryRow().Scan(&found, &evTenants, &evIDs, &dIDs, &dTenants); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	tenantOK := map[string]bool{"": true}
	for _, t := range found {
		tenantOK[t] = true
	}
	inserted := make(map[herald.EventKey]bool, len(evIDs))
	for i, id := range evIDs {
		inserted[herald.EventKey{TenantID: herald.TenantID(evTenants[i]), ID: id}] = true
	}
	made := make(map[string]herald.TenantID, len(dIDs))
	for i, id := range dIDs {
		made[id] = herald.TenantID(dTenants[i])
	}
	for _, o := range s.ops {
		o.tenantOK = tenantOK[string(o.ev.TenantID)]
		o.inserted = inserted[herald.EventKey{TenantID: o.ev.TenantID, ID: o.ev.ID}]
		o.made = map[string]herald.TenantID{}
		for _, id := range o.ids {
			if t, ok := made[id]; ok {
				o.made[id] = t
			}
		}
	}
	return nil
}

// after is never called: the group calls its publishes' own.
func (s *publishSetOp) after(context.Context, pgx.Tx) (effects, error, error) {
	return effects{}, nil, nil
}
