package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// testListDeliveriesStatusAndTime checks the Status, Since and Until
// filters of ListDeliveries, alone and together.
func testListDeliveriesStatusAndTime(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	base := time.Now().UTC().Truncate(time.Millisecond)
	var ids []string
	for _, at := range []time.Time{base.Add(-2 * time.Hour), base.Add(-30 * time.Minute), base} {
		ids = append(ids, publish(t, s, herald.PublishParams{Type: "agent.status", Now: at}).Deliveries[0].ID)
	}
	code := 500
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: ids[0], Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: base, StatusCode: &code}}); err != nil {
		t.Fatal(err)
	}
	code = 200
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: ids[1], Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{StartedAt: base, StatusCode: &code, Success: true}}); err != nil {
		t.Fatal(err)
	}
	check := func(f herald.DeliveryFilter, want ...string) {
		t.Helper()
		f.Tenancy, f.WebhookID = anyTenant, w.ID
		items, total, err := s.ListDeliveries(ctx, f)
		if err != nil || total != len(want) || len(items) != len(want) {
			t.Fatalf("filter %+v: %d items, total %d, %v; want %d", f, len(items), total, err, len(want))
		}
		for i := range want {
			if items[i].ID != want[i] {
				t.Fatalf("filter %+v: item %d is %s, want %s", f, i, items[i].ID, want[i])
			}
		}
	}
	check(herald.DeliveryFilter{Status: herald.DeliveryFailed}, ids[0])
	check(herald.DeliveryFilter{Status: herald.DeliverySuccess}, ids[1])
	check(herald.DeliveryFilter{Status: herald.DeliveryPending}, ids[2])
	check(herald.DeliveryFilter{Since: base.Add(-time.Hour)}, ids[2], ids[1])
	check(herald.DeliveryFilter{Since: base}, ids[2])
	check(herald.DeliveryFilter{Until: base.Add(-time.Hour)}, ids[0])
	check(herald.DeliveryFilter{Since: base.Add(-3 * time.Hour), Until: base}, ids[1], ids[0])
	check(herald.DeliveryFilter{Since: base.Add(-time.Hour), Status: herald.DeliverySuccess}, ids[1])
	check(herald.DeliveryFilter{Since: base.Add(time.Second)})
}
