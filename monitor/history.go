package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
)

// History pruning.
const (
	// HistoryPruneInterval is how often events, deliveries and attempts
	// past their retention are pruned, once per cluster (by the queue's
	// leader): every hour.
	HistoryPruneInterval = time.Hour
	// HistoryPruneTimeout bounds one pruning run: 10 minutes. Each batch
	// commits on its own, so a run cut short leaves the rest to the next.
	HistoryPruneTimeout = 10 * time.Minute
)

// HistoryPruneJob returns the River periodic job that prunes the history
// every HistoryPruneInterval, for queue.Config.PeriodicJobs; add
// a HistoryPruneWorker to the workers.
func HistoryPruneJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(HistoryPruneInterval),
		func() (river.JobArgs, *river.InsertOpts) { return HistoryPruneArgs{}, nil }, nil)
}

// HistoryPruneArgs is the River job of one pruning of the history.
type HistoryPruneArgs struct{}

// Kind names the job in River.
func (HistoryPruneArgs) Kind() string { return "herald.history_prune" }

// InsertOpts puts the job on QueueName, with one attempt.
func (HistoryPruneArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// HistoryPruneWorker deletes the events past their retention, with their
// deliveries and attempts, in batches of herald.PruneBatch events, one
// transaction each (Store.PruneHistory); pending deliveries and their
// events stay.
type HistoryPruneWorker struct {
	river.WorkerDefaults[HistoryPruneArgs]

	Store herald.HistoryStore
	// Retention is the server's retention (--retention), which the
	// platform's rows and the tenants without their own follow; 0 keeps
	// them all. Default 0: set it.
	Retention time.Duration
	// Batch is the most events one transaction deletes. Default
	// herald.PruneBatch (1,000).
	Batch int
	// Clock tells the time. Default herald.SystemClock.
	Clock herald.Clock
	// Logger receives a line per pruning that deleted something. Default
	// slog.Default().
	Logger *slog.Logger
	// Pruned, when set, is called at the end of every run with the time
	// it pruned at and what it deleted, also when it failed.
	Pruned func(at time.Time, res herald.PruneResult, err error)
}

// Prune deletes, batch by batch, everything past its retention and
// returns what it deleted.
func (w *HistoryPruneWorker) Prune(ctx context.Context) (herald.PruneResult, error) {
	at := now(w.Clock)
	p := herald.PruneParams{Tenancy: herald.AnyTenant(), Now: at, Retention: w.Retention, Limit: w.Batch}
	var sum herald.PruneResult
	var err error
	for {
		var res herald.PruneResult
		res, err = w.Store.PruneHistory(ctx, p)
		sum.Add(res)
		if err != nil {
			err = fmt.Errorf("prune history: %w", err)
			break
		}
		if res.Events < p.Batch() {
			break
		}
	}
	if sum.Events > 0 {
		logger(w.Logger).Info("pruned the history", "events", sum.Events, "deliveries", sum.Deliveries,
			"attempts", sum.Attempts, "retention", herald.LongDuration(w.Retention).String())
	}
	if w.Pruned != nil {
		w.Pruned(at, sum, err)
	}
	return sum, err
}

// Work runs one pruning.
func (w *HistoryPruneWorker) Work(ctx context.Context, _ *river.Job[HistoryPruneArgs]) error {
	_, err := w.Prune(ctx)
	return err
}

// Timeout bounds one pruning by HistoryPruneTimeout.
func (w *HistoryPruneWorker) Timeout(*river.Job[HistoryPruneArgs]) time.Duration {
	return HistoryPruneTimeout
}
