package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// loggedRequests returns the inbound log of a webhook, newest first.
func (ts *testServer) loggedRequests(name string) []herald.InboundRequest {
	ts.t.Helper()
	var reqs struct {
		Items []herald.InboundRequest `json:"items"`
	}
	ts.must(http.StatusOK, "GET", "/api/webhooks/"+name+"/requests?limit=1000", nil, &reqs)
	return reqs.Items
}

// TestInboundWrongSecretFlood floods a named webhook and the generic one
// with wrong secrets and large bodies: no body is stored, and past the
// limit per source IP the requests are answered 429 and not logged at all,
// while other sources are unaffected.
func TestInboundWrongSecretFlood(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, func(c *Config) {
			c.InboundFailureLimit = "5/1h"
			c.TrustedProxies = "127.0.0.1/32" // sources are told by X-Forwarded-For
		})
		ts.must(http.StatusCreated, "POST", "/api/webhooks", map[string]any{"name": "alerts", "agent": "default", "secret": "right-secret"}, nil)
		ts.must(http.StatusOK, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "generic-secret"}, nil)
		big := `{"message": "` + strings.Repeat("x", 512<<10) + `"}`
		from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }

		for _, path := range []string{"/api/webhooks/alerts", "/api/webhooks/generic"} {
			stranger := "203.0.113.7"
			if path == "/api/webhooks/generic" {
				stranger = "2001:db8:1:2::7"
			}
			var statuses []int
			for i := 0; i < 12; i++ {
				st, _, h := ts.postRaw(path, big, append(from(stranger), "X-Webhook-Secret", "wrong-secret")...)
				statuses = append(statuses, st)
				if st == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
					t.Fatalf("%s: 429 without Retry-After", path)
				}
			}
			for i, st := range statuses {
				want := http.StatusUnauthorized
				if i >= 5 {
					want = http.StatusTooManyRequests
				}
				if st != want {
					t.Fatalf("%s: statuses %v; want 5 × 401, then 429", path, statuses)
				}
			}
			// Even the right secret waits now: the source is refused
			// before its body is read.
			right := "right-secret"
			if path == "/api/webhooks/generic" {
				right = "generic-secret"
			}
			body := `{"agent": "default", "message": "hello"}`
			if st, _, _ := ts.postRaw(path, body, append(from(stranger), "X-Webhook-Secret", right)...); st != http.StatusTooManyRequests {
				t.Fatalf("%s: the right secret from a limited source: %d, want 429", path, st)
			}
			// Another address of the same IPv6 /64 is the same source.
			if path == "/api/webhooks/generic" {
				if st, _, _ := ts.postRaw(path, body, append(from("2001:db8:1:2::8"), "X-Webhook-Secret", "wrong")...); st != http.StatusTooManyRequests {
					t.Fatalf("same /64: %d, want 429", st)
				}
			}
			// Other sources are not limited.
			if st, _, _ := ts.postRaw(path, body, append(from("198.51.100.1"), "X-Webhook-Secret", "wrong-secret")...); st != http.StatusUnauthorized {
				t.Fatalf("%s: another source's wrong secret: %d, want 401", path, st)
			}
			if st, out, _ := ts.postRaw(path, body, append(from("198.51.100.2"), "X-Webhook-Secret", right)...); st != http.StatusOK {
				t.Fatalf("%s: another source's right secret: %d %v", path, st, out)
			}
		}

		for _, name := range []string{"alerts", "generic"} {
			logged := ts.loggedRequests(name)
			rejected, accepted := 0, 0
			for _, r := range logged {
				switch r.Verdict {
				case herald.VerdictRejected:
					rejected++
					if r.Body != "" || r.Status != http.StatusUnauthorized {
						t.Fatalf("%s: a refused request was logged with status %d and %d bytes of body", name, r.Status, len(r.Body))
					}
				case herald.VerdictAccepted:
					accepted++
					if r.Body == "" {
						t.Fatalf("%s: an accepted request was logged without its body", name)
					}
				}
			}
			// 5 from the stranger, 1 from another source; none of the
			// 429s.
			if rejected != 6 || accepted != 1 {
				t.Fatalf("%s: logged %d rejected and %d accepted, want 6 and 1", name, rejected, accepted)
			}
		}
	})
}
