package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/receivertest"
	"github.com/heraldhq/herald/signature"
)

// steppedClock is the wall clock moved forward by the steps a test takes.
type steppedClock struct{ offset atomic.Int64 }

func (c *steppedClock) Now() time.Time       { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *steppedClock) Step(d time.Duration) { c.offset.Add(int64(d)) }

// verdicts is what each verifier said of one delivery.
type verdicts struct {
	event                     string
	standardOld, standardNew  bool // Standard Webhooks, holding one secret
	seedOld, seedNew          bool // the seed-format header, holding one secret
	standardEntries           int
	previousHeader, sigHeader string
}

// startVerifiers starts a receiver on 127.0.0.1 that checks every delivery
// as four receivers would: Standard Webhooks verifiers holding only the old
// or only the new secret, and seed-format (X-Webhook-Signature, sha256=hex)
// verifiers likewise, the old one also reading X-Webhook-Signature-Previous.
// Timestamps are checked against clock, as a receiver whose clock agrees
// with the sender's. It answers 200 and reports the verdicts on the channel.
func startVerifiers(t *testing.T, clock herald.Clock, oldSecret, newSecret string) (string, <-chan verdicts) {
	ch := make(chan verdicts, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		std := func(secret string) bool {
			return signature.VerifyStandard(secret, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"),
				r.Header.Get("webhook-signature"), body, 5*time.Minute, clock.Now()) == nil
		}
		seed := func(secret string, headers ...string) bool {
			for _, h := range headers {
				for _, sig := range strings.Fields(r.Header.Get(h)) {
					if signature.Verify(signature.FormatSHA256Hex, secret, body, sig) {
						return true
					}
				}
			}
			return false
		}
		ch <- verdicts{
			event:           r.Header.Get("X-Webhook-Event"),
			standardOld:     std(oldSecret),
			standardNew:     std(newSecret),
			seedOld:         seed(oldSecret, "X-Webhook-Signature", "X-Webhook-Signature-Previous"),
			seedNew:         seed(newSecret, "X-Webhook-Signature"),
			standardEntries: len(strings.Fields(r.Header.Get("webhook-signature"))),
			previousHeader:  r.Header.Get("X-Webhook-Signature-Previous"),
			sigHeader:       r.Header.Get("X-Webhook-Signature"),
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", ch
}

// TestRotateSecretOverlap rotates a webhook's secret with a 24h grace
// period: verifiers holding only the old secret accept deliveries during
// the overlap and refuse them after it (the clock is stepped past it),
// those holding the new one accept them from the rotation on, for both the
// Standard Webhooks headers and the seed-format header. The Standard
// Webhooks reference library, holding the old secret, accepts the
// overlap's two-signature header too.
func TestRotateSecretOverlap(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		clock := &steppedClock{}
		ts := startServerClock(t, clock, db)
		oldSecret, newSecret := herald.GenerateSecret(), herald.GenerateSecret()
		url, got := startVerifiers(t, clock, oldSecret, newSecret)
		library := receivertest.StartStandard(t, oldSecret)
		wh := ts.createWebhook(map[string]any{"url": url, "events": []string{"test.*"}, "secret": oldSecret, "max_retries": 0})
		lib := ts.createWebhook(map[string]any{"url": library.URL, "events": []string{"test.overlap"}, "secret": oldSecret, "max_retries": 0})

		deliver := func(typ string) verdicts {
			t.Helper()
			if _, n := ts.publish(typ, map[string]any{"n": 1}); n == 0 {
				t.Fatalf("%s went nowhere", typ)
			}
			v := recv(t, got, typ+" at the verifiers")
			if v.event != typ {
				t.Fatalf("verifiers got %s, want %s", v.event, typ)
			}
			return v
		}
		before := deliver("test.before")
		if !before.standardOld || before.standardNew || !before.seedOld || before.seedNew || before.previousHeader != "" {
			t.Fatalf("before the rotation: %+v", before)
		}

		// Bad grace periods are refused.
		for _, grace := range []string{"8d", "-1h", "soon"} {
			if status, out := ts.do("POST", "/v1/webhooks/"+wh.ID+"/secret/rotate", map[string]any{"grace_period": grace}); status != 400 || !strings.Contains(string(out), "grace_period") {
				t.Fatalf("grace %q: %d %s", grace, status, out)
			}
		}
		if status, _ := ts.do("POST", "/v1/webhooks/wh_missing/secret/rotate", nil); status != 404 {
			t.Fatalf("missing webhook: %d", status)
		}

		rotatedAt := clock.Now()
		var rotated herald.Webhook
		for _, id := range []string{wh.ID, lib.ID} {
			ts.must(200, "POST", "/v1/webhooks/"+id+"/secret/rotate", map[string]any{"secret": newSecret, "grace_period": "24h"}, &rotated)
		}
		if rotated.Secret != newSecret || rotated.SecretRotatedAt == nil || rotated.PreviousSecretExpiresAt == nil ||
			rotated.PreviousSecretExpiresAt.Sub(rotatedAt.Add(24*time.Hour)).Abs() > time.Minute {
			t.Fatalf("rotate answer: %+v", rotated)
		}
		var shown herald.Webhook
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID, nil, &shown)
		if shown.Secret != "" || shown.SecretRotatedAt == nil || shown.PreviousSecretExpiresAt == nil {
			t.Fatalf("GET during the overlap: %+v", shown)
		}

		during := deliver("test.overlap")
		if !during.standardOld || !during.standardNew || !during.seedOld || !during.seedNew || during.standardEntries != 2 || during.previousHeader == "" {
			t.Fatalf("during the overlap: %+v", during)
		}
		library.WaitReceived(t, 1, 20*time.Second)

		// A day and a minute later the old secret no longer signs.
		clock.Step(24*time.Hour + time.Minute)
		shown = herald.Webhook{}
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID, nil, &shown)
		if shown.PreviousSecretExpiresAt != nil || shown.SecretRotatedAt == nil {
			t.Fatalf("GET after the overlap: %+v", shown)
		}
		after := deliver("test.after")
		if after.standardOld || !after.standardNew || after.seedOld || !after.seedNew || after.standardEntries != 1 || after.previousHeader != "" {
			t.Fatalf("after the overlap: %+v", after)
		}

		// A rotation without a body generates the secret, with 24h of grace.
		var fresh herald.Webhook
		ts.must(200, "POST", "/v1/webhooks/"+wh.ID+"/secret/rotate", nil, &fresh)
		if !strings.HasPrefix(fresh.Secret, herald.SecretPrefix) || fresh.Secret == newSecret || fresh.PreviousSecretExpiresAt == nil ||
			fresh.PreviousSecretExpiresAt.Sub(clock.Now().Add(24*time.Hour)).Abs() > time.Minute {
			t.Fatalf("default rotation: %+v", fresh)
		}
	})
}

