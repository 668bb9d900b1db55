package runtime

import (
	"context"
	"sync"

	"github.com/heraldhq/herald"
)

// Limiter caps the invocations in flight per agent. The zero value is ready
// to use and it is safe for concurrent use. An agent's slots are made on
// its first Acquire with the limit given then, and dropped when no one holds
// or waits for one, so a changed limit takes effect once the agent is idle.
type Limiter struct {
	mu     sync.Mutex
	agents map[string]*slots
}

// slots is one agent's semaphore; refs counts its holders and waiters.
type slots struct {
	sem  chan struct{}
	refs int
}

// clampMax is n within 1..herald.MaxMaxConcurrency, and
// herald.DefaultMaxConcurrency (4) when it is below 1.
func clampMax(n int) int {
	if n < 1 {
		return herald.DefaultMaxConcurrency
	}
	return min(n, herald.MaxMaxConcurrency)
}

// ref returns agentID's slots, made with limit when new, counting the caller.
func (l *Limiter) ref(agentID string, limit int) *slots {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.agents == nil {
		l.agents = make(map[string]*slots)
	}
	s := l.agents[agentID]
	if s == nil {
		s = &slots{sem: make(chan struct{}, clampMax(limit))}
		l.agents[agentID] = s
	}
	s.refs++
	return s
}

// unref drops the caller's count, and the slots once nobody is counted.
func (l *Limiter) unref(agentID string, s *slots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.refs--
	if s.refs == 0 && l.agents[agentID] == s {
		delete(l.agents, agentID)
	}
}

// releaser returns the release func of a slot taken in s: it frees the
// slot once, however often it is called.
func (l *Limiter) releaser(agentID string, s *slots) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			<-s.sem
			l.unref(agentID, s)
		})
	}
}

// Acquire takes one of agentID's limit slots (limit below 1 means
// herald.DefaultMaxConcurrency, 4; above herald.MaxMaxConcurrency, 256, it
// is capped), waiting until one frees or ctx ends. It returns the func that
// frees the slot (call it once the invocation is done; calling it again
// does nothing), or ctx's error.
func (l *Limiter) Acquire(ctx context.Context, agentID string, limit int) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := l.ref(agentID, limit)
	select {
	case s.sem <- struct{}{}:
		return l.releaser(agentID, s), nil
	case <-ctx.Done():
		l.unref(agentID, s)
		return nil, ctx.Err()
	}
}

// TryAcquire is Acquire without waiting: ok is false, and release nil,
// when all of agentID's slots are taken.
func (l *Limiter) TryAcquire(agentID string, limit int) (release func(), ok bool) {
	s := l.ref(agentID, limit)
	select {
	case s.sem <- struct{}{}:
		return l.releaser(agentID, s), true
	default:
		l.unref(agentID, s)
		return nil, false
	}
}

// InUse returns how many of agentID's slots are taken.
func (l *Limiter) InUse(agentID string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.agents[agentID]; s != nil {
		return len(s.sem)
	}
	return 0
}
