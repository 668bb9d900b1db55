package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
)

// DeliveryTasks loads the tasks of p.IDs with three queries, on
// deliveries, webhooks and events, however many deliveries share a
// webhook or an event (see herald.DeliveryStore).
func (s *DB) DeliveryTasks(ctx context.Context, p herald.TasksParams) ([]*herald.DeliveryTask, error) {
	if len(p.IDs) == 0 {
		return nil, nil
	}
	ids, _ := json.Marshal(p.IDs)
	q := confined("tenant_id", p.Tenancy).and("id IN (SELECT value FROM json_each(?))", string(ids))
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, tenant_id, webhook_id, event_tenant_id, event_id, webhook_name,
		status, attempts, seq, ordering_key FROM deliveries `+q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("select deliveries: %w", err)
	}
	defer rows.Close()
	var (
		byID     = map[string]*herald.DeliveryTask{}
		events   = map[herald.EventKey]*herald.Event{}
		hooks    = map[string]*herald.Webhook{}
		eventIDs []string
		hookIDs  []string
	)
	for rows.Next() {
		var (
			t    = &herald.DeliveryTask{Delivery: &herald.Delivery{}, Event: &herald.Event{}}
			seq  int64
			line sql.NullString
		)
		d := t.Delivery
		if err := rows.Scan(&d.ID, &d.TenantID, &d.WebhookID, &t.Event.TenantID, &t.Event.ID, &t.WebhookName, &d.Status,
			&d.Attempts, &seq, &line); err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		d.EventID = t.Event.ID
		ek := t.Event.Key()
		if line.Valid {
			t.Turn = &herald.TurnParams{Tenancy: p.Tenancy, DeliveryID: d.ID, Seq: seq,
				Line: herald.Line{WebhookID: d.WebhookID, Key: line.String}}
		}
		if _, ok := events[ek]; !ok {
			events[ek], eventIDs = nil, append(eventIDs, ek.ID)
		}
		if _, ok := hooks[d.WebhookID]; !ok {
			hooks[d.WebhookID], hookIDs = nil, append(hookIDs, d.WebhookID)
		}
		byID[d.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select deliveries: %w", err)
	}
	rows.Close()

	list, _ := json.Marshal(hookIDs)
	if err := eachRow(ctx, s.rdb, `SELECT `+webhookColumns+` FROM webhooks WHERE id IN (SELECT value FROM json_each(?))`,
		[]any{string(list)}, func(r *sql.Rows) error {
			w, err := scanWebhook(r)
			if err == nil {
				hooks[w.ID] = w
			}
			return err
		}); err != nil {
		return nil, fmt.Errorf("select webhooks: %w", err)
	}
	list, _ = json.Marshal(eventIDs)
	if err := eachRow(ctx, s.rdb, `SELECT `+eventColumns+` FROM events WHERE id IN (SELECT value FROM json_each(?))`,
		[]any{string(list)}, func(r *sql.Rows) error {
			ev, err := scanEvent(r)
			if err != nil {
				return err
			}
			if _, wanted := events[ev.Key()]; wanted {
				events[ev.Key()] = ev
			}
			return nil
		}); err != nil {
		return nil, fmt.Errorf("select events: %w", err)
	}

	return herald.JoinTasks(p.IDs, byID, hooks, events), nil
}

// eachRow runs query with args on q and calls fn for each row.
func eachRow(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
