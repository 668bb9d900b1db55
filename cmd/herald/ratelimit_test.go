package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/pgtest"
)

// arrivals is a receiver on 127.0.0.1 that answers 204 and records when
// each event first arrives; done closes when want distinct events have.
type arrivals struct {
	url  string
	want int
	done chan struct{}

	mu    sync.Mutex
	at    map[string]time.Time
	times []time.Time
}

func newArrivals(t *testing.T, want int) *arrivals {
	t.Helper()
	a := &arrivals{want: want, done: make(chan struct{}), at: map[string]time.Time{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		now := time.Now()
		id := r.Header.Get("webhook-id")
		a.mu.Lock()
		if _, ok := a.at[id]; !ok {
			a.at[id] = now
			a.times = append(a.times, now)
			if len(a.at) == a.want {
				close(a.done)
			}
		}
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	a.url = "http://" + l.Addr().String() + "/hook"
	return a
}

// count is how many distinct events have arrived.
func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

// wait waits for want events, up to timeout, and returns their first
// arrival times in order.
func (a *arrivals) wait(t *testing.T, timeout time.Duration) []time.Time {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(timeout):
		t.Fatalf("%d of %d events arrived within %s", a.count(), a.want, timeout)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	times := slices.Clone(a.times)
	slices.SortFunc(times, func(x, y time.Time) int { return x.Compare(y) })
	return times
}

// rateLimitedRun publishes 200 events through nodes[0] to a webhook
// limited to 20/s whose deliveries every node works, and checks at the
// receiver that they arrive spaced by the limit, every one at its first
// attempt. The limit spaces attempts one interval (50ms) apart with no
// initial burst, so the last arrives 199 × 50ms = 9.95s after the first;
// the test allows ±15%.
func rateLimitedRun(t *testing.T, nodes []*testServer) {
	const events, interval = 200, 50 * time.Millisecond
	rc := newArrivals(t, events)
	ts := nodes[0]
	wh := ts.createWebhook(map[string]any{"url": rc.url, "events": []string{"*"},
		"rate_limit": map[string]any{"requests": 20, "per": "1s"}})
	if wh.RateLimit == nil || wh.RateLimit.Requests != 20 || time.Duration(wh.RateLimit.Per) != time.Second {
		t.Fatalf("created webhook's rate_limit = %+v", wh.RateLimit)
	}
	for i := 0; i < events; i++ {
		ts.publish("order.paid", map[string]any{"i": i})
	}
	times := rc.wait(t, 60*time.Second)
	span := times[len(times)-1].Sub(times[0])
	want := (events - 1) * interval
	if lo, hi := want*85/100, want*115/100; span < lo || span > hi {
		t.Fatalf("%d events arrived over %s, want %s ±15%%", events, span.Round(time.Millisecond), want)
	}
	// No attempt failed: the nodes recorded 200 attempts, each a success
	// at the delivery's first; with several nodes, more than one sent.
	type nodeAttempt struct {
		node int
		d    *herald.Delivery
	}
	merged, stop := make(chan nodeAttempt), make(chan struct{})
	defer close(stop)
	for i, n := range nodes {
		go func() {
			for {
				select {
				case d := <-n.attempts:
					select {
					case merged <- nodeAttempt{i, d}:
					case <-stop:
						return
					}
				case <-stop:
					return
				}
			}
		}()
	}
	perNode := make([]int, len(nodes))
	for total := 0; total < events; total++ {
		a := recv(t, merged, "attempt")
		if a.d.Status != herald.DeliverySuccess || a.d.Attempts != 1 {
			t.Fatalf("delivery %s: status %s after %d attempts, want success at the first", a.d.ID, a.d.Status, a.d.Attempts)
		}
		perNode[a.node]++
	}
	senders := 0
	for _, n := range perNode {
		if n > 0 {
			senders++
		}
	}
	if len(nodes) > 1 && senders < 2 {
		t.Fatalf("attempts per node %v: want several nodes to send", perNode)
	}
	t.Logf("%d events arrived over %s (expected %s); attempts per node %v", events, span.Round(time.Millisecond), want, perNode)
}

// TestRateLimitOneNode: 200 events to a webhook limited to 20/s arrive
// over about 10s on one SQLite node, none failed.
func TestRateLimitOneNode(t *testing.T) {
	if testing.Short() {
		t.Skip("rate-limit run skipped in -short mode")
	}
	rateLimitedRun(t, []*testServer{startServer(t)})
}

// TestRateLimitThreeNodes: the same on three nodes sharing one PostgreSQL
// database; the limit holds for the three together.
func TestRateLimitThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("rate-limit run skipped in -short mode")
	}
	_, dbURL := pgtest.Schema(t)
	var nodes []*testServer
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startServer(t, func(c *Config) { c.Database = dbURL }))
	}
	rateLimitedRun(t, nodes)
}

