package herald

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Signature formats: how the HMAC-SHA256 of the body is written into the
// webhook's signature header.
const (
	SignatureSHA256Hex = "sha256=hex" // "sha256=<hex>", the default (seed MUTX)
	SignatureHex       = "hex"        // "<hex>" (seeds SwiftClaw and the settings page)
	SignatureBase64    = "base64"     // "<base64>"
)

// Webhook defaults and limits (seed 004's settings page).
const (
	DefaultSignatureHeader = "X-Webhook-Signature"
	DefaultTimeoutSeconds  = 30
	MaxTimeoutSeconds      = 300
	DefaultMaxRetries      = 3
	MaxMaxRetries          = 10
	MaxRetryScheduleLen    = 20
	MaxRetryDelay          = 7 * 24 * time.Hour
	SecretPrefix           = "whsec_"
	MinSecretLen           = 8
	MaxSecretLen           = 256
	MaxWebhookNameLen      = 200
	MaxDescriptionLen      = 2000
	MaxURLLen              = 2048
	MaxPatterns            = 100
	MaxCustomHeaders       = 50
)

// Webhook is an outbound subscription: every event whose type matches one of
// Events (and, when AgentID is set, whose EventAgentID equals it) is POSTed
// to URL, signed with Secret.
type Webhook struct {
	ID string `json:"id"`
	// TenantID owns the row: "" (null in JSON) for the platform's own.
	TenantID TenantID `json:"tenant_id"`
	// AllTenants, on a platform webhook only, makes it a firehose: it
	// receives every tenant's events as well as the platform's, each body
	// carrying tenant_id. False by default.
	AllTenants  bool   `json:"all_tenants"`
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
	// Events are patterns such as "agent.*", "*.failed" or "*".
	Events []string `json:"events"`
	// AgentID, when set, limits the webhook to events whose agent (see
	// EventAgentID: data.agent_id, data.agent or data.agent.id) is it.
	AgentID  string `json:"agent_id,omitempty"`
	IsActive bool   `json:"is_active"`
	// Secret keys the signatures. It is write-only: the API returns it in the
	// create and rotate responses alone.
	Secret string `json:"secret,omitempty"`
	// PreviousSecrets are the secrets earlier rotations replaced, oldest
	// first, at most MaxPreviousSecrets; each still signs until its
	// ExpiresAt (see SigningSecrets). Never shown by the API.
	PreviousSecrets []PreviousSecret `json:"-"`
	// SecretRotatedAt is when the secret was last rotated (nil if never).
	SecretRotatedAt *time.Time `json:"secret_rotated_at"`
	// PreviousSecretExpiresAt is when the last old secret stops signing,
	// while one still does; the API sets it from PreviousSecrets.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`

	Headers         map[string]string `json:"headers"`
	TimeoutSeconds  int               `json:"timeout_seconds"`
	MaxRetries      int               `json:"max_retries"`
	RetrySchedule   Durations         `json:"retry_schedule,omitempty"`
	VerifySSL       bool              `json:"verify_ssl"`
	SignatureHeader string            `json:"signature_header"`
	SignatureFormat string            `json:"signature_format"`
	// RateLimit caps the attempts sent to the webhook across every node;
	// nil (null in JSON), the default, is unlimited.
	RateLimit *RateLimit `json:"rate_limit"`
	// Ordering is how the webhook's deliveries wait for one another:
	// OrderingNone (the default), OrderingFIFO or OrderingKey. A change
	// applies to the events accepted after it.
	Ordering string `json:"ordering"`

	// DisabledReason says why an inactive webhook was turned off:
	// DisabledFailing, DisabledGone or DisabledManual; "" while active.
	DisabledReason string `json:"disabled_reason,omitempty"`
	// DisabledAt is when it was turned off (nil while active).
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// EnabledAt is when it was last turned on again (nil if never): its
	// failing streak counts attempts from then on.
	EnabledAt *time.Time `json:"enabled_at,omitempty"`

	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	LastTriggeredAt *time.Time `json:"last_triggered_at"`
	LastSuccessAt   *time.Time `json:"last_success_at"`
	LastFailureAt   *time.Time `json:"last_failure_at"`
}

