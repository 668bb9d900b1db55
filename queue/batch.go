package queue

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
)

// MaxBatch is the most deliveries one batch job carries: 100.
const MaxBatch = 100

// BatchArgs is the River job of the first attempts of several deliveries,
// queued together by one transaction (an event's fan-out, or a group of
// publishes committed together). One job for many deliveries spares the
// queue a fetch and a completion for each: River's own cost per job is
// the largest part of a delivery's.
type BatchArgs struct {
	DeliveryIDs []string `json:"delivery_ids"`
}

// Kind names the job in River.
func (BatchArgs) Kind() string { return "herald.deliver_batch" }

// InsertOpts puts batch jobs on DeliveryQueue, as DeliveryArgs.
func (BatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DeliveryQueue, MaxAttempts: 25}
}

// Batch returns jobs with the delivery jobs that are due now and carry no
// trace context merged into batch jobs of up to MaxBatch deliveries each,
// in order; the other jobs are kept as they are. A lone delivery keeps its
// own job.
func Batch(jobs []river.InsertManyParams) []river.InsertManyParams {
	var (
		out = make([]river.InsertManyParams, 0, len(jobs))
		ids []string
	)
	for _, j := range jobs {
		if a, ok := j.Args.(DeliveryArgs); ok && j.InsertOpts == nil && a.Traceparent == "" {
			ids = append(ids, a.DeliveryID)
			continue
		}
		out = append(out, j)
	}
	for len(ids) > 0 {
		n := min(len(ids), MaxBatch)
		if n == 1 {
			out = append(out, DeliveryJob(ids[0], time.Time{}))
		} else {
			out = append(out, river.InsertManyParams{Args: BatchArgs{DeliveryIDs: ids[:n:n]}})
		}
		ids = ids[n:]
	}
	return out
}

// UniqueDeliveryJob returns the River insert params of a delivery's own job,
// due at runAt (the zero time for now), unique among the delivery jobs
// waiting or running: inserting it while the delivery has such a job
// already inserts nothing. A batch hands its deliveries on with it.
func UniqueDeliveryJob(deliveryID string, runAt time.Time) river.InsertManyParams {
	p := river.InsertManyParams{Args: DeliveryArgs{DeliveryID: deliveryID}, InsertOpts: &river.InsertOpts{
		ScheduledAt: runAt,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}}
	return p
}

// DeliveryJobs returns the jobs that QueueDeliveries inserts for p: one of
// its own (UniqueDeliveryJob) for each delivery of p that pending holds,
// once each.
func DeliveryJobs(p herald.QueueParams, pending map[string]bool) []river.InsertManyParams {
	var jobs []river.InsertManyParams
	for _, d := range p.Deliveries {
		if pending[d.ID] {
			jobs = append(jobs, UniqueDeliveryJob(d.ID, d.At))
			delete(pending, d.ID)
		}
	}
	return jobs
}
