package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald/delivery"
)

// maxGroup bounds how many writes one group transaction takes, so that the
// queue's own statements never wait long behind one.
const maxGroup = 64

// errClosed is what writes get once the store is closed.
var errClosed = errors.New("database is closed")

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

// Write states: a queued write may still be abandoned by its caller; a
// taken one runs, and its caller waits for the outcome.
const (
	writeQueued int32 = iota
	writeTaken
	writeAbandoned
)

type write struct {
	ctx   context.Context
	fn    writeFunc
	state atomic.Int32
	err   error
	done  chan struct{}
}

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
	wake  func([]river.InsertManyParams) // after a commit that queued jobs
	queue chan *write
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func newGroupWriter(db *sql.DB, rc *river.Client[*sql.Tx], wake func([]river.InsertManyParams)) *groupWriter {
	g := &groupWriter{db: db, river: rc, wake: wake, queue: make(chan *write, maxGroup), quit: make(chan struct{})}
	g.wg.Add(1)
	go g.loop()
	return g
}

// do runs fn in a group transaction and returns once that has committed or
// failed. When ctx ends before a group takes the write, it is dropped;
// after that, the caller waits for the outcome so that it never reports a
// failure for a write that commits.
func (g *groupWriter) do(ctx context.Context, fn writeFunc) error {
	w := &write{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case g.queue <- w:
	case <-g.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		if w.state.CompareAndSwap(writeQueued, writeAbandoned) {
			return ctx.Err()
		}
		<-w.done
		return w.err
	}
}

// close stops the loop once the writes already queued are done; later
// writes get errClosed.
func (g *groupWriter) close() {
	g.once.Do(func() { close(g.quit) })
	g.wg.Wait()
}

func (g *groupWriter) loop() {
	defer g.wg.Done()
	for {
		var first *write
		select {
		case first = <-g.queue:
		case <-g.quit:
			g.drain()
			return
		}
		if !first.state.CompareAndSwap(writeQueued, writeTaken) {
			continue
		}
		// Wait for the connection first: writes that come meanwhile join.
		tx, err := g.db.BeginTx(context.Background(), nil)
		group := g.take([]*write{first})
		if err != nil {
			finish(group, fmt.Errorf("begin write: %w", err))
			continue
		}
		g.run(tx, group)
	}
}

// take adds the queued writes, up to maxGroup.
func (g *groupWriter) take(group []*write) []*write {
	for len(group) < maxGroup {
		select {
		case w := <-g.queue:
			if w.state.CompareAndSwap(writeQueued, writeTaken) {
				group = append(group, w)
			}
		default:
			return group
		}
	}
	return group
}

// drain fails the writes left in the queue at close.
func (g *groupWriter) drain() {
	for {
		select {
		case w := <-g.queue:
			if w.state.CompareAndSwap(writeQueued, writeTaken) {
				finish([]*write{w}, errClosed)
			}
		default:
			return
		}
	}
}

// run runs a group in tx and commits it. The writes run one after the
// other with no savepoint first: a savepoint costs two statements, and
// while one is open SQLite copies each page a write changes to its
// sub-journal before changing it, which under load was a fifth of the
// server's CPU. When a write fails, the group is rolled back and runs again
// in a new transaction, each write in a savepoint of its own, so that the
// failing ones are dropped alone. A writeFunc may thus run twice: it sets
// its results afresh on each run and has no effect outside tx.
func (g *groupWriter) run(tx *sql.Tx, group []*write) {
	ctx := context.Background()
	var all effects
	for _, w := range group {
		e, err := w.fn(context.WithoutCancel(w.ctx), tx)
		if err != nil {
			tx.Rollback()
			if len(group) == 1 {
				finish(group, err)
				return
			}
			if tx, err = g.db.BeginTx(ctx, nil); err != nil {
				finish(group, fmt.Errorf("begin write: %w", err))
				return
			}
			g.runIsolated(tx, group)
			return
		}
		all.jobs, all.touches = append(all.jobs, e.jobs...), append(all.touches, e.touches...)
	}
	g.commit(tx, all, group, nil)
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
			finish(group, fmt.Errorf("begin savepoint: %w", err))
			return
		}
		e, err := w.fn(context.WithoutCancel(w.ctx), tx)
		if err != nil {
			w.err, failed = err, append(failed, w)
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
				finish(group, fmt.Errorf("roll back savepoint: %w", err))
				return
			}
		} else {
			all.jobs, all.touches = append(all.jobs, e.jobs...), append(all.touches, e.touches...)
			ok = append(ok, w)
		}
		if _, err := tx.ExecContext(ctx, `RELEASE write`); err != nil {
			finish(group, fmt.Errorf("release savepoint: %w", err))
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
		if _, err = g.river.InsertManyFastTx(ctx, tx, delivery.Batch(all.jobs)); err != nil {
			err = fmt.Errorf("queue deliveries: %w", err)
		}
	}
	if err == nil {
		if err = tx.Commit(); err != nil {
			err = fmt.Errorf("commit writes: %w", err)
		} else {
			g.wake(all.jobs)
		}
	}
	finish(ok, err)
	finish(failed, nil)
}

// finish gives each write of group the outcome err (nil: committed).
func finish(group []*write, err error) {
	for _, w := range group {
		if err != nil {
			w.err = err
		}
		close(w.done)
	}
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
