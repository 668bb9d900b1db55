package delivery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// BatchWorker makes the first attempt of each delivery of a batch job, at
// once, each as the Worker makes one (see Worker.Work). A delivery that is
// to be tried again later (a retry, a webhook at its cap, a rate limit, a
// shutdown) is handed to a job of its own, due then, with
// queue.UniqueDeliveryJob; so is one whose attempt failed on an error of
// the store. Deliveries of a rate-limited webhook go to their own jobs
// before any attempt, so that their reserved send slots stay with them.
//
// A batch job that runs again (after a crash, or when handing on failed)
// makes no attempt: it hands every delivery of the batch that is still
// pending to a job of its own. Those that already have one, waiting or
// running, get none, so that no delivery is attempted twice at once.
type BatchWorker struct {
	river.WorkerDefaults[queue.BatchArgs]

	Worker *Worker
}

// batchKey marks the context of an attempt made within a batch.
type batchKey struct{}

// inBatch reports whether ctx is an attempt's within a batch.
func inBatch(ctx context.Context) bool { return ctx.Value(batchKey{}) != nil }

// Timeout is the Worker's.
func (b *BatchWorker) Timeout(*river.Job[queue.BatchArgs]) time.Duration {
	return b.Worker.Timeout(nil)
}

// Work loads the batch's deliveries together and attempts each,
// concurrently. Those deleted meanwhile are skipped.
func (b *BatchWorker) Work(ctx context.Context, job *river.Job[queue.BatchArgs]) error {
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
			one := &river.Job[queue.DeliveryArgs]{JobRow: &rivertype.JobRow{ID: job.ID, Attempt: 1, CreatedAt: job.CreatedAt}, Args: queue.DeliveryArgs{DeliveryID: id}}
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
