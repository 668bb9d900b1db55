package api

import (
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/provider"
	"github.com/heraldhq/herald/transform"
)

// clientIP returns the address an inbound request comes from: the
// connection's, unless that is one of Config.TrustedProxies, in which case
// X-Forwarded-For is read from the right and the first address that is
// not a trusted proxy is the client (the left-most one when all are).
func (s *Server) clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap()
	if !inPrefixes(addr, s.cfg.TrustedProxies) {
		return addr
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// A malformed hop: believe nothing left of it.
			return addr
		}
		addr = a.Unmap()
		if !inPrefixes(addr, s.cfg.TrustedProxies) {
			return addr
		}
	}
	return addr
}

// inPrefixes reports whether a is in one of ps.
func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ipAllowed checks the client IP against the server-wide --allowed-ips
// and the webhook's allowed_ips (both must let it through when set); the
// error says which refused it.
func (s *Server) ipAllowed(ip netip.Addr, wh *herald.InboundWebhook) error {
	if len(s.cfg.AllowedIPs) > 0 && !inPrefixes(ip, s.cfg.AllowedIPs) {
		return herald.Errorf(herald.EFORBIDDEN, "source IP %s is not in the server's --allowed-ips", ip)
	}
	if len(wh.AllowedIPs) > 0 {
		var ps []netip.Prefix
		for _, s := range wh.AllowedIPs {
			if p, err := herald.ParseIPPrefix(s); err == nil {
				ps = append(ps, p)
			}
		}
		if !inPrefixes(ip, ps) {
			return herald.Errorf(herald.EFORBIDDEN, "source IP %s is not in the webhook's allowed_ips", ip)
		}
	}
	return nil
}

// checkSecret authenticates an inbound request by the webhook's secret,
// in constant time, as provider.Generic does. It takes any of:
//
//	X-Webhook-Secret: <secret>                  (seed 002's examples)
//	Authorization: Bearer <secret>
//	X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>
//	X-Hub-Signature-256: sha256=<hex>           (what GitHub sends)
func checkSecret(r *http.Request, secret string, body []byte) error {
	return provider.Generic.Verify(&provider.Request{Header: r.Header, Body: body, ContentType: r.Header.Get("Content-Type")}, secret)
}

// inboundCache holds, per named inbound webhook on this node (by tenant
// and name, see cacheKey), the compiled transform and filters and the rate
// limiter. Its zero value is ready.
type inboundCache struct {
	mu       sync.Mutex
	programs map[string]cachedProgram
	limiters map[string]*bucket
}

// cachedProgram is a compiled program and the settings it came from.
type cachedProgram struct {
	key  string
	prog *transform.Program
}

// program returns the compiled transform and filters of wh, compiling
// them when they changed since the last call.
func (c *inboundCache) program(wh *herald.InboundWebhook) (*transform.Program, error) {
	key := programKey(wh)
	c.mu.Lock()
	cp, ok := c.programs[cacheKey(string(wh.TenantID), wh.Name)]
	c.mu.Unlock()
	if ok && cp.key == key {
		return cp.prog, nil
	}
	prog, err := transform.Compile(wh.Transform, wh.Filters)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.programs == nil {
		c.programs = map[string]cachedProgram{}
	}
	c.programs[cacheKey(string(wh.TenantID), wh.Name)] = cachedProgram{key: key, prog: prog}
	c.mu.Unlock()
	return prog, nil
}

// programKey identifies the transform and filters of wh.
func programKey(wh *herald.InboundWebhook) string {
	var b strings.Builder
	b.WriteString(wh.Transform.MessageTemplate)
	b.WriteByte(0)
	for _, k := range slices.Sorted(maps.Keys(wh.Transform.ContextMapping)) {
		b.WriteString(k + "\x01" + wh.Transform.ContextMapping[k] + "\x02")
	}
	b.WriteByte(0)
	b.WriteString(strings.Join(wh.Filters.Include, "\x01"))
	b.WriteByte(0)
	b.WriteString(strings.Join(wh.Filters.Exclude, "\x01"))
	b.WriteByte(0)
	b.WriteString(wh.Filters.Condition)
	return b.String()
}

// cacheKey names a tenant's webhook in the cache: names are unique within
// a tenant only.
func cacheKey(tenant, name string) string { return tenant + "\x00" + name }

// forget drops what the cache holds for the webhook name of tenant (after
// an update or delete).
func (c *inboundCache) forget(tenant, name string) {
	c.mu.Lock()
	delete(c.programs, cacheKey(tenant, name))
	delete(c.limiters, cacheKey(tenant, name))
	c.mu.Unlock()
}

// forgetTenant drops what the cache holds for every webhook of tenant
// (after the tenant is deleted).
func (c *inboundCache) forgetTenant(tenant string) {
	prefix := cacheKey(tenant, "")
	c.mu.Lock()
	for k := range c.programs {
		if strings.HasPrefix(k, prefix) {
			delete(c.programs, k)
		}
	}
	for k := range c.limiters {
		if strings.HasPrefix(k, prefix) {
			delete(c.limiters, k)
		}
	}
	c.mu.Unlock()
}

// allow takes a token from wh's bucket (golang.org/x/time/rate: Requests
// tokens, refilled at Requests per Per); when none is left it returns how
// long until one is. Webhooks without a rate limit always pass.
func (c *inboundCache) allow(wh *herald.InboundWebhook, now time.Time) (bool, time.Duration) {
	if wh.RateLimit == nil || wh.RateLimit.Requests <= 0 || wh.RateLimit.Per <= 0 {
		return true, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limiters == nil {
		c.limiters = map[string]*bucket{}
	}
	key := cacheKey(string(wh.TenantID), wh.Name)
	b := c.limiters[key]
	if b == nil || b.limit != *wh.RateLimit {
		every := rate.Limit(float64(wh.RateLimit.Requests) / time.Duration(wh.RateLimit.Per).Seconds())
		b = &bucket{limit: *wh.RateLimit, lim: rate.NewLimiter(every, wh.RateLimit.Requests)}
		c.limiters[key] = b
	}
	r := b.lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return false, wait
	}
	return true, 0
}

// bucket is a webhook's rate limiter and the settings it was made for.
type bucket struct {
	limit herald.RateLimit
	lim   *rate.Limiter
}
