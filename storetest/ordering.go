package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var orderingTests = map[string]func(t *testing.T, s herald.Store){
	"OrderingStored":   testOrderingStored,
	"OrderingFIFO":     testOrderingFIFO,
	"OrderingKey":      testOrderingKey,
	"OrderingReplays":  testOrderingReplays,
	"OrderingAgentKey": testOrderingAgentKey,
	"OrderingTenancy":  testOrderingTenancy,
}

// testOrderingStored checks that a webhook's ordering and an event's
// ordering_key are kept, and that only ordered deliveries have a turn.
func testOrderingStored(t *testing.T, s herald.Store) {
	ctx := context.Background()
	fifo := NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.Ordering = herald.OrderingFIFO })
	plain := NewWebhook(t, s, []string{"order.*"})
	if got, err := s.Webhook(ctx, anyRef(fifo.ID)); err != nil || got.Ordering != herald.OrderingFIFO {
		t.Fatalf("ordering after create = %+v, %v; want fifo", got, err)
	}
	if got, _ := s.Webhook(ctx, anyRef(plain.ID)); got.Ordering != herald.OrderingNone {
		t.Fatalf("default ordering = %q, want none", got.Ordering)
	}
	res := publish(t, s, herald.PublishParams{Type: "order.paid", OrderingKey: "agent-7"})
	ev, err := s.Event(ctx, anyRef(res.Event.ID))
	if err != nil || ev.OrderingKey != "agent-7" {
		t.Fatalf("event ordering key = %+v, %v; want agent-7", ev, err)
	}
	for _, d := range res.Deliveries {
		task, err := s.DeliveryTask(ctx, anyRef(d.ID))
		if err != nil {
			t.Fatal(err)
		}
		switch d.WebhookID {
		case fifo.ID:
			if task.Turn == nil || task.Turn.Line != (herald.Line{WebhookID: fifo.ID}) || task.Turn.DeliveryID != d.ID {
				t.Fatalf("fifo delivery turn = %+v, want the webhook's one line", task.Turn)
			}
		case plain.ID:
			if task.Turn != nil {
				t.Fatalf("unordered delivery has a turn: %+v", task.Turn)
			}
		}
	}
	fifo.Ordering = herald.OrderingKey
	if err := s.UpdateWebhook(ctx, fifo); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Webhook(ctx, anyRef(fifo.ID)); got.Ordering != herald.OrderingKey {
		t.Fatalf("ordering after update = %q, want key", got.Ordering)
	}
}

// turnOf returns the turn of a delivery, failing when it has none.
func turnOf(t *testing.T, s herald.Store, deliveryID string) herald.TurnParams {
	t.Helper()
	task, err := s.DeliveryTask(context.Background(), anyRef(deliveryID))
	if err != nil {
		t.Fatal(err)
	}
	if task.Turn == nil {
		t.Fatalf("delivery %s has no turn", deliveryID)
	}
	return *task.Turn
}

// takeTurn calls TakeTurn and checks its answer.
func takeTurn(t *testing.T, s herald.Store, deliveryID string, want bool) {
	t.Helper()
	got, err := s.TakeTurn(context.Background(), turnOf(t, s, deliveryID))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("TakeTurn(%s) = %v, want %v", deliveryID, got, want)
	}
}

// settle records an attempt of a delivery with status, as the worker does
// for an ordered one, and returns how many jobs that queued.
func settle(t *testing.T, s herald.Store, deliveryID, status string) int {
	t.Helper()
	ctx := context.Background()
	turn := turnOf(t, s, deliveryID)
	before, err := s.QueueDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := herald.AttemptResult{DeliveryID: deliveryID, Status: status, Line: &turn.Line,
		Attempt: &herald.Attempt{StartedAt: time.Now(), Success: status == herald.DeliverySuccess}}
	if status == herald.DeliveryPending {
		next := time.Now().Add(time.Minute)
		r.NextAttemptAt = &next
	}
	if _, err := s.RecordAttempt(ctx, r); err != nil {
		t.Fatal(err)
	}
	after, err := s.QueueDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return after - before
}

