package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald/internal/groupcommit"
	"github.com/heraldhq/herald/queue"
)

// maxGroup bounds how many writes one group transaction takes, so that the
// queue's own statements never wait long behind one.
const maxGroup = 64

// writeFunc is one caller's part of a group transaction: it runs its
// statements and leaves the rest to the end of the group. It may run twice
// (see groupWriter.run), so it sets what it returns afresh on each run and
// changes nothing but tx.
type writeFunc func(ctx context.Context, tx *sql.Tx) (effects, error)

// effects are what a write leaves to the end of its group, where those of
// all the writes that succeeded are applied together.
type effects struct {
	jobs    []river.InsertManyParams // River jobs to insert
	touches []touch                  // webhook timestamps to move forward
}

// touch moves a webhook's last_triggered_at, and its last_success_at or
// last_failure_at, forward to at (unix microseconds).
type touch struct {
	webhookID string
	at        int64
	success   bool
}

// writeOp is a write of a group: fn, which it runs alone; and for a
// recorded attempt that settles no ordered delivery, attempt, which the
// group records together with the others of its kind (see
// recordAttempts), falling back to fn when that fails.
type writeOp struct {
	fn      writeFunc
	attempt *attemptWrite
}

// write is one caller's write, queued or in a group.
type write = groupcommit.Write[*writeOp]

// groupWriter runs concurrent writes (publishes and recorded attempts) in
// shared transactions: group commit. SQLite takes one writer at a time and
// most of a small transaction's cost is its begin and commit (the pages it
// appends to the WAL), so writes that queue up while the writer is busy go
// in together. A write that fails is rolled back alone and its caller gets
// its error; the others commit (see run). The River jobs of all the writes
// are inserted with one statement at the end.
// Under no contention a write runs alone, as soon as it comes.
type groupWriter struct {
	db    *sql.DB
	river *river.Client[*sql.Tx]
	// committed is called after each commit with the jobs it queued: it
	// wakes this node's workers and the checkpointer (see Open).
	committed func([]river.InsertManyParams)
	writes    *groupcommit.Queue[*writeOp]
}

func newGroupWriter(db *sql.DB, rc *river.Client[*sql.Tx], committed func([]river.InsertManyParams)) *groupWriter {
	g := &groupWriter{db: db, river: rc, committed: committed}
	begin := func() (*sql.Tx, error) { return db.BeginTx(context.Background(), nil) }
	g.writes = groupcommit.New(maxGroup, begin, g.run)
	return g
}

// do runs fn in a group transaction and returns once that has committed or
// failed (see groupcommit.Queue.Do).
func (g *groupWriter) do(ctx context.Context, fn writeFunc) error {
	return g.writes.Do(ctx, &writeOp{fn: fn})
}

// close stops the writer once the group running, if any, is done; the
// writes still queued, and later ones, get groupcommit.ErrClosed.
func (g *groupWriter) close() { g.writes.Close() }

// run runs a group in tx and commits it. Its attempts are recorded
// together first, when there are several (see attemptSet); then the other
// writes run one after the other with no savepoint: a savepoint costs two
// statements, and while one is open SQLite copies each page a write
// changes to its sub-journal before changing it, which under load was a
// fifth of the server's CPU. When a write fails, the group is rolled back
// and runs again in a new transaction, each write alone in a savepoint of
// its own, so that the failing ones are dropped alone. A writeFunc may thus
// run twice: it sets its results afresh on each run and has no effect
// outside tx.
func (g *groupWriter) run(tx *sql.Tx, group []*write) {
	ctx := context.Background()
	var all effects
	set, rest := attemptSet(group)
	var ok, gone []*write
	if len(set) > 0 {
		ws := make([]*attemptWrite, len(set))
		for i, w := range set {
			ws[i] = w.Op.attempt
		}
		touches, err := recordAttempts(ctx, tx, ws)
		if err != nil {
			g.rerun(tx, group)
			return
		}
		all.touches = touches
		for _, w := range set {
			if w.Op.attempt.d == nil {
				w.Err, gone = notFound(w.Op.attempt.r.DeliveryID), append(gone, w)
			} else {
				ok = append(ok, w)
			}
		}
	}
	for _, w := range rest {
		e, err := w.Op.fn(context.WithoutCancel(w.Ctx), tx)
		if err != nil {
			if len(group) == 1 {
				tx.Rollback()
				groupcommit.Finish(group, err)
				return
			}
			g.rerun(tx, group)
			return
		}
		all.jobs, all.touches = append(all.jobs, e.jobs...), append(all.touches, e.touches...)
		ok = append(ok, w)
	}
	g.commit(tx, all, ok, gone)
}