// TestRotateSecretCLI rotates a secret with herald webhooks rotate-secret.
func TestRotateSecretCLI(t *testing.T) {
	ts := startServer(t)
	wh := ts.createWebhook(map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"*"}})
	out, err := ts.cli("-o", "json", "webhooks", "rotate-secret", wh.ID, "--grace", "2d")
	if err != nil {
		t.Fatalf("rotate-secret: %v\n%s", err, out)
	}
	got := decodeAs[herald.Webhook](t, out)
	if got.Secret == "" || got.Secret == wh.Secret || got.PreviousSecretExpiresAt == nil ||
		got.PreviousSecretExpiresAt.Sub(time.Now().Add(48*time.Hour)).Abs() > time.Minute {
		t.Fatalf("rotate-secret answer: %+v", got)
	}
	other := ts.createWebhook(map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"*"}})
	out, err = ts.cli("webhooks", "rotate-secret", other.ID, "--grace", "0")
	if err != nil || !strings.Contains(out, "New signing secret") || !strings.Contains(out, "The old secret no longer signs") {
		t.Fatalf("rotate-secret --grace 0: %v\n%s", err, out)
	}
	if out, err := ts.cli("webhooks", "rotate-secret", wh.ID, "--grace", "soon"); err == nil || !strings.Contains(err.Error(), "--grace") {
		t.Fatalf("bad --grace: %v\n%s", err, out)
	}
	out, err = ts.cli("webhooks", "get", wh.ID)
	if err != nil || !strings.Contains(out, "Secret rotated") {
		t.Fatalf("get: %v\n%s", err, out)
	}
}

// TestRotateSecretSDK rotates a secret with the Go SDK.
func TestRotateSecretSDK(t *testing.T) {
	ts := startServer(t)
	c := client.New(ts.URL(), ts.key)
	ctx := context.Background()
	wh, err := c.Webhooks.Create(ctx, herald.WebhookInput{URL: client.Ptr("http://127.0.0.1:9/hook"), Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Webhooks.RotateSecret(ctx, wh.ID, herald.RotateSecretInput{Secret: client.Ptr("sdk-secret-123"), GracePeriod: client.Ptr("90m")})
	if err != nil || got.Secret != "sdk-secret-123" || got.PreviousSecretExpiresAt == nil ||
		got.PreviousSecretExpiresAt.Sub(time.Now().Add(90*time.Minute)).Abs() > time.Minute {
		t.Fatalf("rotate: %+v %v", got, err)
	}
	if _, err := c.Webhooks.RotateSecret(ctx, wh.ID, herald.RotateSecretInput{Secret: client.Ptr("short")}); !client.IsInvalid(err) || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("short secret: %v", err)
	}
	got, err = c.Webhooks.RotateSecret(ctx, wh.ID, herald.RotateSecretInput{})
	if err != nil || !strings.HasPrefix(got.Secret, herald.SecretPrefix) {
		t.Fatalf("generated: %+v %v", got, err)
	}
	shown, err := c.Webhooks.Get(ctx, wh.ID)
	if err != nil || shown.Secret != "" || shown.SecretRotatedAt == nil || shown.PreviousSecretExpiresAt == nil {
		t.Fatalf("get: %+v %v", shown, err)
	}
}
