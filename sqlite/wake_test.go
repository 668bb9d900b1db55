package sqlite_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/sqlite"
)

// TestWakeOnCommit runs the queue with a poll interval far longer than the
// test waits: a published event, then a retried delivery, still reach a
// real receiver, because each commit that queues a job wakes this node's
// workers. Without the wake, each would wait for the next poll.
func TestWakeOnCommit(t *testing.T) {
	const (
		poll = 20 * time.Second
		wait = 5 * time.Second // well below poll
	)
	ctx := context.Background()
	bodies := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
	}))
	t.Cleanup(srv.Close)

	workers := river.NewWorkers()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{Queue: queue.Config{
		Workers: workers, PollInterval: poll,
	}})
	if err != nil {
		t.Fatal(err)
	}
	river.AddWorker(workers, &delivery.Worker{Store: db, Sender: delivery.NewSender("Herald/test", true)})
	wh := herald.NewWebhookDefaults()
	wh.Name, wh.URL, wh.Events, wh.Secret = "wake", srv.URL+"/hook", []string{"*"}, herald.GenerateSecret()
	if err := db.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	if err := db.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		db.Stop(stopCtx)
		db.Close()
	})
	arrives := func(what, eventID string) {
		t.Helper()
		for {
			select {
			case b := <-bodies:
				if strings.Contains(b, eventID) {
					return
				}
			case <-time.After(wait):
				t.Fatalf("%s: not delivered within %s with a %s poll", what, wait, poll)
			}
		}
	}
	publish := func() *herald.PublishResult {
		t.Helper()
		res, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{}`)})
		if err != nil || len(res.Deliveries) != 1 {
			t.Fatalf("publish: %v %+v", err, res)
		}
		return res
	}

	// The first event may be found by the queue's first fetch, at start;
	// the second comes once the queue is idle.
	arrives("first event", publish().Event.ID)
	res := publish()
	arrives("event published to an idle queue", res.Event.ID)

	ref := herald.Ref{Tenancy: herald.AnyTenant(), ID: res.Deliveries[0].ID}
	if d, err := delivery.WaitFirstAttempt(ctx, db, ref, wait); err != nil || len(d.AttemptList) == 0 {
		t.Fatalf("first attempt not recorded: %v", err)
	}
	if _, err := db.RetryDelivery(ctx, herald.RetryParams{Tenancy: herald.AnyTenant(), WebhookID: wh.ID, DeliveryID: res.Deliveries[0].ID}); err != nil {
		t.Fatal(err)
	}
	arrives("retried delivery", res.Event.ID)
}
