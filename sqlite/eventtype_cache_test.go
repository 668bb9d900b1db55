package sqlite

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestEventTypeCache: the store's own catalogue writes (put, delete,
// ensure, import) are read at once, a missing type included; a change made
// to the file by plain SQL is read once the entries are eventTypeTTL old,
// and not before, which shows the reads come from the cache.
func TestEventTypeCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	s := openFile(t, path)
	var (
		mu  sync.Mutex
		now = time.Now()
	)
	s.eventTypes.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	ref := herald.EventTypeRef{Name: "order.paid"}
	description := func() string {
		t.Helper()
		et, err := s.EventType(ctx, ref)
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return "(none)"
		} else if err != nil {
			t.Fatal(err)
		}
		return et.Description
	}
	put := func(d string) {
		t.Helper()
		if _, err := s.PutEventType(ctx, herald.PutEventTypeParams{Type: &herald.EventType{Name: ref.Name, Description: d,
			Schema: json.RawMessage(`{"type":"object"}`), Example: json.RawMessage(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := description(); got != "(none)" {
		t.Fatalf("before any write: %q", got)
	}
	put("one")
	if got := description(); got != "one" {
		t.Fatalf("after put: %q, want one", got)
	}
	put("two")
	if got := description(); got != "two" {
		t.Fatalf("after a second put: %q, want two", got)
	}
	if err := s.DeleteEventType(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if got := description(); got != "(none)" {
		t.Fatalf("after delete: %q, want none", got)
	}
	if _, err := s.EnsureEventTypes(ctx, herald.EnsureEventTypesParams{Types: []*herald.EventType{{Name: ref.Name,
		Description: "ensured", Schema: json.RawMessage(`{}`), Example: json.RawMessage(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	if got := description(); got != "ensured" {
		t.Fatalf("after ensure: %q, want ensured", got)
	}
	if err := s.DeleteEventType(ctx, ref); err != nil {
		t.Fatal(err)
	}
	_ = description() // the missing type is cached
	if _, err := s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{EventType: &herald.EventType{Name: ref.Name,
		Description: "imported", Schema: json.RawMessage(`{}`), Example: json.RawMessage(`{}`), Version: 1,
		CreatedAt: now, UpdatedAt: now}}}}); err != nil {
		t.Fatal(err)
	}
	if got := description(); got != "imported" {
		t.Fatalf("after import: %q, want imported", got)
	}

	// A change by plain SQL: read once the entry has expired.
	raw := openDB("file:" + path + "?_pragma=busy_timeout(10000)")
	t.Cleanup(func() { raw.Close() })
	if _, err := raw.Exec(`UPDATE event_types SET description = 'by hand' WHERE name = ?`, ref.Name); err != nil {
		t.Fatal(err)
	}
	if got := description(); got != "imported" {
		t.Fatalf("within %v of the read: %q, want the cached imported", eventTypeTTL, got)
	}
	// With its versions, a type is always read from the file.
	if et, err := s.EventType(ctx, herald.EventTypeRef{Name: ref.Name, Versions: true}); err != nil || et.Description != "by hand" {
		t.Fatalf("with versions: %+v, %v; want by hand", et, err)
	}
	mu.Lock()
	now = now.Add(eventTypeTTL)
	mu.Unlock()
	if got := description(); got != "by hand" {
		t.Fatalf("%v after the read: %q, want by hand", eventTypeTTL, got)
	}
}
