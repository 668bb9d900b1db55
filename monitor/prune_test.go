package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

func TestPruneInterval(t *testing.T) {
	for _, c := range []struct{ retention, want time.Duration }{
		{0, time.Hour},
		{168 * time.Hour, time.Hour},
		{10 * time.Minute, 10 * time.Minute},
		{time.Millisecond, time.Second},
	} {
		if got := PruneInterval(c.retention); got != c.want {
			t.Errorf("PruneInterval(%s) = %s, want %s", c.retention, got, c.want)
		}
	}
}

func TestPruneDeletesOldRequests(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)}
	db := openStore(t, c, queue.Config{})
	wh := herald.NewInboundWebhook()
	wh.Name, wh.Agent, wh.Secret = "hook", "default", "hook-secret"
	wh.CreatedAt, wh.UpdatedAt = c.Now(), c.Now()
	if err := db.CreateInboundWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	for _, age := range []time.Duration{200 * time.Hour, time.Hour} {
		r := &herald.InboundRequest{Webhook: "hook", At: c.Now().Add(-age), Headers: map[string]string{}, Verdict: herald.VerdictAccepted, Status: 200}
		if err := db.RecordInboundRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	w := &PruneWorker{Store: db, Clock: c}
	n, err := w.Prune(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 deleted", n, err)
	}
	left, err := db.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: herald.Platform(), Webhook: "hook", Limit: 10})
	if err != nil || len(left) != 1 {
		t.Fatalf("left %d, %v", len(left), err)
	}
}

func TestPruneKeepsAtMostMaxRows(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)}
	db := openStore(t, c, queue.Config{})
	var newest *herald.InboundRequest
	for i := 3; i > 0; i-- {
		newest = &herald.InboundRequest{Webhook: "hook", At: c.Now().Add(-time.Duration(i) * time.Minute), Headers: map[string]string{}, Verdict: herald.VerdictRejected, Status: 401}
		if err := db.RecordInboundRequest(ctx, newest); err != nil {
			t.Fatal(err)
		}
	}
	w := &PruneWorker{Store: db, Clock: c, MaxRows: 1}
	if n, err := w.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2 deleted", n, err)
	}
	left, err := db.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: herald.Platform(), Webhook: "hook", Limit: 10})
	if err != nil || len(left) != 1 || left[0].ID != newest.ID {
		t.Fatalf("left %+v, %v; want the newest only", left, err)
	}
}
