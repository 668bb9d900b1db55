package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
)

// PublishEvent stores the event, its deliveries and their queued jobs in one
// transaction, shared with concurrent writes (see groupWriter). A repeated
// ID returns the first event with Created false.
func (s *DB) PublishEvent(ctx context.Context, p herald.PublishParams) (*herald.PublishResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC()
	var res *herald.PublishResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
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

// publish stores an event and its deliveries in tx and returns the jobs to
// queue for them.
func (s *DB) publish(ctx context.Context, tx *sql.Tx, p herald.PublishParams, now time.Time) (*herald.PublishResult, []river.InsertManyParams, error) {
	if p.ID != "" {
		ev, err := scanEvent(tx.QueryRowContext(ctx, `SELECT id, type, data, created_at FROM events WHERE id = ?`, p.ID))
		if err == nil {
			ds, err := queryDeliveries(ctx, tx, `WHERE event_id = ? ORDER BY seq`, ev.ID)
			if err != nil {
				return nil, nil, err
			}
			return &herald.PublishResult{Event: ev, Deliveries: ds}, nil, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("select event: %w", err)
		}
	}
	ev := &herald.Event{ID: p.ID, Type: p.Type, Data: p.Data, Created: now}
	if ev.ID == "" {
		ev.ID = herald.NewID(herald.PrefixEvent, now)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, type, data, created_at, agent_id) VALUES (?, ?, ?, ?, ?)`,
		ev.ID, ev.Type, string(ev.Data), micros(now), ev.AgentID()); err != nil {
		return nil, nil, fmt.Errorf("insert event: %w", err)
	}

	targets, err := s.targets(ctx, tx, p.WebhookID, ev)
	if err != nil {
		return nil, nil, err
	}
	res := &herald.PublishResult{Event: ev, Created: true, Deliveries: make([]*herald.Delivery, 0, len(targets))}
	jobs := make([]river.InsertManyParams, 0, len(targets))
	for _, t := range targets {
		d := &herald.Delivery{
			ID: herald.NewID(herald.PrefixDelivery, now), WebhookID: t.id, EventID: ev.ID, Event: ev.Type,
			Status: herald.DeliveryPending, CreatedAt: now, NextAttemptAt: &now,
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, webhook_id, event_id, event_type, webhook_name,
			status, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.WebhookID, d.EventID, d.Event, t.name, d.Status, micros(now), micros(now)); err != nil {
			return nil, nil, fmt.Errorf("insert delivery: %w", err)
		}
		res.Deliveries = append(res.Deliveries, d)
		jobs = append(jobs, delivery.JobParams(d.ID, time.Time{}))
	}
	return res, jobs, nil
}

type target struct{ id, name string }

// targets returns the webhooks an event goes to: the one named by
// webhookID (a test event), or every active one that matches.
func (s *DB) targets(ctx context.Context, tx *sql.Tx, webhookID string, ev *herald.Event) ([]target, error) {
	if webhookID != "" {
		var t target
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM webhooks WHERE id = ?`, webhookID).Scan(&t.id, &t.name)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", webhookID)
		} else if err != nil {
			return nil, fmt.Errorf("select webhook: %w", err)
		}
		return []target{t}, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, events, agent_id FROM webhooks WHERE is_active = 1`)
	if err != nil {
		return nil, fmt.Errorf("select webhooks: %w", err)
	}
	defer rows.Close()
	var out []target
	agentID := ""
	agentParsed := false
	for rows.Next() {
		var (
			w      herald.Webhook
			events string
		)
		if err := rows.Scan(&w.ID, &w.Name, &events, &w.AgentID); err != nil {
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
			return nil, fmt.Errorf("decode events: %w", err)
		}
		w.IsActive = true
		if w.AgentID != "" && !agentParsed {
			agentID, agentParsed = ev.AgentID(), true
		}
		if w.Matches(ev.Type, agentID) {
			out = append(out, target{w.ID, w.Name})
		}
	}
	return out, rows.Err()
}

// Event returns one event with its deliveries.
func (s *DB) Event(ctx context.Context, id string) (*herald.Event, error) {
	ev, err := scanEvent(s.rdb.QueryRowContext(ctx, `SELECT id, type, data, created_at FROM events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select event: %w", err)
	}
	ev.Deliveries, err = queryDeliveries(ctx, s.rdb, `WHERE event_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// ListEvents returns a page of events, newest first, and the total.
func (s *DB) ListEvents(ctx context.Context, f herald.EventFilter) ([]*herald.Event, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	where, args := "WHERE 1 = 1", []any{}
	if f.Type != "" {
		where, args = where+" AND type = ?", append(args, f.Type)
	}
	if f.AgentID != "" {
		where, args = where+" AND agent_id = ?", append(args, f.AgentID)
	}
	return listPage(ctx, s, pageQuery{table: "events", cols: "id, type, data, created_at", where: where, args: args,
		order: "seq DESC", skip: skip, limit: limit}, scanEvent)
}

func scanEvent(row scanner) (*herald.Event, error) {
	var (
		ev      herald.Event
		data    string
		created int64
	)
	if err := row.Scan(&ev.ID, &ev.Type, &data, &created); err != nil {
		return nil, err
	}
	ev.Data, ev.Created = json.RawMessage(data), fromMicros(created)
	return &ev, nil
}
