package groupcommit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

var (
	errOp    = errors.New("op failed")
	errBegin = errors.New("no connection")
)

// harness drives a queue of int ops step by step: each begin waits for
// the test (began, then release), and each run hands its group's ops to
// the test (groups) and waits for it (resume) before finishing them. A
// negative op fails with errOp.
type harness struct {
	q       *Queue[int]
	began   chan struct{}
	release chan error
	groups  chan []int
	resume  chan struct{}
}

func newHarness(t *testing.T, limit int) *harness {
	h := &harness{began: make(chan struct{}), release: make(chan error), groups: make(chan []int), resume: make(chan struct{})}
	begin := func() (struct{}, error) {
		h.began <- struct{}{}
		return struct{}{}, <-h.release
	}
	run := func(_ struct{}, group []*Write[int]) {
		ops := make([]int, len(group))
		for i, w := range group {
			ops[i] = w.Op
			if w.Op < 0 {
				w.Err = errOp
			}
		}
		h.groups <- ops
		<-h.resume
		Finish(group, nil)
	}
	h.q = New(limit, begin, run)
	t.Cleanup(func() {
		go func() { // a begin or run the test left waiting
			for {
				select {
				case <-h.began:
				case h.release <- errBegin:
				case <-h.groups:
				case h.resume <- struct{}{}:
				case <-h.q.stopped:
					return
				}
			}
		}()
		h.q.Close()
	})
	return h
}

// enqueue queues a write of op with ctx, as Do does before it waits.
func (h *harness) enqueue(t *testing.T, ctx context.Context, op int) *Write[int] {
	t.Helper()
	w := NewWrite(ctx, op)
	if err := h.q.enqueue(w); err != nil {
		t.Fatalf("enqueue %d: %v", op, err)
	}
	return w
}

// group lets the loop's begin return nil, lets the group run, and returns
// its ops.
func (h *harness) group() []int {
	h.release <- nil
	ops := <-h.groups
	h.resume <- struct{}{}
	return ops
}

func wantErr(t *testing.T, w *Write[int], want error) {
	t.Helper()
	<-w.Done()
	if !errors.Is(w.Err, want) {
		t.Fatalf("write %d: error %v, want %v", w.Op, w.Err, want)
	}
}

// The writes that come while the loop waits for begin join the group, up
// to the limit, in the order they came; the rest go in the next group. A
// write that fails in the group gets its own error, the others none.
func TestWritesQueuedDuringBeginJoin(t *testing.T) {
	h := newHarness(t, 4)
	ctx := context.Background()
	writes := []*Write[int]{h.enqueue(t, ctx, 0)}
	<-h.began
	for _, op := range []int{1, -2, 3, 4} {
		writes = append(writes, h.enqueue(t, ctx, op))
	}
	if got := h.group(); !slices.Equal(got, []int{0, 1, -2, 3}) {
		t.Fatalf("first group %v, want [0 1 -2 3]", got)
	}
	<-h.began
	if got := h.group(); !slices.Equal(got, []int{4}) {
		t.Fatalf("second group %v, want [4]", got)
	}
	for _, w := range writes {
		var want error
		if w.Op < 0 {
			want = errOp
		}
		wantErr(t, w, want)
	}
}

// A write whose caller gives up before a group takes it returns the
// context's error and never runs, whether it would have joined a group or
// started the next one.
func TestAbandonedWriteNeverRuns(t *testing.T) {
	h := newHarness(t, 8)
	bg := context.Background()
	w0 := h.enqueue(t, bg, 0)
	<-h.began
	ctx, cancel := context.WithCancel(bg)
	w1 := h.enqueue(t, ctx, 1)
	cancel()
	if err := h.q.wait(w1); !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned write: %v, want context.Canceled", err)
	}
	w2 := h.enqueue(t, bg, 2)
	if got := h.group(); !slices.Equal(got, []int{0, 2}) {
		t.Fatalf("group %v, want [0 2] without the abandoned write", got)
	}
	wantErr(t, w0, nil)
	wantErr(t, w2, nil)

	// The loop waits in run while a write is queued and abandoned, and
	// another queued: the abandoned one is first in the queue.
	w3 := h.enqueue(t, bg, 3)
	<-h.began
	h.release <- nil
	if got := <-h.groups; !slices.Equal(got, []int{3}) {
		t.Fatalf("group %v, want [3]", got)
	}
	ctx, cancel = context.WithCancel(bg)
	w4 := h.enqueue(t, ctx, 4)
	cancel()
	if err := h.q.wait(w4); !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned write: %v, want context.Canceled", err)
	}
	w5 := h.enqueue(t, bg, 5)
	h.resume <- struct{}{}
	<-h.began
	if got := h.group(); !slices.Equal(got, []int{5}) {
		t.Fatalf("group %v, want [5] without the abandoned write", got)
	}
	wantErr(t, w3, nil)
	wantErr(t, w5, nil)
	select {
	case <-w1.Done():
		t.Fatal("abandoned write 1 was finished")
	case <-w4.Done():
		t.Fatal("abandoned write 4 was finished")
	default:
	}
}