// WebhookInput is the body of a create request: every field is optional but
// URL and Events, and missing ones take the defaults of ApplyDefaults.
type WebhookInput struct {
	// TenantID creates the webhook for a tenant (admin keys); it cannot
	// be changed by an update.
	TenantID *TenantID `json:"tenant_id"`
	// AllTenants sets Webhook.AllTenants.
	AllTenants  *bool    `json:"all_tenants"`
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	URL         *string  `json:"url"`
	Events      []string `json:"events"`
	AgentID     *string  `json:"agent_id"`
	IsActive    *bool    `json:"is_active"`
	// Enabled is an alias of IsActive (see ActiveAlias).
	Enabled         *bool              `json:"enabled"`
	Secret          *string            `json:"secret"`
	Headers         *map[string]string `json:"headers"`
	TimeoutSeconds  *int               `json:"timeout_seconds"`
	MaxRetries      *int               `json:"max_retries"`
	RetrySchedule   *Durations         `json:"retry_schedule"`
	VerifySSL       *bool              `json:"verify_ssl"`
	SignatureHeader *string            `json:"signature_header"`
	SignatureFormat *string            `json:"signature_format"`
	// RateLimit sets Webhook.RateLimit when given; null removes the limit.
	RateLimit OptionalRateLimit `json:"rate_limit,omitzero"`
	// Ordering sets Webhook.Ordering.
	Ordering *string `json:"ordering"`
}

// Apply copies the fields set in in onto w. It is how both a create (onto a
// webhook holding the defaults) and a PATCH (onto the stored one) are made.
func (in *WebhookInput) Apply(w *Webhook) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&w.Name, in.Name)
	set(&w.Description, in.Description)
	set(&w.URL, in.URL)
	set(&w.AgentID, in.AgentID)
	set(&w.SignatureHeader, in.SignatureHeader)
	set(&w.SignatureFormat, in.SignatureFormat)
	if in.Events != nil {
		w.Events = append([]string(nil), in.Events...)
	}
	if on, _ := ActiveAlias(in.IsActive, in.Enabled); on != nil {
		w.IsActive = *on
	}
	if in.Secret != nil {
		w.Secret = *in.Secret
	}
	if in.Headers != nil {
		w.Headers = *in.Headers
	}
	if in.TimeoutSeconds != nil {
		w.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.MaxRetries != nil {
		w.MaxRetries = *in.MaxRetries
	}
	if in.RetrySchedule != nil {
		w.RetrySchedule = *in.RetrySchedule
	}
	if in.VerifySSL != nil {
		w.VerifySSL = *in.VerifySSL
	}
	set(&w.Ordering, in.Ordering)
	if in.RateLimit.Set {
		w.RateLimit = in.RateLimit.Limit
	}
}

// NewWebhookDefaults returns a webhook holding every default: active, a
// 30-second timeout, 3 retries, SSL verification, the X-Webhook-Signature
// header in the sha256=hex format, no ordering. The secret is left empty;
// GenerateSecret makes one.
func NewWebhookDefaults() *Webhook {
	return &Webhook{
		IsActive:        true,
		Headers:         map[string]string{},
		TimeoutSeconds:  DefaultTimeoutSeconds,
		MaxRetries:      DefaultMaxRetries,
		VerifySSL:       true,
		SignatureHeader: DefaultSignatureHeader,
		SignatureFormat: SignatureSHA256Hex,
		Ordering:        OrderingNone,
	}
}

// GenerateSecret returns "whsec_" followed by the base64 of 32 random bytes.
func GenerateSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("herald: crypto/rand failed: " + err.Error())
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// URLPolicy says which webhook URLs are allowed. The zero value is the safe
// default: https only.
type URLPolicy struct {
	// AllowHTTP accepts plain http:// URLs (the --allow-http flag).
	AllowHTTP bool
}

// reservedHeaders are the headers a webhook may not set: Herald or the HTTP
// transport sets them. Every header starting with "Webhook-" is reserved too
// (see reservedHeader), as is the webhook's own signature header.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Content-Type": true, "User-Agent": true,
	"X-Webhook-Event": true, "X-Webhook-Delivery": true,
}

// reservedHeader reports whether the canonical header name ck is one Herald
// sets on every delivery.
func reservedHeader(ck string) bool {
	return reservedHeaders[ck] || strings.HasPrefix(ck, "Webhook-")
}

