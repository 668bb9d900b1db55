package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/pgtest"
)

// testServer is a Herald server booted in-process on port 0.
type testServer struct {
	*Main
	t        *testing.T
	key      string
	attempts chan *herald.Delivery
}

// startServer boots Herald on a fresh SQLite file with settings for local
// receivers: http and loopback targets allowed, and a short retry schedule.
func startServer(t *testing.T, mutate ...func(*Config)) *testServer {
	t.Helper()
	return startServerWith(t, nil, mutate...)
}

// startServerClock is startServer with the clock of the API and the
// delivery worker (nil for the system clock).
func startServerClock(t *testing.T, clock herald.Clock, mutate ...func(*Config)) *testServer {
	t.Helper()
	return startServerWith(t, func(m *Main) { m.Clock = clock }, mutate...)
}

// startServerWith is startServer with main called on the server before it
// runs, to set its hooks.
func startServerWith(t *testing.T, main func(*Main), mutate ...func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.AllowHTTP, cfg.AllowPrivateTargets = true, true
	cfg.RetrySchedule = "50ms"
	cfg.PollInterval = 20 * time.Millisecond
	cfg.LogLevel = "warn"
	cfg.ShutdownTimeout = 5 * time.Second
	for _, m := range mutate {
		m(&cfg)
	}
	ts := &testServer{t: t, attempts: make(chan *herald.Delivery, 10000)}
	ts.Main = NewMain(cfg)
	ts.Stdout = io.Discard
	if os.Getenv("HERALD_TEST_LOG") == "" {
		ts.Logger = newLogger(cfg, io.Discard)
	}
	ts.Attempted = func(d *herald.Delivery) { ts.attempts <- d }
	checkOpenAPI(t, ts.Main)
	if main != nil {
		main(ts.Main)
	}
	if err := ts.Run(context.Background()); err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() {
		if err := ts.Close(); err != nil {
			buf := make([]byte, 16<<20)
			t.Errorf("close: %v\ngoroutines:\n%s", err, buf[:runtime.Stack(buf, true)])
		}
	})
	ts.key = ts.AdminKey // "" when the database had keys already
	return ts
}

// do sends a request with the admin key and returns the status and body.
func (ts *testServer) do(method, path string, body any) (int, []byte) {
	ts.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.URL()+path, r)
	req.Header.Set("Authorization", "Bearer "+ts.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// must sends a request, fails the test unless the status is want, and
// decodes the answer into v (when not nil).
func (ts *testServer) must(want int, method, path string, body, v any) {
	ts.t.Helper()
	status, out := ts.do(method, path, body)
	if status != want {
		ts.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			ts.t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

// createWebhook registers a webhook and returns it with its secret.
func (ts *testServer) createWebhook(body map[string]any) *herald.Webhook {
	ts.t.Helper()
	var w herald.Webhook
	ts.must(http.StatusCreated, "POST", "/v1/webhooks", body, &w)
	return &w
}

// waitDelivery waits, on attempt signals, until the delivery is no longer
// pending, and returns it with its attempts.
func (ts *testServer) waitDelivery(webhookID, deliveryID string, timeout time.Duration) *herald.Delivery {
	ts.t.Helper()
	deadline := time.After(timeout)
	for {
		var d herald.Delivery
		ts.must(200, "GET", "/v1/webhooks/"+webhookID+"/deliveries/"+deliveryID, nil, &d)
		if d.Status != herald.DeliveryPending {
			return &d
		}
		select {
		case <-ts.attempts:
		case <-deadline:
			ts.t.Fatalf("delivery %s still pending after %s: %+v", deliveryID, timeout, d)
		}
	}
}

// publish sends an event and returns the id of its only delivery.
func (ts *testServer) publish(typ string, data any) (eventID string, deliveries int) {
	ts.t.Helper()
	var res struct {
		ID         string `json:"id"`
		Deliveries int    `json:"deliveries"`
	}
	ts.must(http.StatusAccepted, "POST", "/v1/events", map[string]any{"type": typ, "data": data}, &res)
	return res.ID, res.Deliveries
}

// deliveryOf returns the one delivery of an event.
func (ts *testServer) deliveryOf(eventID string) *herald.Delivery {
	ts.t.Helper()
	var ev herald.Event
	ts.must(200, "GET", "/v1/events/"+eventID, nil, &ev)
	if len(ev.Deliveries) != 1 {
		ts.t.Fatalf("event %s has %d deliveries, want 1", eventID, len(ev.Deliveries))
	}
	return ev.Deliveries[0]
}

func TestAdminKeyWrittenOnce(t *testing.T) {
	ts := startServer(t)
	if ts.key == "" {
		t.Fatal("no admin key was created on first start")
	}
	b, err := readFileMode(filepath.Join(ts.Config.DataDir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(b.content) != ts.key || b.mode != 0o600 {
		t.Fatalf("admin.key holds %q with mode %o", b.content, b.mode)
	}
	if !strings.HasPrefix(ts.key, "hk_") {
		t.Fatalf("key %q does not start with hk_", ts.key)
	}
}

// forEachEngine runs test once on SQLite and once on PostgreSQL (skipped
// when HERALD_TEST_POSTGRES_URL is unset); db sets the engine on a Config.
func forEachEngine(t *testing.T, test func(t *testing.T, db func(*Config))) {
	t.Run("sqlite", func(t *testing.T) { test(t, func(*Config) {}) })
	t.Run("postgres", func(t *testing.T) {
		_, url := pgtest.Schema(t)
		test(t, func(c *Config) { c.Database = url })
	})
}

// recv waits up to 30 s for a value on ch, and fails the test naming what
// it waited for when none comes.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30s", what)
		panic("unreachable")
	}
}
