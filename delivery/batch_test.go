package delivery_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/sqlite"
)

// TestBatch merges the delivery jobs due now without a trace context into
// batches of at most MaxBatch, in order, and keeps every other job as it is.
func TestBatch(t *testing.T) {
	var jobs []river.InsertManyParams
	var want []string
	for i := range delivery.MaxBatch + 3 {
		id := "dlv_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		jobs = append(jobs, delivery.JobParams(id, time.Time{}))
		want = append(want, id)
	}
	later := delivery.JobParams("dlv_later", time.Now().Add(time.Minute))
	traced := river.InsertManyParams{Args: delivery.Args{DeliveryID: "dlv_traced", Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	reply := delivery.ReplyJobParams("inv_1", time.Time{})
	jobs = slices.Insert(jobs, 2, later, traced, reply)

	out := delivery.Batch(jobs)
	if len(out) != 5 {
		t.Fatalf("%d jobs, want 5: the three kept and two batches", len(out))
	}
	for i, kept := range []river.InsertManyParams{later, traced, reply} {
		if out[i].Args != kept.Args {
			t.Fatalf("job %d = %+v, want %+v kept as it was", i, out[i].Args, kept.Args)
		}
	}
	var got []string
	for _, j := range out[3:] {
		b, ok := j.Args.(delivery.BatchArgs)
		if !ok {
			t.Fatalf("job %+v is no batch", j.Args)
		}
		got = append(got, b.DeliveryIDs...)
	}
	if !slices.Equal(got, want) || len(out[3].Args.(delivery.BatchArgs).DeliveryIDs) != delivery.MaxBatch {
		t.Fatalf("batched %v, want %v in batches of %d", got, want, delivery.MaxBatch)
	}
	// A lone delivery keeps its own job.
	if one := delivery.Batch(jobs[:1]); len(one) != 1 || one[0].Args != jobs[0].Args {
		t.Fatalf("a lone delivery became %+v", one)
	}
}

// TestBatchRunAgainHandsOn runs a batch job as it runs again after a crash:
// it attempts nothing, and hands each delivery still pending to a job of
// its own, once, however many times it runs.
func TestBatchRunAgainHandsOn(t *testing.T) {
	ctx := context.Background()
	workers := river.NewWorkers()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{Queue: delivery.QueueConfig{Workers: workers}})
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
	again := &river.Job[delivery.BatchArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 2}, Args: delivery.BatchArgs{DeliveryIDs: ids}}
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