// Validate checks every field of w and returns an EINVALID *Error naming the
// first bad field. The policy decides whether http:// URLs pass.
func (w *Webhook) Validate(policy URLPolicy) error {
	if err := ValidateNames("name", w.Name, "description", w.Description, "agent_id", w.AgentID); err != nil {
		return err
	}
	if len(w.Name) > MaxWebhookNameLen {
		return Errorf(EINVALID, "name: must be at most %d characters", MaxWebhookNameLen)
	}
	if len(w.Description) > MaxDescriptionLen {
		return Errorf(EINVALID, "description: must be at most %d characters", MaxDescriptionLen)
	}
	if err := ValidateWebhookURL(w.URL, policy); err != nil {
		return err
	}
	if len(w.Events) == 0 {
		return Errorf(EINVALID, "events: at least one event pattern is required")
	} else if len(w.Events) > MaxPatterns {
		return Errorf(EINVALID, "events: at most %d patterns", MaxPatterns)
	}
	for _, p := range w.Events {
		if err := ValidatePattern(p); err != nil {
			return Errorf(EINVALID, "events: %s", err)
		}
	}
	if len(w.AgentID) > 200 {
		return Errorf(EINVALID, "agent_id: must be at most 200 characters")
	}
	if err := ValidateSecret(w.Secret); err != nil {
		return err
	}
	if w.TimeoutSeconds < 1 || w.TimeoutSeconds > MaxTimeoutSeconds {
		return Errorf(EINVALID, "timeout_seconds: must be from 1 to %d, got %d", MaxTimeoutSeconds, w.TimeoutSeconds)
	}
	if w.MaxRetries < 0 || w.MaxRetries > MaxMaxRetries {
		return Errorf(EINVALID, "max_retries: must be from 0 to %d, got %d", MaxMaxRetries, w.MaxRetries)
	}
	if err := w.RetrySchedule.Validate(); err != nil {
		return Errorf(EINVALID, "retry_schedule: %s", err)
	}
	if err := ValidateOrdering(w.Ordering); err != nil {
		return err
	}
	if err := ValidateWebhookRateLimit(w.RateLimit); err != nil {
		return err
	}
	switch w.SignatureFormat {
	case SignatureSHA256Hex, SignatureHex, SignatureBase64:
	default:
		return Errorf(EINVALID, "signature_format: must be %q, %q or %q, got %q", SignatureSHA256Hex, SignatureHex, SignatureBase64, w.SignatureFormat)
	}
	if !validHeaderName(w.SignatureHeader) {
		return Errorf(EINVALID, "signature_header: %q is not a valid header name", w.SignatureHeader)
	}
	sigHeader := http.CanonicalHeaderKey(w.SignatureHeader)
	if reservedHeader(sigHeader) {
		return Errorf(EINVALID, "signature_header: %q is reserved", w.SignatureHeader)
	}
	if len(w.Headers) > MaxCustomHeaders {
		return Errorf(EINVALID, "headers: at most %d custom headers", MaxCustomHeaders)
	}
	for _, k := range slices.Sorted(maps.Keys(w.Headers)) {
		v := w.Headers[k]
		if !validHeaderName(k) {
			return Errorf(EINVALID, "headers: %q is not a valid header name", k)
		}
		ck := http.CanonicalHeaderKey(k)
		if reservedHeader(ck) || ck == sigHeader || ck == http.CanonicalHeaderKey(w.SignatureHeader+PreviousSignatureSuffix) {
			return Errorf(EINVALID, "headers: %q is set by Herald and cannot be overridden", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") || len(v) > 4096 {
			return Errorf(EINVALID, "headers: the value of %q must be one line of at most 4096 bytes", k)
		}
	}
	return nil
}

// ValidateWebhookURL checks that u is an absolute http(s) URL with a host,
// and refuses http:// unless the policy allows it.
func ValidateWebhookURL(u string, policy URLPolicy) error {
	if u == "" {
		return Errorf(EINVALID, "url: is required")
	} else if len(u) > MaxURLLen {
		return Errorf(EINVALID, "url: must be at most %d characters", MaxURLLen)
	}
	parsed, err := url.Parse(u)
	if err != nil || !utf8.ValidString(u) {
		return Errorf(EINVALID, "url: %q is not a valid URL", u)
	}
	switch parsed.Scheme {
	case "https":
	case "http":
		if !policy.AllowHTTP {
			return Errorf(EINVALID, "url: plain http is refused; use https (or start the server with --allow-http)")
		}
	default:
		return Errorf(EINVALID, "url: must be an absolute http(s) URL, got %q", u)
	}
	if parsed.Hostname() == "" {
		return Errorf(EINVALID, "url: %q has no host", u)
	}
	if parsed.User != nil {
		return Errorf(EINVALID, "url: credentials in the URL are not allowed; use headers")
	}
	return nil
}

// ValidateSecret checks a signing secret: from MinSecretLen to MaxSecretLen
// printable characters, and for "whsec_" secrets valid base64 after the prefix
// (the Standard Webhooks key).
func ValidateSecret(s string) error {
	if len(s) < MinSecretLen || len(s) > MaxSecretLen {
		return Errorf(EINVALID, "secret: must be from %d to %d characters", MinSecretLen, MaxSecretLen)
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return Errorf(EINVALID, "secret: must be printable ASCII without spaces")
		}
	}
	if rest, ok := strings.CutPrefix(s, SecretPrefix); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err != nil || len(k) == 0 {
			return Errorf(EINVALID, "secret: a %q secret must be followed by base64", SecretPrefix)
		}
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Matches reports whether an event of type eventType whose EventAgentID is
// agentID goes to this webhook: it is active, a pattern matches, and its
// AgentID is empty or equal.
func (w *Webhook) Matches(eventType, agentID string) bool {
	return w.IsActive && MatchAny(w.Events, eventType) && (w.AgentID == "" || w.AgentID == agentID)
}

// ActiveAlias resolves is_active, the word webhooks and inbound webhooks use
// for being on, and its alias enabled, as a request body may give them: the
// one given (nil for neither; is_active when both), and an EINVALID error
// naming both when they are given and differ.
func ActiveAlias(isActive, enabled *bool) (*bool, error) {
	if isActive != nil && enabled != nil && *isActive != *enabled {
		return isActive, Errorf(EINVALID, "is_active: its alias enabled says otherwise; give one of them")
	}
	if isActive != nil {
		return isActive, nil
	}
	return enabled, nil
}

// WebhookFilter selects webhooks in a list: those of one agent when AgentID
// is set. Limit 0 means DefaultLimit.
type WebhookFilter struct {
	Tenancy Tenancy
	AgentID string
	Skip    int
	Limit   int
}

// FormatDuration writes d as time.Duration's String does, without zero
// units at its end: "1h" rather than "1h0m0s", "1h30m", "5m", "1m30s",
// "250ms". time.ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Durations is a list of durations written in JSON as strings such as "1m".
type Durations []time.Duration

// MarshalJSON writes the durations as strings such as "1m" (FormatDuration).
func (d Durations) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", FormatDuration(v))
	}
	b.WriteByte(']')
	return []byte(b.String()), nil
}

