package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// pruning is one run of the history pruning, as Main.Pruned reports it.
type pruning struct {
	at  time.Time
	res herald.PruneResult
	err error
}

// TestRetention: with the clock stepped past a tenant's own retention (7d)
// and then past the server's (30d), the pruning the test queues removes
// the old events with their deliveries and attempts, each at its owner's
// retention, and leaves the event whose delivery is still pending (its
// retries are an hour apart). GET /v1/stats and herald stats count what is
// left, and refuse a tenant's key.
func TestRetention(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		clock := &steppedClock{}
		runs := make(chan pruning, 100)
		ts := startServerWith(t, func(m *Main) {
			m.Clock = clock
			m.Pruned = func(at time.Time, res herald.PruneResult, err error) { runs <- pruning{at, res, err} }
		}, db)
		// prune queues a pruning now and returns the one that ran after
		// the step.
		prune := func() herald.PruneResult {
			t.Helper()
			after := clock.Now()
			if err := ts.PruneHistoryNow(context.Background()); err != nil {
				t.Fatal(err)
			}
			for {
				r := recv(t, runs, "a pruning")
				if r.err != nil {
					t.Fatalf("pruning: %v", r.err)
				}
				if !r.at.Before(after) {
					return r.res
				}
			}
		}

		var tn herald.Tenant
		ts.must(http.StatusCreated, "PUT", "/v1/tenants/short", map[string]any{"retention": "7d"}, &tn)
		if tn.Retention == nil || tn.Retention.String() != "7d" {
			t.Fatalf("tenant: %+v, want retention 7d", tn)
		}
		for _, bad := range []any{"soon", "30s", 7} {
			status, body := ts.do("PUT", "/v1/tenants/short", map[string]any{"retention": bad})
			if status != http.StatusBadRequest || !strings.Contains(string(body), "retention") {
				t.Fatalf("retention %v: %d %s, want 400 naming retention", bad, status, body)
			}
		}
		ok := newReceiver(t, statuses(200))
		failing := newReceiver(t, statuses(500))
		ts.createWebhook(map[string]any{"url": ok.URL, "events": []string{"order.*"}})
		ts.createWebhook(map[string]any{"url": failing.URL, "events": []string{"invoice.*"},
			"max_retries": 3, "retry_schedule": []string{"1h"}})
		var tenantHook herald.Webhook
		ts.must(http.StatusCreated, "POST", "/v1/webhooks?tenant_id=short",
			map[string]any{"url": ok.URL, "events": []string{"order.*"}}, &tenantHook)

		done, _ := ts.publish("order.paid", map[string]any{"n": 1})
		pending, _ := ts.publish("invoice.due", map[string]any{"n": 2})
		var own herald.PublishAnswer
		ts.must(http.StatusAccepted, "POST", "/v1/events?tenant_id=short", map[string]any{"type": "order.paid", "data": map[string]any{}}, &own)
		d := ts.deliveryOf(done)
		ts.waitDelivery(d.WebhookID, d.ID, 30*time.Second)
		ts.waitDelivery(tenantHook.ID, ts.tenantDeliveryOf("short", own.ID).ID, 30*time.Second)
		// The failing delivery's first attempt, then it waits an hour.
		for {
			p := ts.deliveryOf(pending)
			if p.Attempts >= 1 {
				if p.Status != herald.DeliveryPending {
					t.Fatalf("failing delivery: %+v, want pending", p)
				}
				break
			}
			recv(t, ts.attempts, "the failing delivery's attempt")
		}

		exists := func(path string) bool {
			t.Helper()
			status, body := ts.do("GET", path, nil)
			if status != http.StatusOK && status != http.StatusNotFound {
				t.Fatalf("GET %s: %d %s", path, status, body)
			}
			return status == http.StatusOK
		}

		// Nothing is old yet.
		if res := prune(); res != (herald.PruneResult{}) {
			t.Fatalf("first pruning: %+v, want nothing", res)
		}
		// 8 days on: the tenant's event goes, with its delivery and
		// attempt; the platform's keep the server's 30 days.
		clock.Step(8 * 24 * time.Hour)
		if res := prune(); res != (herald.PruneResult{Events: 1, Deliveries: 1, Attempts: 1}) {
			t.Fatalf("pruning at day 8: %+v, want the tenant's event", res)
		}
		if exists("/v1/events/"+own.ID+"?tenant_id=short") || !exists("/v1/events/"+done) {
			t.Fatal("day 8: want the tenant's event gone and the platform's kept")
		}
		// 31 days on: the platform's delivered event goes; the pending one
		// stays.
		clock.Step(23 * 24 * time.Hour)
		if res := prune(); res != (herald.PruneResult{Events: 1, Deliveries: 1, Attempts: 1}) {
			t.Fatalf("pruning at day 31: %+v, want the delivered event", res)
		}
		if exists("/v1/events/"+done) || !exists("/v1/events/"+pending) {
			t.Fatal("day 31: want the delivered event gone and the pending one kept")
		}
		if p := ts.deliveryOf(pending); p.Status != herald.DeliveryPending {
			t.Fatalf("pending delivery after pruning: %+v", p)
		}

		var st herald.Stats
		ts.must(http.StatusOK, "GET", "/v1/stats", nil, &st)
		rows := map[string]int64{}
		for _, tb := range st.Tables {
			rows[tb.Table] = tb.Rows
		}
		if rows["events"] != 1 || rows["deliveries"] != 1 || rows["webhooks"] != 3 || st.TotalBytes <= 0 {
			t.Fatalf("stats: %+v", st)
		}
		out, err := ts.cli("stats")
		if err != nil || !strings.Contains(out, "deliveries") || !strings.Contains(out, "Database (") {
			t.Fatalf("herald stats: %v\n%s", err, out)
		}
		var k herald.APIKey
		ts.must(http.StatusCreated, "POST", "/v1/keys", map[string]any{"name": "short-admin", "scope": "admin", "tenant_id": "short"}, &k)
		if status, body := ts.as(k.Key).do("GET", "/v1/stats", nil); status != http.StatusForbidden {
			t.Fatalf("stats with a tenant's key: %d %s, want 403", status, body)
		}
	})
}

// tenantDeliveryOf returns the one delivery of a tenant's event.
func (ts *testServer) tenantDeliveryOf(tenant, eventID string) *herald.Delivery {
	ts.t.Helper()
	var ev herald.Event
	ts.must(http.StatusOK, "GET", "/v1/events/"+eventID+"?tenant_id="+tenant, nil, &ev)
	if len(ev.Deliveries) != 1 {
		ts.t.Fatalf("event %s of %s has %d deliveries, want 1", eventID, tenant, len(ev.Deliveries))
	}
	return ev.Deliveries[0]
}
