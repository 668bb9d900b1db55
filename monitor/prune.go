package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
)

// MaxPruneInterval bounds how often the inbound request log is pruned:
// every hour, or every retention period when that is shorter.
const MaxPruneInterval = time.Hour

// PruneInterval returns how often the inbound log is pruned for a
// retention: min(retention, MaxPruneInterval), at least a second. A
// retention of 0 means herald.DefaultInboundLogRetention.
func PruneInterval(retention time.Duration) time.Duration {
	if retention <= 0 {
		retention = herald.DefaultInboundLogRetention
	}
	return max(min(retention, MaxPruneInterval), time.Second)
}

// PruneJob returns the River periodic job that prunes the inbound request
// log, for queue.Config.PeriodicJobs; add a PruneWorker to the
// workers.
func PruneJob(retention time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PruneInterval(retention)),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil }, nil)
}

// PruneArgs is the River job of one pruning of the inbound request log.
type PruneArgs struct{}

// Kind names the job in River.
func (PruneArgs) Kind() string { return "herald.inbound_prune" }

// InsertOpts puts the job on QueueName, with one attempt.
func (PruneArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// PruneWorker deletes inbound requests logged longer ago than Retention,
// then the oldest beyond MaxRows, and expired request-id claims
// (Store.PruneInboundRequests).
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]

	Store herald.InboundStore
	// Retention is how long logged requests are kept. Default
	// herald.DefaultInboundLogRetention (168h).
	Retention time.Duration
	// MaxRows is how many logged requests are kept at most; the oldest go
	// first. Default herald.DefaultInboundLogMaxRows (100,000).
	MaxRows int
	// Clock tells the time. Default herald.SystemClock.
	Clock herald.Clock
	// Logger receives a line per pruning that deleted something. Default
	// slog.Default().
	Logger *slog.Logger
}

// Prune deletes what is older than the retention or beyond the row cap
// and returns how many requests it deleted.
func (w *PruneWorker) Prune(ctx context.Context) (int, error) {
	retention := w.Retention
	if retention <= 0 {
		retention = herald.DefaultInboundLogRetention
	}
	maxRows := w.MaxRows
	if maxRows <= 0 {
		maxRows = herald.DefaultInboundLogMaxRows
	}
	n, err := w.Store.PruneInboundRequests(ctx, herald.PruneInboundParams{Before: now(w.Clock).Add(-retention), MaxRows: maxRows})
	if err != nil {
		return n, fmt.Errorf("prune inbound requests: %w", err)
	}
	if n > 0 {
		logger(w.Logger).Info("pruned the inbound request log", "deleted", n, "retention", retention, "max_rows", maxRows)
	}
	return n, nil
}

// Work runs one pruning.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	_, err := w.Prune(ctx)
	return err
}

// Timeout bounds one pruning by RunTimeout.
func (w *PruneWorker) Timeout(*river.Job[PruneArgs]) time.Duration { return RunTimeout }
