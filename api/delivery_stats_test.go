package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// statsSums adds up the buckets of a GET /v1/deliveries/stats answer and
// collects its p50 values.
func statsSums(t *testing.T, out map[string]any, wantBuckets int) (succeeded, failed, pending int, p50s []float64) {
	t.Helper()
	buckets, _ := out["buckets"].([]any)
	if len(buckets) != wantBuckets {
		t.Fatalf("%d buckets, want %d: %v", len(buckets), wantBuckets, out)
	}
	for _, b := range buckets {
		m := b.(map[string]any)
		succeeded += int(m["succeeded"].(float64))
		failed += int(m["failed"].(float64))
		pending += int(m["pending"].(float64))
		if p, ok := m["p50_ms"].(float64); ok {
			p50s = append(p50s, p)
		}
	}
	return
}

func TestDeliveryStats(t *testing.T) {
	c := newConfineTest(t)
	acme, beta := c.populate("acme"), c.populate("beta")
	code := 500
	if _, err := c.db.RecordAttempt(context.Background(), herald.AttemptResult{DeliveryID: acme.delivery, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: time.Now(), DurationMS: 42, StatusCode: &code}}); err != nil {
		t.Fatal(err)
	}
	list := c.as(acme.key, 200, "GET", "/v1/webhooks/"+acme.webhook+"/deliveries", nil)
	total := int(list["total"].(float64))

	out := c.as(acme.key, 200, "GET", "/v1/deliveries/stats?window=1h", nil)
	if out["window"] != "1h" || out["bucket_seconds"] != 60.0 {
		t.Fatalf("1h: %v", out)
	}
	s, f, p, p50s := statsSums(t, out, 60)
	if s != 0 || f != 1 || p != total-1 || len(p50s) != 1 || p50s[0] != 42 {
		t.Fatalf("acme's 1h: %d/%d/%d p50 %v, want 0/1/%d p50 [42]", s, f, p, p50s, total-1)
	}
	out = c.as(acme.key, 200, "GET", "/v1/deliveries/stats?webhook_id="+acme.webhook, nil)
	if out["window"] != "24h" || out["bucket_seconds"] != 900.0 || out["webhook_id"] != acme.webhook {
		t.Fatalf("default window: %v", out)
	}
	if s, f, p, _ := statsSums(t, out, 96); s+f+p != total || f != 1 {
		t.Fatalf("acme's webhook over 24h: %d/%d/%d, want %d with 1 failed", s, f, p, total)
	}
	// Beta's deliveries have no attempt and are not acme's.
	if _, f, _, p50s := statsSums(t, c.as(beta.key, 200, "GET", "/v1/deliveries/stats?window=7d", nil), 84); f != 0 || len(p50s) != 0 {
		t.Fatalf("beta's 7d: %d failed, p50 %v", f, p50s)
	}
	// The platform's key counts both tenants.
	if s, f, p, _ := statsSums(t, c.as(c.admin, 200, "GET", "/v1/deliveries/stats", nil), 96); s+f+p != 2*total {
		t.Fatalf("every tenant: %d deliveries, want %d", s+f+p, 2*total)
	}

	status, body := c.call("GET", "/v1/deliveries/stats?webhook_id="+beta.webhook, nil, bearerOf(acme.key)...)
	if code, _ := errorCode(body); status != 404 || code != herald.ENOTFOUND {
		t.Fatalf("beta's webhook with acme's key: %d %v", status, body)
	}
	for q, field := range map[string]string{"window=2h": "window", "bucket=1m": "bucket"} {
		status, body := c.call("GET", "/v1/deliveries/stats?"+q, nil, bearerOf(acme.key)...)
		if _, msg := errorCode(body); status != 400 || !strings.HasPrefix(msg, field+":") {
			t.Errorf("?%s: %d %v, want 400 naming %s", q, status, body, field)
		}
	}
}