// Once a group has taken a write, its caller gets the group's outcome even
// when its context has ended.
func TestTakenWriteWaitsForOutcome(t *testing.T) {
	h := newHarness(t, 8)
	ctx, cancel := context.WithCancel(context.Background())
	w := h.enqueue(t, ctx, -1)
	<-h.began // the loop has taken w
	cancel()
	errc := make(chan error, 1)
	go func() { errc <- h.q.wait(w) }()
	if got := h.group(); !slices.Equal(got, []int{-1}) {
		t.Fatalf("group %v, want [-1]", got)
	}
	if err := <-errc; !errors.Is(err, errOp) {
		t.Fatalf("taken write: %v, want the group's outcome %v", err, errOp)
	}
}

// When begin fails, every write of the group gets its error and none runs.
func TestBeginErrorFailsGroup(t *testing.T) {
	h := newHarness(t, 8)
	ctx := context.Background()
	w0 := h.enqueue(t, ctx, 0)
	<-h.began
	w1 := h.enqueue(t, ctx, 1)
	h.release <- errBegin
	for _, w := range []*Write[int]{w0, w1} {
		select {
		case <-w.Done():
		case <-h.began:
			t.Fatalf("write %d not finished when the next group began", w.Op)
		}
		wantErr(t, w, errBegin)
		if want := "begin write: " + errBegin.Error(); w.Err.Error() != want {
			t.Fatalf("write %d: error %q, want %q", w.Op, w.Err, want)
		}
	}
	w2 := h.enqueue(t, ctx, 2)
	<-h.began
	if got := h.group(); !slices.Equal(got, []int{2}) {
		t.Fatalf("group %v, want [2]: the failed group must not run", got)
	}
	wantErr(t, w2, nil)
}

// Close waits for the group running; the writes still queued, and every
// write after Close, get ErrClosed.
func TestCloseFailsQueuedAndLaterWrites(t *testing.T) {
	h := newHarness(t, 8)
	ctx := context.Background()
	w0 := h.enqueue(t, ctx, 0)
	<-h.began
	h.release <- nil
	if got := <-h.groups; !slices.Equal(got, []int{0}) {
		t.Fatalf("group %v, want [0]", got)
	}
	// The loop waits in run.
	w1, w2 := h.enqueue(t, ctx, 1), h.enqueue(t, ctx, 2)
	closed := make(chan struct{})
	go func() {
		h.q.Close()
		close(closed)
	}()
	<-h.q.quit
	h.resume <- struct{}{}
	select {
	case <-closed:
	case <-h.began:
		t.Fatal("a write queued at Close began a group")
	}
	wantErr(t, w0, nil)
	wantErr(t, w1, ErrClosed)
	wantErr(t, w2, ErrClosed)
	// The queue has room: a write may go in after the loop has gone.
	for i := range 100 {
		if err := h.q.Do(ctx, 10+i); !errors.Is(err, ErrClosed) {
			t.Fatalf("write after Close: %v, want ErrClosed", err)
		}
	}
	h.q.Close()
}

// Under contention every write runs exactly once, in groups of at most the
// limit, and its caller gets its own outcome.
func TestContention(t *testing.T) {
	const limit, n = 8, 500
	var (
		mu     sync.Mutex
		runs   = map[int]int{}
		larger []int
	)
	begin := func() (struct{}, error) { return struct{}{}, nil }
	run := func(_ struct{}, group []*Write[int]) {
		mu.Lock()
		if len(group) > limit {
			larger = append(larger, len(group))
		}
		for _, w := range group {
			runs[w.Op]++
			if w.Op%7 == 0 {
				w.Err = errOp
			}
		}
		mu.Unlock()
		Finish(group, nil)
	}
	q := New(limit, begin, run)
	defer q.Close()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = q.Do(context.Background(), i) })
	}
	wg.Wait()
	if len(larger) > 0 {
		t.Fatalf("groups of %v writes, over the limit %d", larger, limit)
	}
	for i := range n {
		if runs[i] != 1 {
			t.Fatalf("write %d ran %d times, want once", i, runs[i])
		}
		if want := i%7 == 0; errors.Is(errs[i], errOp) != want || (!want && errs[i] != nil) {
			t.Fatalf("write %d: %v", i, errs[i])
		}
	}
}
