package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// DefaultNodeHeartbeat is Options.NodeHeartbeat's default: 5s.
const DefaultNodeHeartbeat = 5 * time.Second

// DefaultNodeDeadAfter is Options.NodeDeadAfter's default: 20s.
const DefaultNodeDeadAfter = 20 * time.Second

// NodeQueue is the River queue of the dead-node sweep, apart from the
// deliveries so that a backlog never delays it.
const NodeQueue = "herald_nodes"

// NodeID returns this node's id in herald_nodes: its River client id, as
// River writes it in river_job.attempted_by.
func (s *DB) NodeID() string { return s.river.ID() }

// Heartbeat records that this node is alive now, by the database's clock
// (so the nodes' clocks need not agree). Start writes the first heartbeat
// before the queue takes any job, then one every Options.NodeHeartbeat.
func (s *DB) Heartbeat(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO herald_nodes (id) VALUES ($1)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`, s.NodeID())
	if err != nil {
		return fmt.Errorf("write node heartbeat: %w", err)
	}
	return nil
}

// RequeueDeadParams selects the nodes RequeueDeadNodes takes for dead.
type RequeueDeadParams struct {
	// DeadAfter is how long a node may go without a heartbeat. Required.
	DeadAfter time.Duration
}

// RequeueDeadResult is what RequeueDeadNodes did.
type RequeueDeadResult struct {
	// Nodes is how many dead nodes it found (and forgot); Jobs is how many
	// of their running jobs it made available.
	Nodes, Jobs int
}

// RequeueDeadNodes makes available again, at once, every job left running
// by a node that has not written a heartbeat for p.DeadAfter, and deletes
// those nodes' rows, in one statement. A job belongs to the node that took
// it last: the last client id in river_job.attempted_by. Attempt counts
// stay; the next run counts one more, as after River's own rescue. Jobs of
// a client with no row (a version of Herald without heartbeats) are left
// to River's rescuer.
func (s *DB) RequeueDeadNodes(ctx context.Context, p RequeueDeadParams) (RequeueDeadResult, error) {
	var r RequeueDeadResult
	if p.DeadAfter <= 0 {
		return r, fmt.Errorf("requeue dead nodes: DeadAfter must be positive")
	}
	err := s.pool.QueryRow(ctx, `
		WITH dead AS (
			DELETE FROM herald_nodes WHERE heartbeat_at < now() - make_interval(secs => $1)
			RETURNING id
		), requeued AS (
			UPDATE river_job SET state = 'available'
			WHERE state = 'running' AND attempted_by[cardinality(attempted_by)] IN (SELECT id FROM dead)
			RETURNING id
		)
		SELECT (SELECT count(*) FROM dead), (SELECT count(*) FROM requeued)`,
		p.DeadAfter.Seconds()).Scan(&r.Nodes, &r.Jobs)
	if err != nil {
		return r, fmt.Errorf("requeue dead nodes: %w", err)
	}
	return r, nil
}

// forget deletes this node's row, after a graceful stop.
func (s *DB) forget(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM herald_nodes WHERE id = $1`, s.NodeID()); err != nil {
		return fmt.Errorf("forget node: %w", err)
	}
	return nil
}

// heartbeats writes a heartbeat every interval until stop is closed.
func (s *DB) heartbeats(interval time.Duration, stop <-chan struct{}, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(interval, time.Second))
		if err := s.Heartbeat(ctx); err != nil {
			logger.Warn("node heartbeat failed", "error", err)
		}
		cancel()
	}
}

// NodeSweepArgs is the River job of one dead-node sweep.
type NodeSweepArgs struct{}

// Kind names the job in River.
func (NodeSweepArgs) Kind() string { return "herald.node_sweep" }

// InsertOpts puts sweeps on NodeQueue with one attempt: the next one comes
// an interval later.
func (NodeSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: NodeQueue, MaxAttempts: 1}
}

// nodeSweepWorker runs RequeueDeadNodes.
type nodeSweepWorker struct {
	river.WorkerDefaults[NodeSweepArgs]
	db        *DB
	deadAfter time.Duration
	logger    *slog.Logger
}

// Work runs one sweep.
func (w *nodeSweepWorker) Work(ctx context.Context, _ *river.Job[NodeSweepArgs]) error {
	r, err := w.db.RequeueDeadNodes(ctx, RequeueDeadParams{DeadAfter: w.deadAfter})
	if err == nil && r.Nodes > 0 {
		w.logger.Warn("queued again the running jobs of dead nodes", "nodes", r.Nodes, "jobs", r.Jobs)
	}
	return err
}

// nodeSweepJob is the periodic sweep, every interval and at once when a
// node becomes leader; River enqueues periodic jobs on the leader only.
func nodeSweepJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return NodeSweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