// TestRateLimitPatch: a webhook limited to 1/1h holds its second delivery
// pending with no attempt; a PATCH raising the limit lets it go, and one
// removing the limit lets the next ones go too. Bad limits are 400s
// naming the field.
func TestRateLimitPatch(t *testing.T) {
	ts := startServer(t)
	for _, bad := range []struct {
		limit any
		field string
	}{
		{map[string]any{"requests": 0, "per": "1s"}, "rate_limit.requests"},
		{map[string]any{"requests": 100001, "per": "1s"}, "rate_limit.requests"},
		{map[string]any{"requests": 5, "per": "500ms"}, "rate_limit.per"},
		{map[string]any{"requests": 5, "per": "2h"}, "rate_limit.per"},
		{map[string]any{"requests": 5, "per": "soon"}, "rate_limit"},
	} {
		status, body := ts.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/x", "events": []string{"*"},
			"rate_limit": bad.limit})
		if status != http.StatusBadRequest || !strings.Contains(string(body), bad.field) {
			t.Fatalf("rate_limit %v: %d %s, want 400 naming %s", bad.limit, status, body, bad.field)
		}
	}

	rc := newArrivals(t, 4)
	wh := ts.createWebhook(map[string]any{"url": rc.url, "events": []string{"*"},
		"rate_limit": map[string]any{"requests": 1, "per": "1h"}})
	path := "/v1/webhooks/" + wh.ID
	// Of two events, one goes at once and the other waits for the next
	// slot, an hour on: pending, uncounted.
	_, held := ts.oneHeld(wh.ID, rc)
	var got herald.Webhook
	ts.must(200, "PATCH", path, map[string]any{"rate_limit": map[string]any{"requests": 100, "per": "1s"}}, &got)
	if got.RateLimit == nil || got.RateLimit.Requests != 100 {
		t.Fatalf("PATCH answered rate_limit %+v", got.RateLimit)
	}
	if d := ts.waitDelivery(wh.ID, held.ID, 30*time.Second); d.Status != herald.DeliverySuccess || d.Attempts != 1 {
		t.Fatalf("held delivery after raising the limit: %+v", d)
	}

	// Back to 1/1h, then removed.
	ts.must(200, "PATCH", path, map[string]any{"rate_limit": map[string]any{"requests": 1, "per": "1h"}}, nil)
	_, held = ts.oneHeld(wh.ID, rc)
	ts.must(200, "PATCH", path, map[string]any{"rate_limit": nil}, &got)
	if got.RateLimit != nil {
		t.Fatalf("PATCH rate_limit null answered %+v", got.RateLimit)
	}
	ts.must(200, "GET", path, nil, &got)
	if got.RateLimit != nil {
		t.Fatalf("GET after removing the limit: rate_limit %+v", got.RateLimit)
	}
	if d := ts.waitDelivery(wh.ID, held.ID, 30*time.Second); d.Status != herald.DeliverySuccess || d.Attempts != 1 {
		t.Fatalf("held delivery after removing the limit: %+v", d)
	}
	rc.wait(t, 5*time.Second)
}

