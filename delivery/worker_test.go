package delivery_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
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

	workers := river.NewWorkers()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{Queue: delivery.QueueConfig{
		Workers: workers, PollInterval: 20 * time.Millisecond,
	}})
	if err != nil {
		t.Fatal(err)
	}
	attempts := make(chan *herald.Delivery, 10)
	river.AddWorker(workers, &delivery.Worker{
		Store:      db,
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
	if err := db.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		db.Stop(stopCtx)
		db.Close()
	})

	var d *herald.Delivery
	select {
	case d = <-attempts:
	case <-time.After(20 * time.Second):
		t.Fatal("no attempt recorded")
	}
	if d.Status != herald.DeliveryFailed || d.Attempts != 1 {
		t.Fatalf("after the job timeout: status %s, %d attempts; want failed, 1", d.Status, d.Attempts)
	}
	got, err := db.Delivery(ctx, res.Deliveries[0].ID)
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
