package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var retentionTests = map[string]func(t *testing.T, s herald.Store){
	"PruneHistory":        testPruneHistory,
	"PruneHistoryBatches": testPruneHistoryBatches,
	"TenantRetention":     testTenantRetention,
	"Stats":               testStats,
}

// retentionT0 is when the history of the pruning tests is made.
var retentionT0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// history is what each owner gets in the pruning tests: an event whose
// delivery succeeded at once (done), one whose delivery is still pending
// (pending), one no webhook took (lone), and one whose delivery was retried
// and succeeded 25 days later (late).
type history struct {
	done, pending, lone, late string
}

// makeHistory publishes an owner's history at retentionT0 to its webhook
// "hook" (events "order.*").
func makeHistory(t *testing.T, s herald.Store, owner string) history {
	t.Helper()
	ctx := context.Background()
	NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.TenantID = herald.TenantID(owner) })
	pub := func(id, typ string) *herald.PublishResult {
		return publish(t, s, herald.PublishParams{TenantID: owner, ID: id, Type: typ, Now: retentionT0})
	}
	attempt := func(d *herald.Delivery, at time.Time, status string) {
		t.Helper()
		if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: d.ID, Status: status,
			Attempt: &herald.Attempt{StartedAt: at, Success: status == herald.DeliverySuccess}}); err != nil {
			t.Fatalf("record attempt: %v", err)
		}
	}
	done := pub("done", "order.paid")
	attempt(done.Deliveries[0], retentionT0.Add(time.Second), herald.DeliveryPending)
	attempt(done.Deliveries[0], retentionT0.Add(2*time.Second), herald.DeliverySuccess)
	pending := pub("pending", "order.paid")
	attempt(pending.Deliveries[0], retentionT0.Add(time.Second), herald.DeliveryPending)
	pub("lone", "user.created")
	late := pub("late", "order.paid")
	attempt(late.Deliveries[0], retentionT0.Add(25*day), herald.DeliverySuccess)
	return history{"done", "pending", "lone", "late"}
}

// eventsOf returns the ids of the owner's events, and counts their
// deliveries and attempts.
func eventsOf(t *testing.T, s herald.Store, owner string) (ids map[string]bool, deliveries, attempts int) {
	t.Helper()
	ctx := context.Background()
	evs, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: only(owner), Limit: herald.MaxLimit})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	ids = map[string]bool{}
	for _, e := range evs {
		ids[e.ID] = true
	}
	ds, _, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: only(owner), Limit: herald.MaxLimit})
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	for _, d := range ds {
		deliveries++
		attempts += d.Attempts
	}
	return ids, deliveries, attempts
}

// wantEvents fails unless the owner holds exactly the events named.
func wantEvents(t *testing.T, s herald.Store, when, owner string, want ...string) {
	t.Helper()
	ids, deliveries, _ := eventsOf(t, s, owner)
	if len(ids) != len(want) {
		t.Errorf("%s: %s holds events %v, want %v", when, label(owner), ids, want)
		return
	}
	for _, id := range want {
		if !ids[id] {
			t.Errorf("%s: %s holds events %v, want %v", when, label(owner), ids, want)
			return
		}
	}
	// Every event but "lone" has one delivery.
	wantDeliveries := len(want)
	if ids["lone"] {
		wantDeliveries--
	}
	if deliveries != wantDeliveries {
		t.Errorf("%s: %s holds %d deliveries, want %d", when, label(owner), deliveries, wantDeliveries)
	}
}

// pruneAll calls PruneHistory until a call removes fewer than its batch,
// and sums what it removed.
func pruneAll(t *testing.T, s herald.Store, p herald.PruneParams) herald.PruneResult {
	t.Helper()
	var sum herald.PruneResult
	for range 100 {
		res, err := s.PruneHistory(context.Background(), p)
		if err != nil {
			t.Fatalf("prune history: %v", err)
		}
		sum.Add(res)
		if res.Events < p.Batch() {
			return sum
		}
	}
	t.Fatalf("prune history never ends")
	return sum
}

