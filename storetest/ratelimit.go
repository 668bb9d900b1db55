package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var rateLimitTests = map[string]func(t *testing.T, s herald.Store){
	"RateLimitStored": testRateLimitStored,
	"TakeRateSlot":    testTakeRateSlot,
}

// testRateLimitStored checks that a webhook's rate limit is kept by
// create, update and the delivery task, and that null removes it.
func testRateLimitStored(t *testing.T, s herald.Store) {
	ctx := context.Background()
	limit := &herald.RateLimit{Requests: 20, Per: herald.Duration(time.Second)}
	w := NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.RateLimit = limit })
	got, err := s.Webhook(ctx, anyRef(w.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.RateLimit == nil || *got.RateLimit != *limit {
		t.Fatalf("rate limit after create = %v, want %v", got.RateLimit, limit)
	}
	res := publish(t, s, herald.PublishParams{Type: "order.paid"})
	task, err := s.DeliveryTask(ctx, anyRef(res.Deliveries[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	if task.Webhook.RateLimit == nil || *task.Webhook.RateLimit != *limit {
		t.Fatalf("rate limit of the delivery task = %v, want %v", task.Webhook.RateLimit, limit)
	}
	got.RateLimit = &herald.RateLimit{Requests: 3, Per: herald.Duration(90 * time.Minute / 2)}
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Webhook(ctx, anyRef(w.ID)); again.RateLimit == nil || *again.RateLimit != *got.RateLimit {
		t.Fatalf("rate limit after update = %v, want 3/45m", again.RateLimit)
	}
	got.RateLimit = nil
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Webhook(ctx, anyRef(w.ID)); again.RateLimit != nil {
		t.Fatalf("rate limit after removal = %v, want none", again.RateLimit)
	}
}

// testTakeRateSlot steps through the slots of a webhook limited to 4/s
// (one every 250ms) with explicit times.
func testTakeRateSlot(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) {
		w.RateLimit = &herald.RateLimit{Requests: 4, Per: herald.Duration(time.Second)}
	})
	other := NewWebhook(t, s, []string{"order.*"})
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const iv = 250 * time.Millisecond
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	take := func(step string, id string, interval time.Duration, now time.Time, want time.Time) {
		t.Helper()
		got, err := s.TakeRateSlot(ctx, herald.RateSlotParams{Ref: anyRef(id), Interval: interval, Now: now})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !got.Equal(want) {
			t.Fatalf("%s: slot at %s, want %s", step, got.Format(time.StampMicro), want.Format(time.StampMicro))
		}
	}
	take("first", w.ID, iv, t0, t0)
	take("second at once", w.ID, iv, t0, ms(250))
	take("third at once", w.ID, iv, t0, ms(500))
	take("fourth a little later", w.ID, iv, ms(100), ms(750))
	take("another webhook", other.ID, iv, ms(100), ms(100))
	take("fifth when free", w.ID, iv, ms(1000), ms(1000))
	// An idle webhook saves up no burst.
	take("after idling", w.ID, iv, ms(2000), ms(2000))
	take("after idling, again", w.ID, iv, ms(2000), ms(2250))
	// A new interval (the limit was changed) starts afresh at once.
	take("new interval", w.ID, time.Second, ms(2001), ms(2001))
	take("new interval, again", w.ID, time.Second, ms(2500), ms(3001))
	take("new interval, later", w.ID, time.Second, ms(4500), ms(4500))

	for _, ref := range []herald.Ref{
		{Tenancy: only(tenantA), ID: w.ID},
		{ID: w.ID},
		anyRef("wh_missing"),
	} {
		_, err := s.TakeRateSlot(ctx, herald.RateSlotParams{Ref: ref, Interval: iv, Now: ms(9000)})
		if herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("TakeRateSlot(%v, %q) = %v, want ENOTFOUND", ref.Tenancy, ref.ID, err)
		}
	}
	// Those refused took nothing: the webhook's next slot is as it was.
	take("after refusals", w.ID, time.Second, ms(4600), ms(5500))
	if err := s.DeleteWebhook(ctx, anyRef(w.ID)); err != nil {
		t.Fatalf("delete the limited webhook: %v", err)
	}
}
