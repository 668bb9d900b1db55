package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func init() {
	lifecycleTests["DeliveryStats"] = testDeliveryStats
	lifecycleTests["DeliveryStatsBadInput"] = testDeliveryStatsBadInput
}

// statsWant is what one bucket of DeliveryStats should hold; -1 is a
// null percentile.
type statsWant struct{ succeeded, failed, pending, p50, p95 int }

// checkStats compares every bucket of st with want, by index; the
// buckets not in want are empty.
func checkStats(t *testing.T, what string, st *herald.DeliveryStats, n int, want map[int]statsWant) {
	t.Helper()
	if len(st.Buckets) != n {
		t.Fatalf("%s: %d buckets, want %d", what, len(st.Buckets), n)
	}
	for i, b := range st.Buckets {
		w, ok := want[i]
		if !ok {
			w = statsWant{p50: -1, p95: -1}
		}
		pct := func(p *int64) int {
			if p == nil {
				return -1
			}
			return int(*p)
		}
		got := statsWant{b.Succeeded, b.Failed, b.Pending, pct(b.P50MS), pct(b.P95MS)}
		if got != w {
			t.Errorf("%s: bucket %d (%s) is %+v, want %+v", what, i, b.Start.Format(time.TimeOnly), got, w)
		}
		if wantStart := st.Since.Add(time.Duration(i) * time.Minute); !b.Start.Equal(wantStart) {
			t.Errorf("%s: bucket %d starts at %s, want %s", what, i, b.Start, wantStart)
		}
	}
}