func retention(d time.Duration) *herald.LongDuration {
	r := herald.LongDuration(d)
	return &r
}

// testPruneHistory steps the clock through the retentions of the platform
// (the server's 30 days), tenant "short" (7 days), "long" (90 days) and
// "keep" (0, everything): each owner's old events go with their
// deliveries and attempts at their own retention, the pending one never,
// one attempted recently only once that attempt is old, and nothing of
// another tenant's.
func testPruneHistory(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for id, r := range map[string]time.Duration{"short": 7 * day, "long": 90 * day, "keep": 0} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id, Retention: retention(r)}); err != nil {
			t.Fatalf("put tenant %s: %v", id, err)
		}
	}
	owners := []string{"", "short", "long", "keep"}
	for _, o := range owners {
		makeHistory(t, s, o)
	}
	all := []string{"done", "pending", "lone", "late"}
	server := 30 * day
	at := func(d time.Duration) herald.PruneParams {
		return herald.PruneParams{Tenancy: herald.AnyTenant(), Now: retentionT0.Add(d), Retention: server}
	}

	// Nothing is old enough yet; the zero Tenancy reaches nothing.
	if res := pruneAll(t, s, at(6*day)); res != (herald.PruneResult{}) {
		t.Fatalf("prune at day 6: %+v, want nothing", res)
	}
	if res, err := s.PruneHistory(ctx, herald.PruneParams{Now: retentionT0.Add(400 * day), Retention: server}); err != nil || res != (herald.PruneResult{}) {
		t.Fatalf("prune with the zero Tenancy: %+v %v, want nothing", res, err)
	}

	// Day 8: short's done and lone go (done had 2 attempts); its late
	// one was attempted on day 25, its pending one is pending.
	res := pruneAll(t, s, at(8*day))
	if want := (herald.PruneResult{Events: 2, Deliveries: 1, Attempts: 2}); res != want {
		t.Fatalf("prune at day 8: %+v, want %+v", res, want)
	}
	wantEvents(t, s, "day 8", "short", "pending", "late")
	for _, o := range []string{"", "long", "keep"} {
		wantEvents(t, s, "day 8", o, all...)
	}

	// Day 31: the platform's done and lone go too; late was attempted
	// 6 days ago, within the 30 days (and short's 7).
	pruneAll(t, s, at(31*day))
	wantEvents(t, s, "day 31", "", "pending", "late")
	wantEvents(t, s, "day 31", "short", "pending", "late")

	// A server retention of 0 keeps the platform's rows, not a tenant's
	// own retention.
	pruneAll(t, s, herald.PruneParams{Tenancy: herald.AnyTenant(), Now: retentionT0.Add(60 * day)})
	wantEvents(t, s, "day 60 keeping everything", "", "pending", "late")

	// One tenant's pruning leaves the others'.
	pruneAll(t, s, herald.PruneParams{Tenancy: only("long"), Now: retentionT0.Add(200 * day), Retention: server})
	wantEvents(t, s, "day 200 for long only", "long", "pending")
	wantEvents(t, s, "day 200 for long only", "", "pending", "late")

	// Day 400: everything old but the pending deliveries' events, and
	// everything of "keep".
	pruneAll(t, s, at(400*day))
	for _, o := range []string{"", "short", "long"} {
		wantEvents(t, s, "day 400", o, "pending")
	}
	wantEvents(t, s, "day 400", "keep", all...)

	// Once its delivery ends, the pending event goes at the next pruning.
	ev, err := s.Event(ctx, herald.Ref{Tenancy: only("short"), ID: "pending"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: ev.Deliveries[0].ID, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: retentionT0.Add(2 * day), Error: "refused"}}); err != nil {
		t.Fatal(err)
	}
	res = pruneAll(t, s, at(400*day))
	if want := (herald.PruneResult{Events: 1, Deliveries: 1, Attempts: 2}); res != want {
		t.Fatalf("prune of the ended delivery: %+v, want %+v", res, want)
	}
	wantEvents(t, s, "day 400 after the end", "short")
	if _, err := s.Delivery(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: ev.Deliveries[0].ID}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("pruned delivery: %v, want not found", err)
	}
}

