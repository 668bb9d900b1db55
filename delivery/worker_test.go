package delivery_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/sqlite"
)

// TestJobTimeoutCountsAsAttempt runs a delivery to an endpoint that takes
// the connection and never answers, with max_retries 0 and a job timeout
// shorter than the webhook's: the job timeout ends the run, the attempt is
// recorded as timed out and counts, so there is exactly one request and the
// delivery ends failed instead of being put back in the queue.
func TestJobTimeoutCountsAsAttempt(t *testing.T) {
	ctx := context.Background()
	var conns atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			t.Cleanup(func() { c.Close() }) // read nothing, answer nothing
		}
	}()

	attempts := make(chan *herald.Delivery, 10)
	db := openQueue(t, &delivery.Worker{
		Sender:     delivery.NewSender("Herald/test", true),
		JobTimeout: 300 * time.Millisecond, // fires before the webhook's 1s
		Attempted:  func(d *herald.Delivery) { attempts <- d },
	})
	wh := herald.NewWebhookDefaults()
	wh.Name, wh.URL, wh.Events, wh.Secret = "hang", "http://"+l.Addr().String()+"/hook", []string{"*"}, herald.GenerateSecret()
	wh.TimeoutSeconds, wh.MaxRetries = 1, 0
	if err := db.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	res, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{}`)})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("publish: %v %+v", err, res)
	}
	startQueue(t, db)

	var d *herald.Delivery
	select {
	case d = <-attempts:
	case <-time.After(20 * time.Second):
		t.Fatal("no attempt recorded")
	}
	if d.Status != herald.DeliveryFailed || d.Attempts != 1 {
		t.Fatalf("after the job timeout: status %s, %d attempts; want failed, 1", d.Status, d.Attempts)
	}
	got, err := db.Delivery(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: res.Deliveries[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != herald.DeliveryFailed || got.Attempts != 1 || len(got.AttemptList) != 1 {
		t.Fatalf("stored delivery: %+v", got)
	}
	if e := got.AttemptList[0].Error; e == "" || got.AttemptList[0].Success {
		t.Fatalf("attempt: %+v; want a timed-out failure", got.AttemptList[0])
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("endpoint got %d connections, want 1", n)
	}
}

// TestTenantDeliveries publishes for two tenants and the platform, then
// deletes one tenant before the queue starts: the deleted tenant's queued
// deliveries end without a send, the other tenant's reach its webhook and
// the firehose with tenant_id in the body, and the platform's events
// reach the platform's webhooks with the body they always had.
func TestTenantDeliveries(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	bodies := map[string][]map[string]any{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		bodies[r.URL.Path] = append(bodies[r.URL.Path], body)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)

	attempts := make(chan *herald.Delivery, 20)
	db := openQueue(t, &delivery.Worker{
		Sender:    delivery.NewSender("Herald/test", true),
		Attempted: func(d *herald.Delivery) { attempts <- d },
	})
	for _, id := range []string{"acme", "beta"} {
		if _, err := db.PutTenant(ctx, &herald.Tenant{ID: id, Metadata: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for path, tenant := range map[string]herald.TenantID{"/acme": "acme", "/beta": "beta", "/platform": "", "/firehose": ""} {
		wh := herald.NewWebhookDefaults()
		wh.TenantID, wh.AllTenants = tenant, path == "/firehose"
		wh.Name, wh.URL, wh.Events, wh.Secret = path, srv.URL+path, []string{"*"}, herald.GenerateSecret()
		if err := db.CreateWebhook(ctx, wh); err != nil {
			t.Fatal(err)
		}
	}
	for _, tenant := range []string{"acme", "beta", ""} {
		if _, err := db.PublishEvent(ctx, herald.PublishParams{TenantID: tenant, Type: "agent.status", Data: json.RawMessage(`{"t":"` + tenant + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	startQueue(t, db)

	// beta's event to beta's webhook and the firehose; the platform's to
	// the platform's webhook and the firehose.
	for range 4 {
		select {
		case d := <-attempts:
			if d.Status != herald.DeliverySuccess {
				t.Fatalf("delivery %+v", d)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the deliveries were not made")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := db.QueueDepth(ctx); n > 0 && time.Now().Before(deadline); n, _ = db.QueueDepth(ctx) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	if got := bodies["/acme"]; len(got) != 0 {
		t.Fatalf("the deleted tenant's webhook got %v", got)
	}
	if got := bodies["/beta"]; len(got) != 1 || got[0]["tenant_id"] != "beta" {
		t.Fatalf("beta's webhook got %v", got)
	}
	if got := bodies["/platform"]; len(got) != 1 || got[0]["data"].(map[string]any)["t"] != "" {
		t.Fatalf("the platform's webhook got %v", got)
	} else if _, ok := got[0]["tenant_id"]; ok {
		t.Fatalf("a platform event's body carries tenant_id: %v", got[0])
	}
	var fromBeta, fromPlatform int
	for _, b := range bodies["/firehose"] {
		switch tenant, ok := b["tenant_id"]; {
		case !ok:
			fromPlatform++
		case tenant == "beta":
			fromBeta++
		case tenant != "acme":
			t.Fatalf("the firehose got %v", b)
		}
	}
	if fromBeta != 1 || fromPlatform != 1 {
		t.Fatalf("the firehose got %v", bodies["/firehose"])
	}
}

// TestWaitingDeliveryRereadsWebhook: a delivery that waits for its
// webhook's one send slot while the webhook is disabled is not sent once
// the slot frees: it reads its webhook again after the wait, and records
// the disabled webhook instead.
func TestWaitingDeliveryRereadsWebhook(t *testing.T) {
	ctx := context.Background()
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		arrived <- struct{}{}
		<-release
	}))
	t.Cleanup(srv.Close)

	attempts := make(chan *herald.Delivery, 10)
	worker := &delivery.Worker{
		Sender:      delivery.NewSender("Herald/test", true),
		MaxInFlight: 1,
		MaxWait:     30 * time.Second,
		Attempted:   func(d *herald.Delivery) { attempts <- d },
	}
	db := openQueue(t, worker)
	wh := herald.NewWebhookDefaults()
	wh.Name, wh.URL, wh.Events, wh.Secret = "one-slot", srv.URL, []string{"*"}, herald.GenerateSecret()
	wh.MaxRetries = 0
	if err := db.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	publish := func() {
		if _, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	publish()
	startQueue(t, db)

	select {
	case <-arrived: // the first delivery holds the slot
	case <-time.After(20 * time.Second):
		t.Fatal("no request arrived")
	}
	publish() // the second waits for the slot, its webhook active
	for deadline := time.Now().Add(20 * time.Second); worker.Waiting(wh.ID) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second delivery does not wait for the slot")
		}
	}
	ref := herald.Ref{Tenancy: herald.Platform(), ID: wh.ID}
	if _, _, err := db.DisableWebhook(ctx, herald.DisableParams{Ref: ref, Reason: herald.DisabledManual, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Hold the slot well past the wait after which a delivery reads its
	// webhook again.
	time.Sleep(300 * time.Millisecond)
	close(release)

	var got []*herald.Delivery
	for len(got) < 2 {
		select {
		case d := <-attempts:
			got = append(got, d)
		case <-time.After(20 * time.Second):
			t.Fatalf("%d attempts recorded, want 2", len(got))
		}
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("the endpoint got %d requests, want 1: the waiting delivery was sent to the disabled webhook", n)
	}
	var disabled int
	for _, d := range got {
		if d.ErrorMessage == herald.DisabledErrorMessage {
			disabled++
		}
	}
	if disabled != 1 {
		t.Fatalf("%d deliveries recorded the disabled webhook, want 1: %+v %+v", disabled, got[0], got[1])
	}
}

// openQueue opens a SQLite store whose queue runs w, polling every 20 ms,
// with w.Store set to it; the store is closed when the test ends.
func openQueue(t *testing.T, w *delivery.Worker) *sqlite.DB {
	t.Helper()
	workers := river.NewWorkers()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{Queue: queue.Config{
		Workers: workers, PollInterval: 20 * time.Millisecond,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.Store = db
	delivery.AddWorkers(workers, w)
	return db
}

// startQueue starts db's queue, which stops when the test ends.
func startQueue(t *testing.T, db *sqlite.DB) {
	t.Helper()
	if err := db.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		db.Stop(ctx)
	})
}
