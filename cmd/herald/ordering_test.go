package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/pgtest"
)

// orderedReceiver is a receiver on 127.0.0.1 that answers 500 to about
// failRate of the requests and 204 to the others, and records every
// request's event (data.n, under data.key when set) in arrival order. It
// flags two requests in flight at once for one key.
type orderedReceiver struct {
	url      string
	failRate float64
	want     int           // distinct events delivered when done closes
	done     chan struct{} // closed when want events have had a 2xx
	third    chan struct{} // closed when a third of them have

	mu       sync.Mutex
	rng      *rand.Rand
	arrivals map[string][]int // by key, every request's n in arrival order
	keys     []string         // every request's key, in arrival order
	ok       map[string]bool  // key/n answered 2xx
	inFlight map[string]int
	overlap  int         // requests that came while another of their key was in flight
	at       []time.Time // when each request came
	failed   int         // requests answered 500
}

func newOrderedReceiver(t *testing.T, want int, failRate float64) *orderedReceiver {
	t.Helper()
	o := &orderedReceiver{failRate: failRate, want: want, done: make(chan struct{}), third: make(chan struct{}),
		rng: rand.New(rand.NewPCG(14, 1)), arrivals: map[string][]int{}, ok: map[string]bool{}, inFlight: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(o.serve)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	o.url = "http://" + l.Addr().String() + "/hook"
	return o
}

func (o *orderedReceiver) serve(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data struct {
			N   int    `json:"n"`
			Key string `json:"key"`
		} `json:"data"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key, n := body.Data.Key, body.Data.N
	o.mu.Lock()
	if o.inFlight[key] > 0 {
		o.overlap++
	}
	o.inFlight[key]++
	o.arrivals[key] = append(o.arrivals[key], n)
	o.keys = append(o.keys, key)
	o.at = append(o.at, time.Now())
	fail := o.rng.Float64() < o.failRate
	o.mu.Unlock()

	// A moment in flight, so that a second request of the key would
	// overlap it.
	time.Sleep(200 * time.Microsecond)

	o.mu.Lock()
	o.inFlight[key]--
	if fail {
		o.failed++
	} else if id := fmt.Sprintf("%s/%d", key, n); !o.ok[id] {
		o.ok[id] = true
		switch len(o.ok) {
		case o.want / 3:
			close(o.third)
		case o.want:
			close(o.done)
		}
	}
	o.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// wait waits for every event to have had a 2xx.
func (o *orderedReceiver) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-o.done:
	case <-time.After(timeout):
		o.mu.Lock()
		defer o.mu.Unlock()
		t.Fatalf("%d of %d events delivered within %s", len(o.ok), o.want, timeout)
	}
}

// checkOrder checks that within each key the events arrived in the order
// they were published: each request's n is the one before it, again (a
// retry), or the next one. It returns the requests counted.
func (o *orderedReceiver) checkOrder(t *testing.T, perKey int) (requests int) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for key, ns := range o.arrivals {
		requests += len(ns)
		prev := -1
		for i, n := range ns {
			if n != prev && n != prev+1 {
				t.Fatalf("key %q: request %d carried event %d after event %d: out of order (first arrivals %v…)",
					key, i, n, prev, ns[:min(len(ns), 20)])
			}
			prev = n
		}
		if prev != perKey-1 {
			t.Fatalf("key %q: the last event to arrive was %d, want %d", key, prev, perKey-1)
		}
	}
	if o.overlap > 0 {
		t.Fatalf("%d requests came while another of their key was in flight", o.overlap)
	}
	gaps := make([]time.Duration, 0, len(o.at))
	for i := 1; i < len(o.at); i++ {
		gaps = append(gaps, o.at[i].Sub(o.at[i-1]))
	}
	slices.Sort(gaps)
	if len(gaps) > 0 {
		t.Logf("time between requests: median %s, p90 %s", gaps[len(gaps)/2], gaps[len(gaps)*9/10])
	}
	return requests
}

// fifoWebhook is the body of a fifo webhook to url: up to 10 retries, each
// at once, so that a failing delivery holds the line only briefly.
func fifoWebhook(url, ordering string) map[string]any {
	return map[string]any{"url": url, "events": []string{"*"}, "ordering": ordering,
		"max_retries": herald.MaxMaxRetries, "retry_schedule": []string{"0s"}}
}

// TestOrderedFIFOOneNode: 1,000 events published to a fifo webhook whose
// receiver fails about 20% of the requests arrive strictly in order on one
// SQLite node, one request at a time, every one in the end.
func TestOrderedFIFOOneNode(t *testing.T) {
	if testing.Short() {
		t.Skip("ordered run skipped in -short mode")
	}
	const events = 1000
	rc := newOrderedReceiver(t, events, 0.2)
	ts := startServer(t)
	wh := ts.createWebhook(fifoWebhook(rc.url, "fifo"))
	if wh.Ordering != herald.OrderingFIFO {
		t.Fatalf("created webhook's ordering = %q, want fifo", wh.Ordering)
	}
	for i := 0; i < events; i++ {
		ts.publish("order.paid", map[string]any{"n": i})
	}
	rc.wait(t, 3*time.Minute)
	requests := rc.checkOrder(t, events)
	if rc.failed == 0 {
		t.Fatal("no request failed: the run did not test retries")
	}
	t.Logf("%d events in order in %d requests, %d of them failed", events, requests, rc.failed)
}

// TestOrderedKeyInterleaves: under ordering key, 4 keys of 100 events
// each, published round robin, keep their order within each key, while
// the keys interleave at the receiver (they go in parallel).
func TestOrderedKeyInterleaves(t *testing.T) {
	const keys, perKey = 4, 100
	rc := newOrderedReceiver(t, keys*perKey, 0.1)
	ts := startServer(t)
	ts.createWebhook(fifoWebhook(rc.url, "key"))
	for i := 0; i < perKey; i++ {
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("agent-%d", k)
			ts.must(http.StatusAccepted, "POST", "/v1/events", map[string]any{"type": "agent.status",
				"ordering_key": key, "data": map[string]any{"n": i, "key": key}}, nil)
		}
	}
	rc.wait(t, 2*time.Minute)
	rc.checkOrder(t, perKey)
	// The keys interleave at the receiver: one after another, the
	// requests would switch key only keys-1 times.
	rc.mu.Lock()
	if len(rc.arrivals) != keys {
		t.Fatalf("%d keys arrived, want %d", len(rc.arrivals), keys)
	}
	switches := 0
	for i := 1; i < len(rc.keys); i++ {
		if rc.keys[i] != rc.keys[i-1] {
			switches++
		}
	}
	rc.mu.Unlock()
	if switches < perKey {
		t.Fatalf("the requests switched key %d times, want at least %d: the keys did not interleave", switches, perKey)
	}
}

// TestOrderedFIFOThreeNodesOneKilled: the same 1,000 events to a fifo
// webhook on three nodes sharing one PostgreSQL database, published in
// turn through the nodes; the first node is killed with SIGKILL once a
// third have arrived. They all arrive, in order: a request the killed node
// had in flight may come again, but never after a later event.
func TestOrderedFIFOThreeNodesOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("ordered cluster run skipped in -short mode")
	}
	const events = 1000
	_, dbURL := pgtest.Schema(t)
	dataDir := t.TempDir()
	rc := newOrderedReceiver(t, events, 0.2)
	flags := []string{"--database", dbURL, "--node-heartbeat", "500ms", "--node-dead-after", "3s"}
	nodes, key := startCluster(t, dataDir, 3, flags...)
	if status, body := apiCall(t, key, "POST", "http://"+nodes[0].addr+"/v1/webhooks", fifoWebhook(rc.url, "fifo")); status != 201 {
		t.Fatalf("create webhook: %d %s", status, body)
	}
	victim := nodes[0]
	var killed atomic.Bool
	go func() {
		select {
		case <-rc.third:
			killed.Store(victim.cmd.Process.Signal(syscall.SIGKILL) == nil)
		case <-rc.done:
		}
	}()
	client := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < events; i++ {
		body := fmt.Sprintf(`{"id":"fifo-%d","type":"order.paid","data":{"n":%d}}`, i, i)
		// Each event is accepted before the next is sent: that is the order
		// they must arrive in. A node that fails (the victim, killed) is
		// skipped; the id makes the publish idempotent.
		published := false
		for try := 0; try < 3 && !published; try++ {
			status, err := publishTo(client, nodes[(i+try)%3].addr, key, body)
			published = err == nil && (status == http.StatusAccepted || status == http.StatusOK)
		}
		if !published {
			t.Fatalf("publish %d: no node accepted it", i)
		}
	}
	rc.wait(t, 4*time.Minute)
	requests := rc.checkOrder(t, events)
	if !killed.Load() {
		t.Fatal("the first node was not killed mid-run")
	}
	for _, n := range nodes[1:] {
		if got := successes(t, n.addr); got == 0 {
			t.Errorf("node %s delivered nothing", n.addr)
		}
	}
	t.Logf("%d events in order in %d requests, %d of them failed", events, requests, rc.failed)
}

// TestOrderingCLIAndSDK sets, shows and changes a webhook's ordering with
// "herald webhooks" and the Go SDK, sends an event with --ordering-key and
// with the SDK, and checks that bad values are 400s naming the field.
func TestOrderingCLIAndSDK(t *testing.T) {
	ts := startServer(t)
	run := ts.mustCLI
	wh := decodeAs[herald.Webhook](t, run("webhooks", "create", "--url", "http://127.0.0.1:9/hook", "--events", "*",
		"--ordering", "fifo", "-o", "json"))
	if wh.Ordering != herald.OrderingFIFO {
		t.Fatalf("created with --ordering fifo: %q", wh.Ordering)
	}
	if out := run("webhooks", "get", wh.ID); !regexpMatch(`Ordering:\s+fifo`, out) {
		t.Fatalf("webhooks get shows no ordering:\n%s", out)
	}
	run("webhooks", "update", wh.ID, "--ordering", "key")
	if out := run("webhooks", "get", wh.ID); !regexpMatch(`Ordering:\s+key`, out) {
		t.Fatalf("after --ordering key:\n%s", out)
	}
	if out, err := ts.cli("webhooks", "update", wh.ID, "--ordering", "lifo"); err == nil || !strings.Contains(out+err.Error(), "ordering") {
		t.Fatalf("--ordering lifo: %v\n%s", err, out)
	}
	sent := decodeAs[client.SendResult](t, run("events", "send", "agent.status", "--ordering-key", "agent-7", "-o", "json"))
	var ev herald.Event
	ts.must(http.StatusOK, "GET", "/v1/events/"+sent.ID, nil, &ev)
	if ev.OrderingKey != "agent-7" {
		t.Fatalf("event sent with --ordering-key agent-7 reads back %q", ev.OrderingKey)
	}

	c := client.New(ts.URL(), ts.key)
	ctx := context.Background()
	none := herald.OrderingNone
	got, err := c.Webhooks.Update(ctx, wh.ID, herald.WebhookInput{Ordering: &none})
	if err != nil || got.Ordering != herald.OrderingNone {
		t.Fatalf("SDK set ordering none: %v, %+v", err, got)
	}
	res, err := c.Events.Send(ctx, client.EventInput{Type: "agent.status", OrderingKey: "agent-8"})
	if err != nil || res.Deliveries != 1 {
		t.Fatalf("SDK send with an ordering key: %v, %+v", err, res)
	}
	for _, bad := range []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"*"}, "ordering": "random"}, "ordering"},
		{"/v1/events", map[string]any{"type": "agent.status", "ordering_key": strings.Repeat("k", herald.MaxOrderingKeyLen+1)}, "ordering_key"},
		{"/v1/events", map[string]any{"type": "agent.status", "ordering_key": "a\x00b"}, "ordering_key"},
	} {
		status, body := ts.do("POST", bad.path, bad.body)
		if status != http.StatusBadRequest || !strings.Contains(string(body), bad.field) {
			t.Fatalf("POST %s %v: %d %s, want 400 naming %s", bad.path, bad.body, status, body, bad.field)
		}
	}
}