// testPruneHistoryBatches removes at most Limit events a call, oldest
// first.
func testPruneHistoryBatches(t *testing.T, s herald.Store) {
	for i := range 5 {
		publish(t, s, herald.PublishParams{ID: "e" + string(rune('0'+i)), Type: "x.y", Now: retentionT0.Add(time.Duration(i) * time.Hour)})
	}
	p := herald.PruneParams{Tenancy: herald.Platform(), Now: retentionT0.Add(31 * day), Retention: 30 * day, Limit: 2}
	for i, want := range []int{2, 2, 1, 0} {
		res, err := s.PruneHistory(context.Background(), p)
		if err != nil || res.Events != want {
			t.Fatalf("call %d: %+v %v, want %d events", i, res, err, want)
		}
		if i == 0 {
			ids, _, _ := eventsOf(t, s, "")
			if ids["e0"] || ids["e1"] || !ids["e2"] {
				t.Fatalf("first batch left %v, want the oldest two gone", ids)
			}
		}
	}
}

// testTenantRetention stores a tenant's retention, changes it and sets it
// back to the server's (nil); one below a minute is EINVALID.
func testTenantRetention(t *testing.T, s herald.Store) {
	ctx := context.Background()
	tn := &herald.Tenant{ID: "acme", Retention: retention(7 * day)}
	if _, err := s.PutTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tenant(ctx, "acme")
	if err != nil || got.Retention == nil || time.Duration(*got.Retention) != 7*day {
		t.Fatalf("tenant: %+v %v, want retention 7d", got, err)
	}
	if b, _ := json.Marshal(got.Retention); string(b) != `"7d"` {
		t.Errorf("retention JSON = %s, want \"7d\"", b)
	}
	tn.Retention = retention(0)
	if _, err := s.PutTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.ListTenants(ctx, herald.TenantFilter{})
	if err != nil || len(list) != 1 || list[0].Retention == nil || *list[0].Retention != 0 {
		t.Fatalf("tenants: %+v %v, want retention 0", list, err)
	}
	tn.Retention = nil
	if _, err := s.PutTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Tenant(ctx, "acme"); err != nil || got.Retention != nil {
		t.Fatalf("tenant: %+v %v, want the server's retention", got, err)
	}
	tn.Retention = retention(time.Second)
	if _, err := s.PutTenant(ctx, tn); herald.ErrorCode(err) != herald.EINVALID {
		t.Fatalf("retention 1s: %v, want invalid", err)
	}
}

// testStats counts the rows of each table, and its bytes grow with them.
func testStats(t *testing.T, s herald.Store) {
	ctx := context.Background()
	before, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	makeHistory(t, s, "")
	after, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Engine == "" || after.Method == "" || after.TotalBytes <= 0 {
		t.Errorf("stats: %+v", after)
	}
	find := func(st *herald.Stats, table string) herald.TableStats {
		for _, ts := range st.Tables {
			if ts.Table == table {
				return ts
			}
		}
		t.Fatalf("stats have no table %s: %+v", table, st.Tables)
		return herald.TableStats{}
	}
	for table, rows := range map[string]int64{"events": 4, "deliveries": 3, "attempts": 4, "webhooks": 1} {
		b, a := find(before, table), find(after, table)
		if b.Rows != 0 || a.Rows != rows {
			t.Errorf("%s: %d rows, then %d, want 0 then %d", table, b.Rows, a.Rows, rows)
		}
		if a.Bytes <= 0 {
			t.Errorf("%s: %d bytes", table, a.Bytes)
		}
	}
}