func testDeliveryStats(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for _, id := range []string{tenantA, tenantB} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	hook := func(tenant string) *herald.Webhook {
		return NewWebhook(t, s, []string{"*"}, func(h *herald.Webhook) { h.TenantID = herald.TenantID(tenant) })
	}
	a1, a2, b := hook(tenantA), hook(tenantA), hook(tenantB)
	t0 := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	at := func(m, sec int) time.Time {
		return t0.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	}
	send := func(w *herald.Webhook, created time.Time) string {
		t.Helper()
		return publish(t, s, herald.PublishParams{TenantID: string(w.TenantID), WebhookID: w.ID, Type: "order.created", Now: created}).Deliveries[0].ID
	}
	// 11:10: a1's success, failure (two attempts) and pending delivery,
	// whose attempt starts at 11:12; b's success.
	attempt(t, s, send(a1, at(10, 0)), at(10, 5), 100, true)
	failed := send(a1, at(10, 10))
	attempt(t, s, failed, at(10, 20), 300, false)
	attempt(t, s, failed, at(10, 40), 500, false)
	pending := send(a1, at(10, 30))
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: pending, Status: herald.DeliveryPending,
		Attempt: &herald.Attempt{StartedAt: at(12, 0), DurationMS: 700}}); err != nil {
		t.Fatal(err)
	}
	attempt(t, s, send(b, at(10, 0)), at(10, 1), 9999, true)
	// 11:11: a2's success.
	attempt(t, s, send(a2, at(11, 59)), at(11, 59), 50, true)
	// 11:31: twenty of a1, of 1 to 20 ms.
	for ms := 1; ms <= 20; ms++ {
		attempt(t, s, send(a1, at(31, ms)), at(31, ms), int64(ms), true)
	}
	// Outside the span 11:01-12:01: before it, and at its end.
	attempt(t, s, send(a1, at(0, 59)), at(0, 59), 8888, false)
	send(a1, at(61, 0))

	stats := func(ten herald.Tenancy, webhookID string) *herald.DeliveryStats {
		t.Helper()
		p, err := herald.StatsParams(ten, webhookID, "1h", at(60, 30))
		if err != nil {
			t.Fatal(err)
		}
		if !p.Since.Equal(at(1, 0)) || !p.Until.Equal(at(61, 0)) || p.Bucket != time.Minute {
			t.Fatalf("1h window at 12:00:30: %+v", p)
		}
		st, err := s.DeliveryStats(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if st.BucketSeconds != 60 || st.WebhookID != webhookID {
			t.Fatalf("stats: bucket %ds, webhook %q", st.BucketSeconds, st.WebhookID)
		}
		return st
	}
	checkStats(t, "tenant A", stats(only(tenantA), ""), 60, map[int]statsWant{
		9:  {1, 1, 1, 300, 500},
		10: {1, 0, 0, 50, 50},
		11: {0, 0, 0, 700, 700},
		30: {20, 0, 0, 10, 19},
	})
	checkStats(t, "webhook a2", stats(only(tenantA), a2.ID), 60, map[int]statsWant{10: {1, 0, 0, 50, 50}})
	checkStats(t, "webhook a1", stats(only(tenantA), a1.ID), 60, map[int]statsWant{
		9:  {1, 1, 1, 300, 500},
		11: {0, 0, 0, 700, 700},
		30: {20, 0, 0, 10, 19},
	})
	checkStats(t, "tenant B", stats(only(tenantB), ""), 60, map[int]statsWant{9: {1, 0, 0, 9999, 9999}})
	checkStats(t, "B's webhook from A", stats(only(tenantA), b.ID), 60, nil)
	checkStats(t, "platform", stats(herald.Platform(), ""), 60, nil)
	checkStats(t, "zero tenancy", stats(herald.Tenancy{}, ""), 60, nil)
	checkStats(t, "any tenant", stats(anyTenant, ""), 60, map[int]statsWant{
		9:  {2, 1, 1, 300, 9999},
		10: {1, 0, 0, 50, 50},
		11: {0, 0, 0, 700, 700},
		30: {20, 0, 0, 10, 19},
	})

	// Coarser buckets: 24h of 15 minutes, 7d of 2 hours.
	for _, c := range []struct {
		window string
		n      int
		bucket time.Duration
	}{{"24h", 96, 15 * time.Minute}, {"7d", 84, 2 * time.Hour}} {
		p, err := herald.StatsParams(only(tenantA), "", c.window, at(60, 30))
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.DeliveryStats(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Buckets) != c.n || p.Bucket != c.bucket || !st.Until.Equal(p.Until) {
			t.Fatalf("%s: %d buckets of %s until %s", c.window, len(st.Buckets), p.Bucket, st.Until)
		}
		var got []string
		for _, bk := range st.Buckets {
			if bk.Total() > 0 || bk.P50MS != nil {
				pct := "none"
				if bk.P50MS != nil {
					pct = fmt.Sprintf("%d-%d", *bk.P50MS, *bk.P95MS)
				}
				got = append(got, fmt.Sprintf("%s %d/%d/%d %s", bk.Start.Format("02 15:04"), bk.Succeeded, bk.Failed, bk.Pending, pct))
			}
		}
		// A's 26 attempts, 11:00:59's included: 1..20 ms at 11:31, and
		// 50 100 300 500 700 8888 from 11:00 to 11:15.
		want := map[string][]string{
			"24h": {"01 11:00 2/2/1 300-8888", "01 11:30 20/0/0 10-19", "01 12:00 0/0/1 none"},
			"7d":  {"01 10:00 22/2/1 13-700", "01 12:00 0/0/1 none"},
		}[c.window]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %v, want %v", c.window, got, want)
		}
	}
}

func testDeliveryStatsBadInput(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	for _, p := range []herald.DeliveryStatsParams{
		{Since: t0, Until: t0.Add(time.Hour), Bucket: 0},
		{Since: t0, Until: t0.Add(time.Hour), Bucket: 1500 * time.Millisecond},
		{Since: t0, Until: t0, Bucket: time.Minute},
		{Since: t0, Until: t0.Add(90 * time.Second), Bucket: time.Minute},
		{Since: t0, Until: t0.Add(1001 * time.Second), Bucket: time.Second},
	} {
		p.Tenancy = anyTenant
		if _, err := s.DeliveryStats(ctx, p); herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", p, err)
		}
	}
	if _, err := herald.StatsParams(anyTenant, "", "2h", t0); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("window 2h: %v, want EINVALID", err)
	}
}
