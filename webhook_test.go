package herald_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func validWebhook() *herald.Webhook {
	w := herald.NewWebhookDefaults()
	w.URL = "https://example.com/hook"
	w.Events = []string{"agent.*"}
	w.Secret = herald.GenerateSecret()
	return w
}

func TestWebhookDefaults(t *testing.T) {
	w := herald.NewWebhookDefaults()
	if !w.IsActive || w.TimeoutSeconds != 30 || w.MaxRetries != 3 || !w.VerifySSL ||
		w.SignatureHeader != "X-Webhook-Signature" || w.SignatureFormat != "sha256=hex" {
		t.Fatalf("defaults: %+v", w)
	}
	if s := herald.GenerateSecret(); !strings.HasPrefix(s, "whsec_") || herald.ValidateSecret(s) != nil {
		t.Fatalf("generated secret %q is not valid", s)
	}
}

func TestWebhookValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field  string
		mutate func(w *herald.Webhook)
	}{
		{"url", func(w *herald.Webhook) { w.URL = "" }},
		{"url", func(w *herald.Webhook) { w.URL = "ftp://example.com" }},
		{"url", func(w *herald.Webhook) { w.URL = "http://example.com" }},
		{"url", func(w *herald.Webhook) { w.URL = "https://" }},
		{"events", func(w *herald.Webhook) { w.Events = nil }},
		{"events", func(w *herald.Webhook) { w.Events = []string{"Agent.*"} }},
		{"timeout_seconds", func(w *herald.Webhook) { w.TimeoutSeconds = 0 }},
		{"timeout_seconds", func(w *herald.Webhook) { w.TimeoutSeconds = 301 }},
		{"max_retries", func(w *herald.Webhook) { w.MaxRetries = 11 }},
		{"max_retries", func(w *herald.Webhook) { w.MaxRetries = -1 }},
		{"signature_format", func(w *herald.Webhook) { w.SignatureFormat = "md5" }},
		{"signature_header", func(w *herald.Webhook) { w.SignatureHeader = "bad header" }},
		{"signature_header", func(w *herald.Webhook) { w.SignatureHeader = "webhook-signature" }},
		{"headers", func(w *herald.Webhook) { w.Headers = map[string]string{"Host": "x"} }},
		{"headers", func(w *herald.Webhook) { w.Headers = map[string]string{"content-length": "1"} }},
		{"headers", func(w *herald.Webhook) { w.Headers = map[string]string{"x-webhook-signature": "1"} }},
		{"headers", func(w *herald.Webhook) { w.Headers = map[string]string{"X-Ok": "a\nb"} }},
		{"secret", func(w *herald.Webhook) { w.Secret = "short" }},
		{"secret", func(w *herald.Webhook) { w.Secret = "whsec_!!!notbase64" }},
		{"retry_schedule", func(w *herald.Webhook) { w.RetrySchedule = herald.Durations{-time.Second} }},
	}
	for _, c := range cases {
		w := validWebhook()
		c.mutate(w)
		err := w.Validate(herald.URLPolicy{})
		if herald.ErrorCode(err) != herald.EINVALID || !strings.HasPrefix(herald.ErrorMessage(err), c.field+":") {
			t.Errorf("%s: got %v, want an invalid error naming the field", c.field, err)
		}
	}
	w := validWebhook()
	w.URL = "http://127.0.0.1:9/x"
	if err := w.Validate(herald.URLPolicy{AllowHTTP: true}); err != nil {
		t.Errorf("http with AllowHTTP: %v", err)
	}
}

func TestWebhookRefusesHeadersHeraldSets(t *testing.T) {
	for _, h := range []string{"Content-Type", "content-type", "USER-AGENT", "webhook-id", "Webhook-Anything",
		"X-Webhook-Event", "x-webhook-delivery", "X-Webhook-Signature", "x-sig"} {
		w := validWebhook()
		if h == "x-sig" { // the webhook's own signature header
			w.SignatureHeader = "X-Sig"
		}
		w.Headers = map[string]string{"X-Fine": "1", h: "mine"}
		err := w.Validate(herald.URLPolicy{})
		want := fmt.Sprintf("headers: %q is set by Herald and cannot be overridden", h)
		if herald.ErrorCode(err) != herald.EINVALID || herald.ErrorMessage(err) != want {
			t.Errorf("%s: got %v, want %q", h, err, want)
		}
	}
	w := validWebhook()
	w.SignatureHeader = "X-Sig"
	w.Headers = map[string]string{"X-Tenant": "a", "Authorization": "Bearer x", "X-Webhook-Signature": "free with X-Sig"}
	if err := w.Validate(herald.URLPolicy{}); err != nil {
		t.Errorf("custom headers: %v", err)
	}
	for _, h := range []string{"Content-Type", "webhook-x"} {
		w := validWebhook()
		w.SignatureHeader = h
		if err := w.Validate(herald.URLPolicy{}); herald.ErrorCode(err) != herald.EINVALID || !strings.HasPrefix(herald.ErrorMessage(err), "signature_header:") {
			t.Errorf("signature_header %s: %v", h, err)
		}
	}
}

func TestWebhookMatches(t *testing.T) {
	w := validWebhook()
	w.AgentID = "a1"
	if !w.Matches("agent.status", "a1") || w.Matches("agent.status", "a2") || w.Matches("deployment.failed", "a1") {
		t.Fatal("agent filter or pattern not applied")
	}
	w.IsActive = false
	if w.Matches("agent.status", "a1") {
		t.Fatal("inactive webhook matched")
	}
}

func TestDurationsJSON(t *testing.T) {
	var d herald.Durations
	if err := json.Unmarshal([]byte(`["1m", "30s", 2]`), &d); err != nil {
		t.Fatal(err)
	}
	if len(d) != 3 || d[0] != time.Minute || d[2] != 2*time.Second {
		t.Fatalf("got %v", d)
	}
	b, _ := json.Marshal(d)
	if string(b) != `["1m","30s","2s"]` {
		t.Fatalf("marshal: %s", b)
	}
	if err := json.Unmarshal([]byte(`["soon"]`), &d); err == nil {
		t.Fatal("want an error")
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	a := herald.NewID("wh_", time.UnixMilli(1000))
	b := herald.NewID("wh_", time.UnixMilli(2000))
	if !(a < b) || len(a) != 3+26 {
		t.Fatalf("%s !< %s", a, b)
	}
}
