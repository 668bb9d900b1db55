package queue

import (
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// TestBatch merges the delivery jobs due now without a trace context into
// batches of at most MaxBatch, in order, and keeps every other job as it
// is.
func TestBatch(t *testing.T) {
	var jobs []river.InsertManyParams
	var want []string
	for i := range MaxBatch + 3 {
		id := "dlv_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		jobs = append(jobs, DeliveryJob(id, time.Time{}))
		want = append(want, id)
	}
	later := DeliveryJob("dlv_later", time.Now().Add(time.Minute))
	traced := river.InsertManyParams{Args: DeliveryArgs{DeliveryID: "dlv_traced", Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	reply := ReplyJob("inv_1", time.Time{})
	jobs = slices.Insert(jobs, 2, later, traced, reply)

	out := Batch(jobs)
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
		b, ok := j.Args.(BatchArgs)
		if !ok {
			t.Fatalf("job %+v is no batch", j.Args)
		}
		got = append(got, b.DeliveryIDs...)
	}
	if !slices.Equal(got, want) || len(out[3].Args.(BatchArgs).DeliveryIDs) != MaxBatch {
		t.Fatalf("batched %v, want %v in batches of %d", got, want, MaxBatch)
	}
	// A lone delivery keeps its own job.
	if one := Batch(jobs[:1]); len(one) != 1 || one[0].Args != jobs[0].Args {
		t.Fatalf("a lone delivery became %+v", one)
	}
}