// UnmarshalJSON reads strings in time.ParseDuration form ("30s", "1m",
// "1h30m") or numbers of seconds. Its errors are
// *json.UnmarshalTypeError, which encoding/json names the field of.
func (d *Durations) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return valueError(*d, "must be a list of durations such as \"1m\"")
	}
	out := make(Durations, 0, len(raw))
	for _, v := range raw {
		switch v := v.(type) {
		case string:
			dur, err := time.ParseDuration(v)
			if err != nil {
				return valueError(*d, "%q is not a duration such as \"30s\" or \"1m\"", v)
			}
			out = append(out, dur)
		case float64:
			out = append(out, time.Duration(v*float64(time.Second)))
		default:
			return valueError(*d, "must be a list of durations such as \"1m\"")
		}
	}
	*d = out
	return nil
}

// Validate checks that there are at most MaxRetryScheduleLen entries, each
// from 0 to MaxRetryDelay.
func (d Durations) Validate() error {
	if len(d) > MaxRetryScheduleLen {
		return fmt.Errorf("at most %d entries", MaxRetryScheduleLen)
	}
	for _, v := range d {
		if v < 0 || v > MaxRetryDelay {
			return fmt.Errorf("%s is outside 0s to %s", v, MaxRetryDelay)
		}
	}
	return nil
}

// ParseDurations parses a comma-separated list such as "1s,5s,30s".
func ParseDurations(s string) (Durations, error) {
	var out Durations
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as \"30s\"", part)
		}
		out = append(out, d)
	}
	return out, out.Validate()
}

// WebhookStore keeps webhooks.
type WebhookStore interface {
	// CreateWebhook stores a validated webhook for w.TenantID; it sets
	// nothing but ID and the timestamps when they are empty.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns one webhook, with its secret.
	Webhook(ctx context.Context, ref Ref) (*Webhook, error)
	// ListWebhooks returns a page of webhooks, newest first, and the total.
	ListWebhooks(ctx context.Context, f WebhookFilter) ([]*Webhook, int, error)
	// UpdateWebhook replaces the stored fields of w.ID with those of w;
	// the webhook must belong to w.TenantID, which it keeps.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a webhook with its deliveries and attempts.
	DeleteWebhook(ctx context.Context, ref Ref) error
	// RotateWebhookSecret replaces the secret of the webhook p.Ref names,
	// in one transaction: the old one is kept for p.Grace (unless 0), the
	// expired ones are dropped and, beyond MaxPreviousSecrets, the oldest.
	// It returns the webhook as stored, with its new secret.
	RotateWebhookSecret(ctx context.Context, p RotateSecretParams) (*Webhook, error)
	// DisableWebhook turns the active webhook p.Ref names off for
	// p.Reason at p.Now, and reports whether it did: false, with the
	// webhook as stored, when it was off already.
	DisableWebhook(ctx context.Context, p DisableParams) (*Webhook, bool, error)
	// WebhookHealth counts the attempts of the webhook p.Ref names over
	// HealthWindows before p.Now, their latency over 24h, and its current
	// failing streak since it was last enabled; DisableAt is left unset.
	WebhookHealth(ctx context.Context, p HealthParams) (*WebhookHealth, error)
}
