package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// idle fails the test if the limiter still holds slots of some agent.
func idle(t *testing.T, l *Limiter) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.agents) != 0 {
		t.Errorf("the limiter still holds %d agents", len(l.agents))
	}
}

func TestLimiterCapsConcurrency(t *testing.T) {
	const limit, workers = 3, 12
	var l Limiter
	var inflight, peak atomic.Int32
	entered := make(chan struct{})
	proceed := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := l.Acquire(context.Background(), "agent-1", limit)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			n := inflight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			entered <- struct{}{}
			<-proceed
			inflight.Add(-1)
		}()
	}
	// limit workers get in; the rest wait.
	for range limit {
		<-entered
	}
	if got := l.InUse("agent-1"); got != limit {
		t.Errorf("InUse = %d, want %d", got, limit)
	}
	if release, ok := l.TryAcquire("agent-1", limit); ok {
		release()
		t.Error("TryAcquire got a slot while all were taken")
	}
	// Another agent has slots of its own.
	release, ok := l.TryAcquire("agent-2", limit)
	if !ok {
		t.Fatal("agent-2 got no slot")
	}
	release()

	// Let one worker go at a time; each one that leaves lets one in.
	for i := range workers {
		proceed <- struct{}{}
		if i < workers-limit {
			<-entered
		}
	}
	wg.Wait()
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency %d, want %d", p, limit)
	}
	idle(t, &l)
}

func TestLimiterAcquireCanceled(t *testing.T) {
	var l Limiter
	release, err := l.Acquire(context.Background(), "a", 1)
	if err != nil {
		t.Fatal(err)
	}

	// A waiter whose context ends gets the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := l.Acquire(ctx, "a", 1)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Acquire returned %v with no slot free", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}

	// An already ended context fails even with a slot free.
	release()
	if _, err := l.Acquire(ctx, "a", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire on an ended context = %v", err)
	}
	idle(t, &l)
}

func TestLimiterReleaseFreesOneSlotOnce(t *testing.T) {
	var l Limiter
	r1, _ := l.TryAcquire("a", 2)
	r2, _ := l.TryAcquire("a", 2)
	r1()
	r1() // a second call must not free r2's slot
	if got := l.InUse("a"); got != 1 {
		t.Errorf("InUse = %d after a double release, want 1", got)
	}
	r3, ok := l.TryAcquire("a", 2)
	if !ok {
		t.Fatal("no slot after a release")
	}
	if _, ok := l.TryAcquire("a", 2); ok {
		t.Error("a double release freed two slots")
	}
	r2()
	r3()
	idle(t, &l)
}

func TestLimiterDefaultsAndWaiterWakes(t *testing.T) {
	var l Limiter
	var releases []func()
	for range 4 { // a limit below 1 means the default, 4
		r, ok := l.TryAcquire("a", 0)
		if !ok {
			t.Fatal("the default limit is below 4")
		}
		releases = append(releases, r)
	}
	if _, ok := l.TryAcquire("a", 0); ok {
		t.Error("the default limit is above 4")
	}
	got := make(chan func())
	go func() {
		r, err := l.Acquire(context.Background(), "a", 0)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	releases[0]()
	r := <-got // the waiter wakes when a slot frees
	r()
	for _, r := range releases[1:] {
		r()
	}
	idle(t, &l)
}