// rerun rolls tx back and runs group again in a new transaction, each
// write in a savepoint of its own (see runIsolated).
func (g *groupWriter) rerun(tx *sql.Tx, group []*write) {
	tx.Rollback()
	for _, w := range group {
		w.Err = nil
	}
	tx, err := g.db.BeginTx(context.Background(), nil)
	if err != nil {
		groupcommit.Finish(group, fmt.Errorf("begin write: %w", err))
		return
	}
	g.runIsolated(tx, group)
}

// attemptSet splits a group into the attempts to record together, when
// there are two or more with distinct deliveries, and the other writes.
func attemptSet(group []*write) (set, rest []*write) {
	seen := map[string]bool{}
	for _, w := range group {
		if a := w.Op.attempt; a != nil && !seen[a.r.DeliveryID] {
			seen[a.r.DeliveryID] = true
			set = append(set, w)
			continue
		}
		rest = append(rest, w)
	}
	if len(set) < 2 {
		return nil, group
	}
	return set, rest
}

// runIsolated runs a group in tx with each write in a savepoint of its
// own, and commits what succeeded.
func (g *groupWriter) runIsolated(tx *sql.Tx, group []*write) {
	defer tx.Rollback()
	ctx := context.Background()
	var (
		all    effects
		ok     = group[:0:0]
		failed []*write // rolled back alone, each with its own error
	)
	for _, w := range group {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT write`); err != nil {
			groupcommit.Finish(group, fmt.Errorf("begin savepoint: %w", err))
			return
		}
		e, err := w.Op.fn(context.WithoutCancel(w.Ctx), tx)
		if err != nil {
			w.Err, failed = err, append(failed, w)
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
				groupcommit.Finish(group, fmt.Errorf("roll back savepoint: %w", err))
				return
			}
		} else {
			all.jobs, all.touches = append(all.jobs, e.jobs...), append(all.touches, e.touches...)
			ok = append(ok, w)
		}
		if _, err := tx.ExecContext(ctx, `RELEASE write`); err != nil {
			groupcommit.Finish(group, fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	g.commit(tx, all, ok, failed)
}

// commit applies the effects all of the writes ok and commits tx; the
// writes failed, rolled back already, get their own errors.
func (g *groupWriter) commit(tx *sql.Tx, all effects, ok, failed []*write) {
	defer tx.Rollback()
	ctx := context.Background()
	err := applyTouches(ctx, tx, all.touches)
	if err == nil && len(all.jobs) > 0 {
		if _, err = g.river.InsertManyFastTx(ctx, tx, queue.Batch(all.jobs)); err != nil {
			err = fmt.Errorf("queue deliveries: %w", err)
		}
	}
	if err == nil {
		if err = tx.Commit(); err != nil {
			err = fmt.Errorf("commit writes: %w", err)
		} else {
			g.committed(all.jobs)
		}
	}
	groupcommit.Finish(ok, err)
	groupcommit.Finish(failed, nil)
}

// applyTouches moves each touched webhook's timestamps forward with one
// statement per webhook, however many of its attempts the group recorded.
func applyTouches(ctx context.Context, tx *sql.Tx, touches []touch) error {
	type latest struct {
		triggered        int64
		success, failure sql.NullInt64 // NULL: no such attempt
	}
	var (
		order []string
		byID  = map[string]*latest{}
	)
	for _, t := range touches {
		l := byID[t.webhookID]
		if l == nil {
			l = &latest{triggered: t.at}
			byID[t.webhookID] = l
			order = append(order, t.webhookID)
		}
		l.triggered = max(l.triggered, t.at)
		last := &l.failure
		if t.success {
			last = &l.success
		}
		if !last.Valid || t.at > last.Int64 {
			*last = sql.NullInt64{Int64: t.at, Valid: true}
		}
	}
	for _, id := range order {
		l := byID[id]
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET
			last_triggered_at = max(coalesce(last_triggered_at, 0), ?1),
			last_success_at = CASE WHEN ?2 IS NULL THEN last_success_at ELSE max(coalesce(last_success_at, 0), ?2) END,
			last_failure_at = CASE WHEN ?3 IS NULL THEN last_failure_at ELSE max(coalesce(last_failure_at, 0), ?3) END
			WHERE id = ?4`, l.triggered, l.success, l.failure, id); err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
	}
	return nil
}