// oneHeld publishes two events to a webhook limited to 1/1h, waits for
// one to arrive at rc, and checks that the other is pending with no
// attempt. It returns the two deliveries.
func (ts *testServer) oneHeld(webhookID string, rc *arrivals) (sent, held *herald.Delivery) {
	ts.t.Helper()
	before := rc.count()
	a, _ := ts.publish("order.paid", map[string]any{"n": before})
	b, _ := ts.publish("order.paid", map[string]any{"n": before + 1})
	da, db := ts.deliveryOf(a), ts.deliveryOf(b)
	for rc.count() == before {
		select {
		case <-ts.attempts:
		case <-time.After(30 * time.Second):
			ts.t.Fatal("neither event arrived within 30s")
		}
	}
	rc.mu.Lock()
	_, aSent := rc.at[a]
	rc.mu.Unlock()
	sent, held = da, db
	if !aSent {
		sent, held = db, da
	}
	if d := ts.waitDelivery(webhookID, sent.ID, 30*time.Second); d.Status != herald.DeliverySuccess {
		ts.t.Fatalf("delivery sent: %+v", d)
	}
	var d herald.Delivery
	ts.must(200, "GET", "/v1/webhooks/"+webhookID+"/deliveries/"+held.ID, nil, &d)
	if d.Status != herald.DeliveryPending || d.Attempts != 0 {
		ts.t.Fatalf("delivery under the limit: status %s, %d attempts; want pending, 0", d.Status, d.Attempts)
	}
	return sent, held
}

// TestRateLimitCLIAndSDK sets, shows, changes and removes a webhook's rate
// limit with "herald webhooks" and with the Go SDK.
func TestRateLimitCLIAndSDK(t *testing.T) {
	ts := startServer(t)
	run := ts.mustCLI
	wh := decodeAs[herald.Webhook](t, run("webhooks", "create", "--url", "http://127.0.0.1:9/hook", "--events", "*",
		"--rate-limit", "20/1s", "-o", "json"))
	if wh.RateLimit == nil || wh.RateLimit.Requests != 20 || time.Duration(wh.RateLimit.Per) != time.Second {
		t.Fatalf("created with --rate-limit 20/1s: %+v", wh.RateLimit)
	}
	if out := run("webhooks", "get", wh.ID); !regexpMatch(`Rate limit:\s+20/1s`, out) {
		t.Fatalf("webhooks get shows no rate limit:\n%s", out)
	}
	run("webhooks", "update", wh.ID, "--rate-limit", "100/1m")
	if out := run("webhooks", "get", wh.ID); !regexpMatch(`Rate limit:\s+100/1m`, out) {
		t.Fatalf("after --rate-limit 100/1m:\n%s", out)
	}
	if out, err := ts.cli("webhooks", "update", wh.ID, "--rate-limit", "5/100ms"); err == nil || !strings.Contains(out+err.Error(), "rate_limit.per") {
		t.Fatalf("--rate-limit 5/100ms: %v\n%s", err, out)
	}
	run("webhooks", "update", wh.ID, "--rate-limit", "none")
	if out := run("webhooks", "get", wh.ID); !regexpMatch(`Rate limit:\s+none`, out) {
		t.Fatalf("after --rate-limit none:\n%s", out)
	}

	c := client.New(ts.URL(), ts.key)
	ctx := context.Background()
	got, err := c.Webhooks.Update(ctx, wh.ID, herald.WebhookInput{RateLimit: herald.OptionalRateLimit{Set: true,
		Limit: &herald.RateLimit{Requests: 3, Per: herald.Duration(time.Minute)}}})
	if err != nil || got.RateLimit == nil || got.RateLimit.Requests != 3 {
		t.Fatalf("SDK set the limit: %v, %+v", err, got)
	}
	// An update that leaves rate_limit out keeps it.
	name := "renamed"
	if got, err = c.Webhooks.Update(ctx, wh.ID, herald.WebhookInput{Name: &name}); err != nil || got.RateLimit == nil {
		t.Fatalf("SDK update of the name dropped the limit: %v, %+v", err, got)
	}
	if got, err = c.Webhooks.Update(ctx, wh.ID, herald.WebhookInput{RateLimit: herald.OptionalRateLimit{Set: true}}); err != nil || got.RateLimit != nil {
		t.Fatalf("SDK removed the limit: %v, %+v", err, got)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
