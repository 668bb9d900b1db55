package api

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/heraldhq/herald"
)

// FuzzDecodeJSON: any body decodes into the API's inputs or gives a 400
// (or 415/413 never: those are readBody's) whose message starts with the
// field it is about.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"agent_id":"a1","status":"running","logs":["x",{"message":"m","timestamp":"soon"}]}`,
		`{"agent_id":"a1","metrics":{"cpu":1},"timestamp":"yesterday"}`,
		`{"metric":"cpu","window":"5m"}`, `{"window":"soon"}`, `{"retry_schedule":["1s",2,"x"]}`,
		`{"name":"n","rate_limit":{"requests":1,"per":"1h"}}`, `{"rate_limit":{"per":true}}`,
		`{"a":1} {"b":2}`, `{"agent_id":`, "{\"error\":\"\xff\"}", `{"logs":[3]}`, `[]`, `"x"`, ``, `{"colour":"red"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(v any, open bool) {
			err := decodeJSONWith(body, v, open)
			if err == nil {
				return
			}
			msg := herald.ErrorMessage(err)
			field, _, ok := strings.Cut(msg, ": ")
			if herald.ErrorCode(err) != herald.EINVALID || !ok || field == "" || strings.ContainsAny(field, "\"\\:") ||
				strings.IndexFunc(field, unicode.IsSpace) >= 0 || strings.IndexFunc(field, unicode.IsControl) >= 0 {
				t.Fatalf("%q into %T: %v, want a 400 naming its field", body, v, err)
			}
		}
		check(&herald.AgentReport{}, true)
		check(&herald.MetricsReport{}, true)
		check(&herald.AlertInput{}, false)
		check(&herald.WebhookInput{}, false)
		check(&herald.InboundWebhookInput{}, false)
	})
}

// FuzzClientIP: behind no trusted proxy the client is the connection's
// address; behind one it is the connection's or one of X-Forwarded-For's
// hops, never a trusted proxy unless all are.
func FuzzClientIP(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.2:1234", "203.0.113.7"}, {"10.0.0.2:1234", "203.0.113.7, 10.0.0.3"}, {"10.0.0.2:1234", "bogus, 10.0.0.3"},
		{"198.51.100.1:80", "203.0.113.7"}, {"[::ffff:10.0.0.2]:1", "::ffff:203.0.113.9"}, {"nonsense", "1.2.3.4"}, {"10.0.0.2:1", ""}, {"10.0.0.2:1", ",,"},
	} {
		f.Add(s[0], s[1])
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	s := New(Config{Store: nil, TrustedProxies: trusted})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := s.clientIP(r)
		host, _, err := net.SplitHostPort(remote)
		conn, perr := netip.ParseAddr(host)
		if err != nil || perr != nil {
			if conn, perr = netip.ParseAddr(remote); perr != nil {
				if got.IsValid() {
					t.Fatalf("remote %q: got %v, want no address", remote, got)
				}
				return
			}
		}
		conn = conn.Unmap()
		if !inPrefixes(conn, trusted) {
			if got != conn {
				t.Fatalf("untrusted remote %q: got %v", remote, got)
			}
			return
		}
		if got == conn {
			return
		}
		found := false
		for _, hop := range strings.Split(xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && a.Unmap() == got {
				found = true
			}
		}
		if !found {
			t.Fatalf("remote %q, X-Forwarded-For %q: got %v, neither the connection nor a hop", remote, xff, got)
		}
	})
}

// FuzzMetricsRange: since, until and step read any query values without
// panicking, and refuse with a 400 naming the parameter.
func FuzzMetricsRange(f *testing.F) {
	for _, s := range [][3]string{
		{"1h", "now", "1m"}, {"2026-01-02T15:04:05Z", "", "5m"}, {"-1h", "", "1s"}, {"", "", "0s"}, {"soon", "", ""},
		{"9999999999h", "", "1ns"}, {"", "2026-01-02T15:04:05.999999999+14:00", "1h"}, {"\x00", "\xff", "-1m"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, since, until, step string) {
		r := httptest.NewRequest("GET", "/?"+url.Values{"since": {since}, "until": {until}}.Encode(), nil)
		named := func(err error, name string) {
			if err != nil && (herald.ErrorCode(err) != herald.EINVALID || !strings.HasPrefix(herald.ErrorMessage(err), name+": ")) {
				t.Fatalf("%s: %v, want a 400 naming it", name, err)
			}
		}
		s, err := queryTime(r, "since", now)
		named(err, "since")
		u, err := queryTime(r, "until", now)
		named(err, "until")
		if u.IsZero() {
			u = now
		}
		d, err := parseStep(step, s, u)
		named(err, "step")
		if err == nil && step != "" && (d < time.Second || u.Sub(s)/d > MaxMetricBuckets) {
			t.Fatalf("step %q from %v to %v: %v accepted", step, s, u, d)
		}
	})
}
