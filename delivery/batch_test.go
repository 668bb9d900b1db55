package delivery_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/sqlite"
)

// TestBatchRunAgainHandsOn runs a batch job as it runs again after a crash:
// it attempts nothing, and hands each delivery still pending to a job of
// its own, once, however many times it runs.
func TestBatchRunAgainHandsOn(t *testing.T) {
	ctx := context.Background()
	workers := river.NewWorkers()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{Queue: queue.Config{Workers: workers}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &delivery.Worker{Store: db, Sender: delivery.NewSender("Herald/test", true)}
	delivery.AddWorkers(workers, w)
	for range 3 {
		wh := herald.NewWebhookDefaults()
		wh.Name, wh.URL, wh.Events, wh.Secret = "hook", "http://127.0.0.1:9/hook", []string{"*"}, herald.GenerateSecret()
		if err := db.CreateWebhook(ctx, wh); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{}`)})
	if err != nil || len(res.Deliveries) != 3 {
		t.Fatalf("publish: %v %+v", err, res)
	}
	before, _ := db.QueueDepth(ctx)
	var ids []string
	for _, d := range res.Deliveries {
		ids = append(ids, d.ID)
	}
	bw := &delivery.BatchWorker{Worker: w}
	again := &river.Job[queue.BatchArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 2}, Args: queue.BatchArgs{DeliveryIDs: ids}}
	for run := 0; run < 2; run++ {
		if err := bw.Work(ctx, again); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.QueueDepth(ctx); n != before+3 {
			t.Fatalf("run %d: queue depth %d -> %d, want +3 (a job for each delivery, once)", run, before, n)
		}
	}
	for _, id := range ids {
		d, err := db.Delivery(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
		if err != nil || d.Attempts != 0 {
			t.Fatalf("delivery %s after the run again: %+v, %v; want no attempt", id, d, err)
		}
	}
}
