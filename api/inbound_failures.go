package api

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heraldhq/herald"
)

// DefaultInboundFailureLimit is how many failed inbound requests a source
// may make (--inbound-failure-limit): 20 per minute, in a burst or spread.
// A failure is a request to /api/webhooks/... refused before it is
// authenticated: an unknown or disabled webhook, an IP outside the allowed
// ones, a body too large, a wrong or missing secret or signature.
var DefaultInboundFailureLimit = herald.RateLimit{Requests: 20, Per: herald.Duration(time.Minute)}

// maxFailureSources bounds how many sources the failure limiter tracks;
// failures of sources beyond it share one limiter.
const maxFailureSources = 100_000

// failureLimiter limits failed inbound requests per source: an IPv4
// address, or an IPv6 /64 (what one host usually holds). A source out of
// failures is refused with 429 before anything is read or written, so
// strangers cannot fill the request log. Its zero value is not ready; use
// newFailureLimiter.
type failureLimiter struct {
	limit herald.RateLimit
	// maxSources is how many sources are tracked (maxFailureSources).
	maxSources int

	mu        sync.Mutex
	sources   map[netip.Prefix]*rate.Limiter
	lastSweep time.Time
}

// newFailureLimiter returns a limiter of limit per source; a zero limit
// means DefaultInboundFailureLimit.
func newFailureLimiter(limit herald.RateLimit) *failureLimiter {
	if limit.Requests <= 0 || limit.Per <= 0 {
		limit = DefaultInboundFailureLimit
	}
	return &failureLimiter{limit: limit, maxSources: maxFailureSources, sources: map[netip.Prefix]*rate.Limiter{}}
}

// source is the key of ip: the address itself, or its /64 for IPv6; the
// zero Prefix when ip is invalid.
func source(ip netip.Addr) netip.Prefix {
	if !ip.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// limiter returns the limiter of ip's source, making one when it has
// none; c.mu must be held.
func (c *failureLimiter) limiter(ip netip.Addr, now time.Time) *rate.Limiter {
	key := source(ip)
	if l := c.sources[key]; l != nil {
		return l
	}
	if len(c.sources) >= c.maxSources && now.Sub(c.lastSweep) >= time.Second {
		// Forget the sources whose failures are all refilled.
		c.lastSweep = now
		for k, l := range c.sources {
			if l.TokensAt(now) >= float64(c.limit.Requests) {
				delete(c.sources, k)
			}
		}
	}
	if len(c.sources) >= c.maxSources {
		key = netip.Prefix{}
		if l := c.sources[key]; l != nil {
			return l
		}
	}
	every := rate.Limit(float64(c.limit.Requests) / time.Duration(c.limit.Per).Seconds())
	l := rate.NewLimiter(every, c.limit.Requests)
	c.sources[key] = l
	return l
}

// wait returns how long ip's source must wait before it may fail again;
// 0 when it may now.
func (c *failureLimiter) wait(ip netip.Addr, now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.sources[source(ip)]
	if l == nil {
		return 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(l.Limit()) * float64(time.Second))
}

// fail counts a failure of ip's source and reports whether it was within
// the limit.
func (c *failureLimiter) fail(ip netip.Addr, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limiter(ip, now).AllowN(now, 1)
}

// refusal is the 429 of a source out of failures, with its Retry-After
// set on w.
func (c *failureLimiter) refusal(w http.ResponseWriter, ip netip.Addr, wait time.Duration) error {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return herald.Errorf(herald.ERATELIMITED, "too many failed requests from %s (at most %d per %s); retry in %ds",
		ip, c.limit.Requests, c.limit.Per, secs)
}

// admitSource is the first step of an inbound request: a source out of
// failures gets a 429 (Retry-After set on w), before anything is read or
// written. Nil means the request goes on.
func (s *Server) admitSource(w http.ResponseWriter, ip netip.Addr) error {
	if wait := s.failures.wait(ip, s.cfg.Clock.Now()); wait > 0 {
		return s.failures.refusal(w, ip, wait)
	}
	return nil
}

// countFailure counts a request refused before it was authenticated. Nil
// means it may be logged (without its body); else it is the 429 to answer
// instead, with nothing written.
func (s *Server) countFailure(w http.ResponseWriter, ip netip.Addr) error {
	now := s.cfg.Clock.Now()
	if s.failures.fail(ip, now) {
		return nil
	}
	return s.failures.refusal(w, ip, max(s.failures.wait(ip, now), time.Second))
}
