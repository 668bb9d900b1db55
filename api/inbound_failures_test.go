package api

import (
	"net/netip"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestFailureLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newFailureLimiter(herald.RateLimit{Requests: 2, Per: herald.Duration(time.Minute)})
	a := netip.MustParseAddr("192.0.2.1")
	if c.wait(a, t0) != 0 || !c.fail(a, t0) || !c.fail(a, t0) {
		t.Fatal("the first 2 failures were refused")
	}
	if c.fail(a, t0) {
		t.Fatal("a third failure within the minute passed")
	}
	// One failure comes back every 30s.
	if w := c.wait(a, t0); w <= 0 || w > 30*time.Second {
		t.Fatalf("wait = %s, want (0, 30s]", w)
	}
	if w := c.wait(a, t0.Add(30*time.Second)); w != 0 {
		t.Fatalf("wait after 30s = %s, want 0", w)
	}
	// Other sources are apart; an IPv6 /64 is one source.
	if c.wait(netip.MustParseAddr("192.0.2.2"), t0) != 0 {
		t.Fatal("another IPv4 address waits")
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	c.fail(v6, t0)
	c.fail(v6, t0)
	if c.wait(netip.MustParseAddr("2001:db8::ffff:1"), t0) == 0 {
		t.Fatal("another address of the same /64 does not wait")
	}
	if c.wait(netip.MustParseAddr("2001:db8:0:1::1"), t0) != 0 {
		t.Fatal("another /64 waits")
	}
}

func TestFailureLimiterBoundsItsSources(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newFailureLimiter(herald.RateLimit{Requests: 1, Per: herald.Duration(time.Hour)})
	c.maxSources = 2
	c.fail(netip.MustParseAddr("192.0.2.1"), t0)
	c.fail(netip.MustParseAddr("192.0.2.2"), t0)
	// Full, nothing refilled: further sources share one limiter.
	if !c.fail(netip.MustParseAddr("192.0.2.3"), t0) || c.fail(netip.MustParseAddr("192.0.2.4"), t0) {
		t.Fatal("the sources beyond the bound do not share one limiter")
	}
	if len(c.sources) != 3 {
		t.Fatalf("%d sources tracked, want 2 and the shared one", len(c.sources))
	}
	// Once the sources' failures are refilled, they are forgotten.
	later := t0.Add(2 * time.Hour)
	if !c.fail(netip.MustParseAddr("192.0.2.5"), later) {
		t.Fatal("a new source after the sweep was refused")
	}
	if len(c.sources) != 1 {
		t.Fatalf("%d sources tracked after the sweep, want 1", len(c.sources))
	}
}
