package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/pgtest"
)

// TestClusterSurvivesKilledNode runs three "herald serve" processes on one
// PostgreSQL database with default recovery flags, publishes 3,000 events
// across them, kills the first node (the queue's leader, as it started
// first) with SIGKILL mid-run, and expects every event to arrive within 60
// seconds of the kill, with the work spread over the survivors. Duplicates
// are allowed only for requests the killed node had in flight: their first
// arrival precedes the kill.
func TestClusterSurvivesKilledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test skipped in -short mode")
	}
	_, dbURL := pgtest.Schema(t)
	dataDir := t.TempDir()
	const events = 3000

	var mu sync.Mutex
	seen := make(map[string]int, events)
	first := make(map[string]time.Time, events) // first arrival of each event
	var killedAt time.Time                      // under mu
	var dups, unexplained atomic.Int64
	all := make(chan struct{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		id := r.Header.Get("webhook-id")
		mu.Lock()
		seen[id]++
		if seen[id] == 1 {
			first[id] = time.Now()
		} else {
			dups.Add(1)
			// At least once: a request the killed node sent before it died,
			// but never recorded, is sent again. Any other is a fault.
			if killedAt.IsZero() || first[id].After(killedAt) {
				unexplained.Add(1)
			}
		}
		if len(seen) == events && seen[id] == 1 {
			close(all)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	flags := []string{"--database", dbURL, "--retry-schedule", "1s"}
	nodes, key := startCluster(t, dataDir, 3, flags...)
	if status, body := apiCall(t, key, "POST", "http://"+nodes[0].addr+"/v1/webhooks", map[string]any{
		"url": "http://" + l.Addr().String() + "/hook", "events": []string{"*"}, "max_retries": 10,
	}); status != 201 {
		t.Fatalf("create webhook: %d %s", status, body)
	}

	// Publish from 8 goroutines, round robin over the live nodes; kill the
	// first node when 40% are out.
	victim, survivors := nodes[0], nodes[1:]
	var next atomic.Int64
	var killed atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	client := &http.Client{Timeout: 30 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= events {
					return
				}
				if i == events*4/10 && killed.CompareAndSwap(false, true) {
					mu.Lock()
					killedAt = time.Now()
					mu.Unlock()
					_ = victim.cmd.Process.Signal(syscall.SIGKILL)
				}
				node := nodes[i%3]
				if killed.Load() {
					node = survivors[i%2]
				}
				body := fmt.Sprintf(`{"id":"cluster-%d","type":"agent.status","data":{"i":%d}}`, i, i)
				req, _ := http.NewRequest("POST", "http://"+node.addr+"/v1/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if node == victim { // the kill raced this request: publish it again (the id makes it idempotent)
						if _, err2 := publishTo(client, survivors[0].addr, key, body); err2 == nil {
							continue
						}
					}
					errs <- fmt.Errorf("publish %d: %w", i, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 202 && resp.StatusCode != 200 {
					errs <- fmt.Errorf("publish %d: status %d", i, resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}

	mu.Lock()
	deadline := killedAt.Add(60 * time.Second)
	mu.Unlock()
	select {
	case <-all:
	case <-time.After(time.Until(deadline)):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("only %d of %d events arrived within 60s of the kill", len(seen), events)
	}
	mu.Lock()
	var last time.Time
	for _, at := range first {
		if at.After(last) {
			last = at
		}
	}
	took := last.Sub(killedAt)
	mu.Unlock()
	// Duplicates are the requests in flight on the killed node, bounded by
	// its worker pool; no other.
	if d := unexplained.Load(); d > 0 {
		t.Fatalf("%d duplicate deliveries of %d events not explained by the kill", d, events)
	}
	if d := dups.Load(); d > 100 {
		t.Fatalf("%d duplicate deliveries of %d events: more than the killed node had in flight", d, events)
	}
	// The leader's sweep, not River's rescuer, finds the dead node (once it
	// has been silent for --node-dead-after, which may be after the last
	// event arrived when the dead node held no running job).
	if !waitLog("queued again the running jobs of dead nodes", deadline, survivors[0], survivors[1]) {
		t.Errorf("no survivor queued the dead node's jobs again:\n%s\n%s", survivors[0].stderr, survivors[1].stderr)
	}
	// The surviving nodes both delivered.
	for _, n := range survivors {
		if got := successes(t, n.addr); got == 0 {
			t.Errorf("node %s delivered nothing", n.addr)
		}
	}
	t.Logf("%d events arrived, the last %s after the kill; %d duplicates; survivors' deliveries %d and %d", events, took.Round(time.Millisecond),
		dups.Load(), successes(t, survivors[0].addr), successes(t, survivors[1].addr))
}

func publishTo(c *http.Client, addr, key, body string) (int, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

var successLine = regexp.MustCompile(`(?m)^herald_deliveries_total\{outcome="success"\} (\d+)`)

// successes reads a node's count of successful deliveries from /metrics.
func successes(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := successLine.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestAPIAndWorkerRoles splits one PostgreSQL database between an api node,
// which accepts events and delivers nothing, and a worker node, which
// delivers and serves no API.
func TestAPIAndWorkerRoles(t *testing.T) {
	_, dbURL := pgtest.Schema(t)
	rc := newReceiver(t, statuses(200))
	api := startServer(t, func(c *Config) { c.Database = dbURL; c.Role = "api" })
	wh := api.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}})
	evID, _ := api.publish("agent.started", map[string]any{"agent_id": "a1"})
	select {
	case <-rc.hits:
		t.Fatal("an api node delivered")
	case <-time.After(300 * time.Millisecond):
	}
	worker := startServer(t, func(c *Config) { c.Database = dbURL; c.Role = "worker" })
	if status, _ := worker.do("GET", "/v1/webhooks", nil); status != http.StatusNotFound {
		t.Fatalf("worker served /v1: %d", status)
	}
	c := recv(t, rc.hits, "request at the receiver")
	if c.Header.Get("webhook-id") != evID {
		t.Fatalf("delivered %q, want %s", c.Header.Get("webhook-id"), evID)
	}
	recv(t, worker.attempts, "attempt recorded by the worker")
	var d herald.Delivery
	api.must(200, "GET", "/v1/webhooks/"+wh.ID+"/deliveries/"+api.deliveryOf(evID).ID, nil, &d)
	if !d.Success {
		t.Fatalf("delivery: %+v", d)
	}
}
