package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// taskDeliveriesQuery reads the deliveries of tasks by their IDs (the array
// ids), with one lookup in deliveries_pkey for each that where (on k.id)
// keeps. Written as `id = ANY(...)`, the same read is planned as a scan of
// every row while the table has no statistics, as on a new database until
// autovacuum first analyzes it, and a connection keeps using the plan it
// made on the empty table as that grows. The LIMIT keeps each lookup a
// subquery of its own, which the planner does not turn into a join.
func taskDeliveriesQuery(ids, where string) string {
	return `SELECT d.* FROM unnest(` + ids + `::text[]) AS k (id) CROSS JOIN LATERAL (SELECT id, tenant_id, webhook_id,
		event_tenant_id, event_id, webhook_name, status, attempts, seq, ordering_key FROM deliveries ` + where + ` LIMIT 1) d`
}

// taskEventsQuery reads the events of tasks by their keys ($1 the tenants,
// $2 the IDs), with one lookup in events_pkey for each, for the reasons
// taskDeliveriesQuery gives: `(tenant_id, id) IN (SELECT * FROM unnest(...))`
// is planned as a hash join over every row of events.
const taskEventsQuery = `SELECT e.* FROM unnest($1::text[], $2::text[]) AS k (tenant_id, id)
	CROSS JOIN LATERAL (SELECT ` + eventColumns + ` FROM events WHERE tenant_id = k.tenant_id AND id = k.id LIMIT 1) e`

// DeliveryTasks loads the tasks of p.IDs with three queries, on
// deliveries, webhooks and events, however many deliveries share a
// webhook or an event (see herald.DeliveryStore).
func (s *DB) DeliveryTasks(ctx context.Context, p herald.TasksParams) ([]*herald.DeliveryTask, error) {
	if len(p.IDs) == 0 {
		return nil, nil
	}
	var c conds
	ids := c.arg(p.IDs)
	c.add("id = k.id")
	c.tenancy("tenant_id", p.Tenancy)
	rows, err := s.pool.Query(ctx, taskDeliveriesQuery(ids, c.where()), c.args...)
	if err != nil {
		return nil, fmt.Errorf("select deliveries: %w", err)
	}
	var (
		byID           = map[string]*herald.DeliveryTask{}
		events         = map[herald.EventKey]*herald.Event{}
		hooks          = map[string]*herald.Webhook{}
		eventTenants   []string
		eventIDs       []string
		hookIDs        []string
		t              *herald.DeliveryTask
		evTenant, evID string
		seq            int64
		line           *string
		tenant, status string
	)
	newTask := func() { t = &herald.DeliveryTask{Delivery: &herald.Delivery{}} }
	newTask()
	if _, err := pgx.ForEachRow(rows, []any{&t.Delivery.ID, &tenant, &t.Delivery.WebhookID, &evTenant, &evID,
		&t.WebhookName, &status, &t.Delivery.Attempts, &seq, &line}, func() error {
		d := *t.Delivery
		d.TenantID, d.Status, d.EventID = herald.TenantID(tenant), status, evID
		task := &herald.DeliveryTask{Delivery: &d, WebhookName: t.WebhookName,
			Event: &herald.Event{TenantID: herald.TenantID(evTenant), ID: evID}}
		ek := task.Event.Key()
		if line != nil {
			task.Turn = &herald.TurnParams{Tenancy: p.Tenancy, DeliveryID: d.ID, Seq: seq,
				Line: herald.Line{WebhookID: d.WebhookID, Key: *line}}
		}
		if _, ok := events[ek]; !ok {
			events[ek] = nil
			eventTenants, eventIDs = append(eventTenants, evTenant), append(eventIDs, evID)
		}
		if _, ok := hooks[d.WebhookID]; !ok {
			hooks[d.WebhookID], hookIDs = nil, append(hookIDs, d.WebhookID)
		}
		byID[d.ID] = task
		return nil
	}); err != nil {
		return nil, fmt.Errorf("select deliveries: %w", err)
	}

	rows, err = s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ANY($1)`, hookIDs)
	if err != nil {
		return nil, fmt.Errorf("select webhooks: %w", err)
	}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		hooks[w.ID] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select webhooks: %w", err)
	}
	rows, err = s.pool.Query(ctx, taskEventsQuery, eventTenants, eventIDs)
	if err != nil {
		return nil, fmt.Errorf("select events: %w", err)
	}
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan event: %w", err)
		}
		events[ev.Key()] = ev
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select events: %w", err)
	}

	return herald.JoinTasks(p.IDs, byID, hooks, events), nil
}
