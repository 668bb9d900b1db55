package herald

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Secret rotation limits.
const (
	// MaxPreviousSecrets is how many old secrets a webhook keeps signing
	// with; a rotation beyond it ends the oldest overlap first.
	MaxPreviousSecrets = 5
	// DefaultSecretGrace is how long an old secret keeps signing after a
	// rotation that does not say: 24 hours.
	DefaultSecretGrace = 24 * time.Hour
	// MaxSecretGrace is the longest grace period: 7 days.
	MaxSecretGrace = 7 * 24 * time.Hour
	// PreviousSignatureSuffix is appended to a webhook's signature header
	// to name the header that carries the old secrets' signatures during
	// a grace period ("X-Webhook-Signature-Previous").
	PreviousSignatureSuffix = "-Previous"
)

// PreviousSecret is a secret a rotation replaced; it signs deliveries
// beside the current one until ExpiresAt.
type PreviousSecret struct {
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RotateSecretParams are the arguments of RotateWebhookSecret.
type RotateSecretParams struct {
	// Ref names the webhook, within its tenancy.
	Ref Ref
	// Secret is the new secret, already validated (ValidateSecret).
	Secret string
	// Grace is how long the old secret keeps signing: 0 ends it at once.
	Grace time.Duration
	// Now is the time of the rotation.
	Now time.Time
}

// RotateSecretInput is the body of POST /v1/webhooks/{id}/secret/rotate.
type RotateSecretInput struct {
	// Secret is the new secret; one is generated (GenerateSecret) when it
	// is missing or empty.
	Secret *string `json:"secret,omitempty"`
	// GracePeriod is how long the old secret stays valid, such as "24h",
	// "90m" or "7d", from 0 to MaxSecretGrace; DefaultSecretGrace when
	// missing.
	GracePeriod *string `json:"grace_period,omitempty"`
}

// Resolve returns the new secret and the grace period of in, generating
// the secret and defaulting the grace, or an EINVALID error naming the
// bad field.
func (in *RotateSecretInput) Resolve() (secret string, grace time.Duration, err error) {
	grace = DefaultSecretGrace
	if in.GracePeriod != nil {
		if grace, err = ParseLongDuration(*in.GracePeriod); err != nil {
			return "", 0, Errorf(EINVALID, "grace_period: %s", err)
		}
	}
	if grace < 0 || grace > MaxSecretGrace {
		return "", 0, Errorf(EINVALID, "grace_period: must be from 0 to 7d, got %s", FormatDuration(grace))
	}
	if in.Secret == nil || *in.Secret == "" {
		return GenerateSecret(), grace, nil
	}
	if err := ValidateSecret(*in.Secret); err != nil {
		return "", 0, err
	}
	return *in.Secret, grace, nil
}

// ParseLongDuration reads a duration as time.ParseDuration does ("90m",
// "24h") or as a whole number of days ("7d").
func ParseLongDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%q is not a duration such as \"24h\" or \"7d\"", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"24h\" or \"7d\"", s)
	}
	return d, nil
}

// RotatedSecrets returns the old secrets a rotation at now with grace
// leaves: prev without those expired at now, then old when grace is
// positive, keeping the newest MaxPreviousSecrets. Stores call it inside
// their rotation transaction.
func RotatedSecrets(prev []PreviousSecret, old string, grace time.Duration, now time.Time) []PreviousSecret {
	out := make([]PreviousSecret, 0, len(prev)+1)
	for _, p := range prev {
		if p.ExpiresAt.After(now) {
			out = append(out, p)
		}
	}
	if grace > 0 && old != "" {
		out = append(out, PreviousSecret{Secret: old, ExpiresAt: now.Add(grace).UTC()})
	}
	if len(out) > MaxPreviousSecrets {
		out = out[len(out)-MaxPreviousSecrets:]
	}
	return out
}

// ValidPreviousSecrets returns the old secrets that still sign at now,
// newest first.
func (w *Webhook) ValidPreviousSecrets(now time.Time) []string {
	var out []string
	for i := len(w.PreviousSecrets) - 1; i >= 0; i-- {
		if p := w.PreviousSecrets[i]; p.ExpiresAt.After(now) {
			out = append(out, p.Secret)
		}
	}
	return out
}

// ShowSecrets prepares w for an API answer at now: it sets
// PreviousSecretExpiresAt to the latest expiry of an old secret still
// valid (nil when none is), and clears Secret unless keepSecret.
func (w *Webhook) ShowSecrets(now time.Time, keepSecret bool) {
	w.PreviousSecretExpiresAt = nil
	for _, p := range w.PreviousSecrets {
		if p.ExpiresAt.After(now) && (w.PreviousSecretExpiresAt == nil || p.ExpiresAt.After(*w.PreviousSecretExpiresAt)) {
			t := p.ExpiresAt
			w.PreviousSecretExpiresAt = &t
		}
	}
	if !keepSecret {
		w.Secret = ""
	}
}
