// Package groupcommit queues concurrent writes and hands them, in groups,
// to one transaction at a time: group commit. The SQLite and PostgreSQL
// stores share this queue; each runs a group its own way.
//
// A Queue's loop takes the first write that comes and begins a transaction
// for it; writes that come while it waits for the connection join it, up
// to the queue's limit, and the group runs. One group runs at a time, and
// writes that come meanwhile wait for the next. Under no contention a write
// runs alone, as soon as it comes.
//
// A caller whose context ends before a group takes its write gets the
// context's error, and the write never runs. Once taken, a write runs
// whatever its context, and its caller waits for the outcome, so that it
// never reports a failure for a write that commits.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrClosed is what writes get once their Queue is closed.
var ErrClosed = errors.New("database is closed")

// Write states: a queued write may still be abandoned by its caller; a
// taken one runs, and its caller waits for the outcome.
const (
	writeQueued int32 = iota
	writeTaken
	writeAbandoned
)

// Write is one caller's write, queued or in a group. A group's run sets
// Err to the write's own failure, if any, and ends it with Finish.
type Write[T any] struct {
	// Ctx is the caller's context. Once the write is taken, its end no
	// longer stops the write: a run uses context.WithoutCancel(Ctx).
	Ctx context.Context
	// Op is what the write does, for the run to carry out.
	Op T
	// Err is the write's outcome once it is finished: nil when it
	// committed.
	Err error

	state atomic.Int32
	done  chan struct{}
}

// NewWrite returns a write of op for a caller with ctx, not queued.
func NewWrite[T any](ctx context.Context, op T) *Write[T] {
	return &Write[T]{Ctx: ctx, Op: op, done: make(chan struct{})}
}

// Done is closed when the write is finished (see Finish); Err is then its
// outcome.
func (w *Write[T]) Done() <-chan struct{} { return w.done }

// Finish ends each write of group, made by NewWrite, with the outcome err;
// a nil err leaves each write its own Err (nil: committed).
func Finish[T any](group []*Write[T], err error) {
	for _, w := range group {
		if err != nil {
			w.Err = err
		}
		close(w.done)
	}
}

// Queue collects concurrent writes and runs them in groups. Its methods
// are safe for concurrent use.
type Queue[T any] struct {
	queue   chan *Write[T]
	quit    chan struct{} // closed by Close
	stopped chan struct{} // closed when the loop has returned
	once    sync.Once
}

// New starts a queue that runs groups of up to limit (at least 1) writes.
// For each group, its loop calls begin, which waits for a connection and
// begins a transaction, then takes the writes queued meanwhile and calls
// run with the transaction and the group, in the order the writes came.
// run must end every write of the group with Finish, and commit or roll
// back tx. When begin fails, every write of the group gets its error.
func New[T, Tx any](limit int, begin func() (Tx, error), run func(tx Tx, group []*Write[T])) *Queue[T] {
	q := &Queue[T]{
		queue:   make(chan *Write[T], limit),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go loop(q, limit, begin, run)
	return q
}

// Do queues a write of op and returns its outcome once its group has
// committed or failed. When ctx ends before a group takes the write, the
// write is dropped and Do returns ctx.Err(); after that, Do waits for the
// outcome.
func (q *Queue[T]) Do(ctx context.Context, op T) error {
	w := NewWrite(ctx, op)
	if err := q.enqueue(w); err != nil {
		return err
	}
	return q.wait(w)
}

// enqueue adds w to the queue, unless the queue is closed or w's context
// ends first.
func (q *Queue[T]) enqueue(w *Write[T]) error {
	select {
	case q.queue <- w:
		return nil
	case <-q.quit:
		return ErrClosed
	case <-w.Ctx.Done():
		return w.Ctx.Err()
	}
}

// wait returns the outcome of w, queued: see Do.
func (q *Queue[T]) wait(w *Write[T]) error {
	select {
	case <-w.done:
		return w.Err
	case <-w.Ctx.Done():
		if w.state.CompareAndSwap(writeQueued, writeAbandoned) {
			return w.Ctx.Err()
		}
	case <-q.stopped:
		// The loop is gone: a write it did not take (one queued after it
		// drained the queue) never runs.
		if w.state.CompareAndSwap(writeQueued, writeTaken) {
			return ErrClosed
		}
	}
	<-w.done
	return w.Err
}

// Close waits for the group running, if any, and stops the queue: the
// writes still queued, and those that come later, get ErrClosed.
func (q *Queue[T]) Close() {
	q.once.Do(func() { close(q.quit) })
	<-q.stopped
}

// loop runs q's groups until q is closed.
func loop[T, Tx any](q *Queue[T], limit int, begin func() (Tx, error), run func(Tx, []*Write[T])) {
	defer close(q.stopped)
	for {
		var first *Write[T]
		// Close comes first: once it is called, the writes still queued
		// fail rather than start another group.
		select {
		case <-q.quit:
			q.drain()
			return
		default:
		}
		select {
		case first = <-q.queue:
		case <-q.quit:
			q.drain()
			return
		}
		if !first.state.CompareAndSwap(writeQueued, writeTaken) {
			continue
		}
		// Wait for the connection first: writes that come meanwhile join.
		tx, err := begin()
		group := q.take([]*Write[T]{first}, limit)
		if err != nil {
			Finish(group, fmt.Errorf("begin write: %w", err))
			continue
		}
		run(tx, group)
	}
}

// take adds the queued writes, up to limit.
func (q *Queue[T]) take(group []*Write[T], limit int) []*Write[T] {
	for len(group) < limit {
		select {
		case w := <-q.queue:
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
func (q *Queue[T]) drain() {
	for {
		select {
		case w := <-q.queue:
			if w.state.CompareAndSwap(writeQueued, writeTaken) {
				Finish([]*Write[T]{w}, ErrClosed)
			}
		default:
			return
		}
	}
}