// testOrderingFIFO walks a fifo line: the first delivery goes, the ones
// behind it are held, a retry keeps them held, and each settle (a success
// or a final failure) releases the next one with one job.
func testOrderingFIFO(t *testing.T, s herald.Store) {
	w := NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.Ordering = herald.OrderingFIFO })
	var ids []string
	for range 3 {
		ids = append(ids, publish(t, s, herald.PublishParams{Type: "order.paid"}).Deliveries[0].ID)
	}
	if a, b := turnOf(t, s, ids[0]), turnOf(t, s, ids[1]); a.Seq >= b.Seq || a.Line != b.Line || a.Line.WebhookID != w.ID {
		t.Fatalf("turns %+v and %+v: want one line, in publish order", a, b)
	}
	takeTurn(t, s, ids[0], true)
	takeTurn(t, s, ids[2], false)
	takeTurn(t, s, ids[1], false)
	if n := settle(t, s, ids[0], herald.DeliveryPending); n != 0 {
		t.Fatalf("a retry of the first queued %d jobs, want 0", n)
	}
	takeTurn(t, s, ids[0], true) // its retry still goes first
	if n := settle(t, s, ids[0], herald.DeliverySuccess); n != 1 {
		t.Fatalf("settling the first queued %d jobs, want 1 (the second's)", n)
	}
	takeTurn(t, s, ids[1], true)
	takeTurn(t, s, ids[2], false)
	if n := settle(t, s, ids[1], herald.DeliveryFailed); n != 1 {
		t.Fatalf("the second's final failure queued %d jobs, want 1 (the third's)", n)
	}
	takeTurn(t, s, ids[2], true)
	if n := settle(t, s, ids[2], herald.DeliverySuccess); n != 0 {
		t.Fatalf("settling the last queued %d jobs, want 0", n)
	}
	// A delivery that was never held needs no release: its job is queued.
	more := publish(t, s, herald.PublishParams{Type: "order.paid"}).Deliveries[0].ID
	last := publish(t, s, herald.PublishParams{Type: "order.paid"}).Deliveries[0].ID
	takeTurn(t, s, more, true)
	if n := settle(t, s, more, herald.DeliverySuccess); n != 0 {
		t.Fatalf("settling before the next took its turn queued %d jobs, want 0", n)
	}
	takeTurn(t, s, last, true)
}

// testOrderingKey checks that under ordering key each key is a line of its
// own, and that an event without a key is not ordered.
func testOrderingKey(t *testing.T, s herald.Store) {
	ctx := context.Background()
	NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.Ordering = herald.OrderingKey })
	pub := func(key string) string {
		return publish(t, s, herald.PublishParams{Type: "agent.status", OrderingKey: key}).Deliveries[0].ID
	}
	a1, b1, a2, b2, none := pub("a"), pub("b"), pub("a"), pub("b"), pub("")
	if turnOf(t, s, a1).Line == turnOf(t, s, b1).Line {
		t.Fatal("keys a and b share a line")
	}
	if task, err := s.DeliveryTask(ctx, anyRef(none)); err != nil || task.Turn != nil {
		t.Fatalf("a delivery without a key has a turn: %+v, %v", task, err)
	}
	takeTurn(t, s, a1, true)
	takeTurn(t, s, b1, true) // another key goes in parallel
	takeTurn(t, s, a2, false)
	takeTurn(t, s, b2, false)
	if n := settle(t, s, b1, herald.DeliverySuccess); n != 1 {
		t.Fatalf("settling b1 queued %d jobs, want 1", n)
	}
	takeTurn(t, s, b2, true)
	takeTurn(t, s, a2, false) // a1 is still pending
	if n := settle(t, s, a1, herald.DeliveryFailed); n != 1 {
		t.Fatalf("settling a1 queued %d jobs, want 1", n)
	}
	takeTurn(t, s, a2, true)
}

