package herald

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRotatedSecrets(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var prev []PreviousSecret
	for i := range 7 {
		prev = RotatedSecrets(prev, fmt.Sprintf("s%d", i), time.Hour, now.Add(time.Duration(i)*time.Minute))
	}
	if len(prev) != MaxPreviousSecrets || prev[0].Secret != "s2" || prev[4].Secret != "s6" {
		t.Fatalf("capped: %+v", prev)
	}
	// Expired ones go; a grace of 0 keeps nothing of the old secret.
	prev = RotatedSecrets(prev, "s7", 0, now.Add(time.Hour+4*time.Minute))
	if len(prev) != 2 || prev[0].Secret != "s5" || prev[1].Secret != "s6" {
		t.Fatalf("pruned: %+v", prev)
	}
	w := &Webhook{Secret: "cur", PreviousSecrets: prev}
	if got := w.ValidPreviousSecrets(now.Add(time.Hour + 4*time.Minute + 30*time.Second)); len(got) != 2 || got[0] != "s6" {
		t.Fatalf("valid: %v", got)
	}
	w.ShowSecrets(now.Add(time.Hour+4*time.Minute+30*time.Second), false)
	if w.Secret != "" || w.PreviousSecretExpiresAt == nil || !w.PreviousSecretExpiresAt.Equal(now.Add(time.Hour+6*time.Minute)) {
		t.Fatalf("shown: %+v", w)
	}
	w.ShowSecrets(now.Add(2*time.Hour), false)
	if w.PreviousSecretExpiresAt != nil {
		t.Fatalf("shown after expiry: %+v", w)
	}
}

func TestRotateSecretInput(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		in    RotateSecretInput
		grace time.Duration
		err   string
	}{
		{RotateSecretInput{}, DefaultSecretGrace, ""},
		{RotateSecretInput{GracePeriod: str("7d")}, MaxSecretGrace, ""},
		{RotateSecretInput{GracePeriod: str("0")}, 0, ""},
		{RotateSecretInput{GracePeriod: str("90m"), Secret: str("my-secret-1")}, 90 * time.Minute, ""},
		{RotateSecretInput{GracePeriod: str("169h")}, 0, "grace_period"},
		{RotateSecretInput{GracePeriod: str("-1s")}, 0, "grace_period"},
		{RotateSecretInput{GracePeriod: str("1x")}, 0, "grace_period"},
		{RotateSecretInput{Secret: str("short")}, 0, "secret"},
	} {
		secret, grace, err := c.in.Resolve()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "message="+c.err+":") {
				t.Errorf("%+v: %v, want an error on %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil || grace != c.grace || secret == "" || (c.in.Secret != nil && secret != *c.in.Secret) {
			t.Errorf("%+v: %q %s %v", c.in, secret, grace, err)
		}
	}
}

// TestPreviousSignatureHeaderReserved: a custom header may not take the
// name of the signature header's -Previous twin.
func TestPreviousSignatureHeaderReserved(t *testing.T) {
	w := NewWebhookDefaults()
	w.URL, w.Events, w.Secret = "https://example.com/hook", []string{"*"}, "secret-123"
	w.Headers = map[string]string{"x-webhook-signature-previous": "x"}
	if err := w.Validate(URLPolicy{}); err == nil || !strings.Contains(err.Error(), "headers") {
		t.Fatalf("default header: %v", err)
	}
	w.SignatureHeader, w.Headers = "X-Sig", map[string]string{"X-Sig-Previous": "x"}
	if err := w.Validate(URLPolicy{}); err == nil {
		t.Fatal("X-Sig-Previous accepted")
	}
	w.Headers = map[string]string{"X-Webhook-Signature-Previous": "x"}
	if err := w.Validate(URLPolicy{}); err != nil {
		t.Fatalf("another signature header frees the default's twin: %v", err)
	}
}
