package sqlite

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/storetest"
)

// The webhooks a publish reaches follow every change to where events go,
// whoever makes it (here plain SQL), while the webhooks' timestamps, which
// every attempt moves, leave the cached webhooks alone.
func TestReachFollowsWebhookChanges(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "herald.db"))
	for _, name := range reachTriggers {
		var n int
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`,
			name).Scan(&n); err != nil || n != 1 {
			t.Fatalf("trigger %s: %d, %v; a migration dropped it", name, n, err)
		}
	}
	w := storetest.NewWebhook(t, s, []string{"order.*"})
	reached := func(typ string) int {
		t.Helper()
		res, err := s.PublishEvent(ctx, herald.PublishParams{Type: typ, Data: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Deliveries)
	}
	version := func() int64 {
		t.Helper()
		var v int64
		if err := s.rdb.QueryRowContext(ctx, `SELECT version FROM webhook_reach_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if reached("order.paid") != 1 || reached("agent.status") != 0 {
		t.Fatal("the webhook's patterns are not applied")
	}
	before := version()
	if _, err := s.db.ExecContext(ctx, `UPDATE webhooks SET last_triggered_at = 1, last_success_at = 1 WHERE id = ?`, w.ID); err != nil {
		t.Fatal(err)
	}
	if version() != before {
		t.Fatal("moving a webhook's timestamps changed where events go")
	}
	for _, c := range []struct {
		sql      string
		typ      string
		deliver  int
		whatSays string
	}{
		{`UPDATE webhooks SET events = '["agent.*"]'`, "agent.status", 1, "new patterns"},
		{`UPDATE webhooks SET is_active = 0`, "agent.status", 0, "a disabled webhook"},
		{`UPDATE webhooks SET is_active = 1`, "agent.status", 1, "an enabled webhook"},
		{`DELETE FROM webhooks`, "agent.status", 0, "a deleted webhook"},
	} {
		if _, err := s.db.ExecContext(ctx, c.sql); err != nil {
			t.Fatal(err)
		}
		if got := reached(c.typ); got != c.deliver {
			t.Fatalf("after %s: %d deliveries, want %d", c.whatSays, got, c.deliver)
		}
	}
}
