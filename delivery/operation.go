package delivery

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// OperationWorker runs an operation's batches, each in a transaction of
// its own, until it has finished.
type OperationWorker struct {
	river.WorkerDefaults[queue.OperationArgs]

	Store herald.OperationStore
	// BatchSize is how many rows each batch reads. Default
	// herald.DefaultOperationBatch.
	BatchSize int
	Clock     herald.Clock // default the system clock
	Logger    *slog.Logger // default slog.Default()
	// Batched, when set, is called after each batch with the operation as
	// it stands (tests wait on it).
	Batched func(o *herald.Operation)
}

// Work runs the operation's batches until it has succeeded or failed. A
// run that stops early (a crash, a shutdown) leaves the job to run again,
// from the cursor the last committed batch left.
func (w *OperationWorker) Work(ctx context.Context, job *river.Job[queue.OperationArgs]) error {
	ref := herald.Ref{Tenancy: herald.AnyTenant(), ID: job.Args.OperationID}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := herald.OperationBatchParams{Ref: ref, Limit: w.BatchSize}
		if w.Clock != nil {
			p.Now = w.Clock.Now()
		}
		o, err := w.Store.RunOperationBatch(ctx, p)
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return nil // deleted with its tenant
		} else if err != nil {
			if job.Attempt >= job.MaxAttempts && ctx.Err() == nil {
				// The last run: the operation ends failed rather than
				// stay running for ever.
				if _, ferr := w.Store.FailOperation(context.WithoutCancel(ctx), herald.FailOperationParams{
					Ref: ref, Error: "gave up after " + strconv.Itoa(job.Attempt) + " runs: " + err.Error(), Now: p.Now,
				}); ferr != nil {
					w.logger().Warn("fail operation", "operation_id", ref.ID, "error", ferr)
				}
			}
			return err
		}
		if w.Batched != nil {
			w.Batched(o)
		}
		if o.Finished() {
			w.logger().Info("operation finished", "operation_id", o.ID, "kind", o.Kind, "status", o.Status, "done", o.Done, "error", o.Error)
			return nil
		}
	}
}

func (w *OperationWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}
