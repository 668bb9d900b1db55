package postgres

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/pgtest"
)

// Two nodes share one catalogue: each keeps the entries it read, a change
// made on one reaches the other's cache by notification, and a node reads
// its own change at once. A change that bypasses the trigger shows that
// reads are indeed served from memory.
func TestEventTypeCacheAcrossNodes(t *testing.T) {
	_, u := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	open := func() *DB {
		s, err := Open(ctx, u, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		select {
		case <-s.eventTypes.ready:
		case <-ctx.Done():
			t.Fatal("the event type listener never listened")
		}
		return s
	}
	a, b := open(), open()
	notified := make(chan struct{}, 16)
	b.eventTypes.mu.Lock()
	b.eventTypes.changed = func() { notified <- struct{}{} }
	b.eventTypes.mu.Unlock()

	const name = "order.created"
	if _, err := b.EventType(ctx, herald.EventTypeRef{Name: name}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("before the put: %v, want not found", err)
	}
	put := func(s *DB, desc string) {
		t.Helper()
		et := &herald.EventType{Name: name, Description: desc, Schema: json.RawMessage(`{"type":"object"}`), Example: json.RawMessage(`{}`)}
		if _, err := s.PutEventType(ctx, herald.PutEventTypeParams{Type: et}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(s *DB) string {
		t.Helper()
		et, err := s.EventType(ctx, herald.EventTypeRef{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return et.Description
	}
	put(a, "first")
	if got := get(a); got != "first" {
		t.Fatalf("the writing node reads %q, want its own write", got)
	}
	select {
	case <-notified:
	case <-ctx.Done():
		t.Fatal("node b was not notified of the put")
	}
	if got := get(b); got != "first" {
		t.Fatalf("node b reads %q after the notification, want %q", got, "first")
	}

	// Served from memory: a change made without the trigger is not seen.
	if _, err := a.pool.Exec(ctx, `ALTER TABLE event_types DISABLE TRIGGER event_types_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE event_types SET description = 'unseen' WHERE name = $1`, name); err != nil {
		t.Fatal(err)
	}
	if got := get(b); got != "first" {
		t.Fatalf("node b reads %q, want its cached %q", got, "first")
	}
	if _, err := a.pool.Exec(ctx, `ALTER TABLE event_types ENABLE TRIGGER event_types_changed`); err != nil {
		t.Fatal(err)
	}

	put(a, "second")
	<-notified // the ALTERs notify nothing; this is the put's
	if got := get(b); got != "second" {
		t.Fatalf("node b reads %q after the second put, want %q", got, "second")
	}
	if err := a.DeleteEventType(ctx, herald.EventTypeRef{Name: name}); err != nil {
		t.Fatal(err)
	}
	<-notified
	if _, err := b.EventType(ctx, herald.EventTypeRef{Name: name}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after the delete: %v, want not found", err)
	}
}