// testOrderingReplays checks that a replayed event joins the back of its
// line, with its ordering key.
func testOrderingReplays(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.Ordering = herald.OrderingKey })
	first := publish(t, s, herald.PublishParams{Type: "agent.status", OrderingKey: "a"})
	second := publish(t, s, herald.PublishParams{Type: "agent.status", OrderingKey: "a"}).Deliveries[0].ID
	takeTurn(t, s, first.Deliveries[0].ID, true)
	takeTurn(t, s, second, false)
	o := createOperation(t, s, herald.CreateOperationParams{Kind: herald.OperationReplay, EventID: first.Event.ID,
		WebhookIDs: []string{w.ID}})
	if o, _ = runOperation(t, s, o.ID, 500); o.Status != herald.OperationSucceeded || o.Done != 1 {
		t.Fatalf("replay: %+v", o)
	}
	ds, _, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: herald.AnyTenant(), WebhookID: w.ID})
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries after replay = %d, %v; want 3", len(ds), err)
	}
	replayed := ds[0].ID // newest first
	turn := turnOf(t, s, replayed)
	if turn.Line.Key != "a" || turn.Seq <= turnOf(t, s, second).Seq {
		t.Fatalf("replayed delivery's turn = %+v, want the back of line a", turn)
	}
	takeTurn(t, s, replayed, false)
}

// testOrderingAgentKey checks that the events Herald publishes about an
// agent carry the agent's ID as their ordering key, so that a key webhook
// gets each agent's events in order.
func testOrderingAgentKey(t *testing.T, s herald.Store) {
	ctx := context.Background()
	NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.Ordering = herald.OrderingKey })
	res := reportStatus(t, s, herald.AgentReport{AgentID: "a9", Status: "running"})
	if len(res.Events) == 0 {
		t.Fatal("the report published no event")
	}
	for _, e := range res.Events {
		ev, err := s.Event(ctx, anyRef(e.ID))
		if err != nil {
			t.Fatal(err)
		}
		if ev.OrderingKey != "a9" || len(ev.Deliveries) != 1 {
			t.Fatalf("%s: ordering key %q with %d deliveries, want a9 with 1", ev.Type, ev.OrderingKey, len(ev.Deliveries))
		}
		if turn := turnOf(t, s, ev.Deliveries[0].ID); turn.Line.Key != "a9" {
			t.Fatalf("%s: delivery in line %+v, want key a9", ev.Type, turn.Line)
		}
	}
}

// testOrderingTenancy checks that TakeTurn holds a delivery only within its
// Tenancy. Called with another tenant's, the platform's or the zero
// Tenancy for a delivery of tenant A, it answers ENOTFOUND, with one ahead
// of it or not, and holds nothing: settling the one ahead then queues no
// release. Called with tenant A's own Tenancy, it holds the delivery, and
// settling the one ahead releases it. A settled delivery is not found
// either.
func testOrderingTenancy(t *testing.T, s herald.Store) {
	ctx := context.Background()
	putTenants(t, s)
	NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.TenantID, w.Ordering = tenantA, herald.OrderingFIFO })
	pub := func() string {
		return publish(t, s, herald.PublishParams{TenantID: tenantA, Type: "order.paid"}).Deliveries[0].ID
	}
	first, second, third := pub(), pub(), pub()
	turnAs := func(deliveryID string, v herald.Tenancy) (bool, error) {
		turn := turnOf(t, s, deliveryID)
		turn.Tenancy = v
		return s.TakeTurn(ctx, turn)
	}
	foreign := []herald.Tenancy{only(tenantB), herald.Platform(), {}}
	for _, v := range foreign {
		if ok, err := turnAs(first, v); ok || herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("TakeTurn of tenant %s's first delivery (none ahead) as %s = %v, %v; want not found", tenantA, v, ok, err)
		}
	}
	takeTurn(t, s, first, true)
	for _, v := range foreign {
		if ok, err := turnAs(second, v); ok || herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("TakeTurn of tenant %s's second delivery as %s = %v, %v; want not found", tenantA, v, ok, err)
		}
	}
	if n := settle(t, s, first, herald.DeliverySuccess); n != 0 {
		t.Fatalf("settling the first queued %d jobs, want 0: TakeTurn held the second outside its Tenancy", n)
	}
	if ok, err := turnAs(third, only(tenantA)); ok || err != nil {
		t.Fatalf("TakeTurn of the third as %s = %v, %v; want false, nil", tenantA, ok, err)
	}
	if n := settle(t, s, second, herald.DeliverySuccess); n != 1 {
		t.Fatalf("settling the second queued %d jobs, want 1 (the third's, held within its Tenancy)", n)
	}
	takeTurn(t, s, third, true)
	if ok, err := turnAs(first, only(tenantA)); ok || herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("TakeTurn of the settled first delivery = %v, %v; want not found", ok, err)
	}
}
