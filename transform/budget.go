package transform

import (
	"sync/atomic"
	"time"
)

// budget bounds one evaluation (a render or a condition): a deadline, a
// number of steps (loop iterations or predicate bodies) and a number of bytes
// of values produced. The code it bounds calls step and charge as it goes,
// and stops at the first error. It is used by one goroutine, except stop,
// which another may call to make the evaluation give up.
type budget struct {
	deadline time.Time
	steps    int
	maxSteps int
	stepWhat string // "loop iterations", "predicate evaluations"
	bytes    int
	maxBytes int
	stopped  atomic.Bool
	err      error // the first limit hit
	// abort makes every limit hit panic with the *errLimit, for renders:
	// gonja ignores some errors (those of a loop's "if" filter), so an error
	// value alone could let a render go on after its budget is spent. The
	// render goroutine recovers the panic.
	abort bool
}

// newBudget returns a budget starting now.
func newBudget(maxSteps int, stepWhat string, maxBytes int) *budget {
	return &budget{
		deadline: time.Now().Add(Timeout),
		maxSteps: maxSteps,
		stepWhat: stepWhat,
		maxBytes: maxBytes,
	}
}

// fail records err as the first limit hit and returns it, or panics with
// it when b.abort is set.
func (b *budget) fail(err error) error {
	if b.err == nil {
		b.err = err
	}
	if b.abort {
		panic(b.err)
	}
	return b.err
}

// check returns an error once the deadline has passed or stop was called.
func (b *budget) check() error {
	if b.err != nil {
		return b.fail(b.err)
	}
	if b.stopped.Load() || time.Now().After(b.deadline) {
		return b.fail(limitf("took longer than %s", Timeout))
	}
	return nil
}

// step counts one loop iteration or predicate evaluation.
func (b *budget) step() error {
	b.steps++
	if b.steps > b.maxSteps {
		return b.fail(limitf("ran more than %d %s", b.maxSteps, b.stepWhat))
	}
	return b.check()
}

// charge counts n bytes of produced values.
func (b *budget) charge(n int) error {
	if n < 0 || n > b.maxBytes-b.bytes {
		b.bytes = b.maxBytes + 1
		return b.fail(limitf("produced more than %s of values", byteSize(b.maxBytes)))
	}
	b.bytes += n
	return b.check()
}

// remaining is the number of bytes charge still accepts.
func (b *budget) remaining() int {
	if b.bytes >= b.maxBytes {
		return 0
	}
	return b.maxBytes - b.bytes
}

// stop makes the next check fail; it may be called from any goroutine.
func (b *budget) stop() { b.stopped.Store(true) }
