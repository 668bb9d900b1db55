package delivery

import (
	"context"
	"errors"
	"sync"
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

// InsertOpts puts batch jobs on QueueName, as Args.
func (BatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: 25}
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
		if a, ok := j.Args.(Args); ok && j.InsertOpts == nil && a.Traceparent == "" {
			ids = append(ids, a.DeliveryID)
			continue
		}
		out = append(out, j)
	}
	for len(ids) > 0 {
		n := min(len(ids), MaxBatch)
		if n == 1 {
			out = append(out, JobParams(ids[0], time.Time{}))
		} else {
			out = append(out, river.InsertManyParams{Args: BatchArgs{DeliveryIDs: ids[:n:n]}})
		}
		ids = ids[n:]
	}
	return out
}

// UniqueJobParams returns the River insert params of a delivery's own job,
// due at runAt (the zero time for now), unique among the delivery jobs
// waiting or running: inserting it while the delivery has such a job
// already inserts nothing. A batch hands its deliveries on with it.
func UniqueJobParams(deliveryID string, runAt time.Time) river.InsertManyParams {
	p := river.InsertManyParams{Args: Args{DeliveryID: deliveryID}, InsertOpts: &river.InsertOpts{
		ScheduledAt: runAt,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}}
	return p
}

// QueueJobs returns the jobs that QueueDeliveries inserts for p: one of
// its own (UniqueJobParams) for each delivery of p that pending holds,
// once each.
func QueueJobs(p herald.QueueParams, pending map[string]bool) []river.InsertManyParams {
	var jobs []river.InsertManyParams
	for _, d := range p.Deliveries {
		if pending[d.ID] {
			jobs = append(jobs, UniqueJobParams(d.ID, d.At))
			delete(pending, d.ID)
		}
	}
	return jobs
}

// BatchWorker makes the first attempt of each delivery of a batch job, at
// once, each as the Worker makes one (see Worker.Work). A delivery that is
// to be tried again later (a retry, a webhook at its cap, a rate limit, a
// shutdown) is handed to a job of its own, due then, with UniqueJobParams;
// so is one whose attempt failed on an error of the store. Deliveries of a
// rate-limited webhook go to their own jobs before any attempt, so that
// their reserved send slots stay with them.
//
// A batch job that runs again (after a crash, or when handing on failed)
// makes no attempt: it hands every delivery of the batch that is still
// pending to a job of its own. Those that already have one, waiting or
// running, get none, so that no delivery is attempted twice at once.
type BatchWorker struct {
	river.WorkerDefaults[BatchArgs]

	Worker *Worker
}

// batchKey marks the context of an attempt made within a batch.
type batchKey struct{}

// inBatch reports whether ctx is an attempt's within a batch.
func inBatch(ctx context.Context) bool { return ctx.Value(batchKey{}) != nil }

// Timeout is the Worker's.
func (b *BatchWorker) Timeout(*river.Job[BatchArgs]) time.Duration { return b.Worker.Timeout(nil) }

// Work loads the batch's deliveries together and attempts each,
// concurrently. Those deleted meanwhile are skipped.
func (b *BatchWorker) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	ids := job.Args.DeliveryIDs
	if job.Attempt > 1 {
		later := make([]herald.QueuedDelivery, len(ids))
		for i, id := range ids {
			later[i] = herald.QueuedDelivery{ID: id}
		}
		return b.Worker.Store.QueueDeliveries(ctx, herald.QueueParams{Deliveries: later})
	}
	tasks, err := b.Worker.Store.DeliveryTasks(ctx, herald.TasksParams{Tenancy: herald.AnyTenant(), IDs: ids})
	if err != nil {
		return err // the run again hands the deliveries on
	}
	var (
		mu    sync.Mutex
		later []herald.QueuedDelivery
		wg    sync.WaitGroup
	)
	attemptCtx := context.WithValue(ctx, batchKey{}, true)
	for _, task := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := task.Delivery.ID
			one := &river.Job[Args]{JobRow: &rivertype.JobRow{ID: job.ID, Attempt: 1, CreatedAt: job.CreatedAt}, Args: Args{DeliveryID: id}}
			err := b.Worker.workTask(attemptCtx, one, task)
			var snooze *river.JobSnoozeError
			switch {
			case err == nil:
				return
			case errors.As(err, &snooze):
				mu.Lock()
				later = append(later, herald.QueuedDelivery{ID: id, At: time.Now().Add(snooze.Duration)})
				mu.Unlock()
			default:
				b.Worker.logger().Warn("delivery attempt in a batch", "delivery_id", id, "error", err)
				mu.Lock()
				later = append(later, herald.QueuedDelivery{ID: id, At: time.Now().Add(time.Second)})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(later) == 0 {
		return nil
	}
	// Hand them on even when the run is ending (a shutdown).
	handCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return b.Worker.Store.QueueDeliveries(handCtx, herald.QueueParams{Deliveries: later})
}

// AddWorkers registers w and its BatchWorker with workers: every node that
// works deliveries takes both kinds of job.
func AddWorkers(workers *river.Workers, w *Worker) {
	river.AddWorker(workers, w)
	river.AddWorker(workers, &BatchWorker{Worker: w})
}
