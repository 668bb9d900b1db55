package herald

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Named inbound webhook defaults and limits.
const (
	// ProviderGeneric is the default provider of a named inbound webhook:
	// any JSON payload, authenticated by the webhook's secret.
	ProviderGeneric = "generic"
	// ProviderGitHub verifies GitHub's X-Hub-Signature-256.
	ProviderGitHub = "github"
	// ProviderSlack verifies Slack's X-Slack-Signature (events, slash
	// commands, interactive components).
	ProviderSlack = "slack"
	// ProviderDiscord verifies Discord's Ed25519 interaction signatures;
	// the secret is the application's hex public key.
	ProviderDiscord = "discord"
	// ProviderTelegram checks Telegram's X-Telegram-Bot-Api-Secret-Token;
	// the secret is that token.
	ProviderTelegram = "telegram"
	// ProviderStripe verifies Stripe's Stripe-Signature.
	ProviderStripe = "stripe"
	// ProviderStandard verifies Standard Webhooks' webhook-signature
	// (Svix, Herald itself).
	ProviderStandard = "standard"
	// MaxBotTokenLen bounds an inbound webhook's bot_token: 512 bytes.
	MaxBotTokenLen = 512
	// MaxInboundAllowedIPs is the most allowed_ips entries a webhook has.
	MaxInboundAllowedIPs = 100
	// MaxInboundRateRequests bounds rate_limit.requests.
	MaxInboundRateRequests = 1_000_000
	// MaxInboundRatePer bounds rate_limit.per: 24h.
	MaxInboundRatePer = 24 * time.Hour
	// InboundLogBodyBytes is how much of a request body the inbound log
	// keeps: 64 KiB.
	InboundLogBodyBytes = 64 << 10
	// InboundClaimTTL is how long a delivery id (X-Request-Id, webhook-id
	// or idempotency_key) is remembered to refuse duplicates: 24h.
	InboundClaimTTL = 24 * time.Hour
	// DefaultInboundLogRetention is how long the inbound request log is
	// kept (--inbound-log-retention): 7 days.
	DefaultInboundLogRetention = 7 * 24 * time.Hour
	// DefaultInboundLogMaxRows is how many requests the inbound log keeps
	// at most (--inbound-log-max-rows): 100,000; the oldest go first.
	DefaultInboundLogMaxRows = 100_000
)

// inboundNameRe is the syntax of inbound webhook names.
var inboundNameRe = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// telegramTokenRe is the syntax of a Telegram secret_token.
var telegramTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// discordKeyRe is the syntax of a Discord application's public key: 32
// bytes of hex.
var discordKeyRe = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// InboundProviders are the providers of named inbound webhooks.
var InboundProviders = []string{ProviderGeneric, ProviderGitHub, ProviderSlack, ProviderDiscord, ProviderTelegram, ProviderStripe, ProviderStandard}

// DefaultInboundProvider is the provider a webhook called name takes when
// none is set: the platform of that name for github, slack, discord and
// telegram, else generic.
func DefaultInboundProvider(name string) string {
	switch name {
	case ProviderGitHub, ProviderSlack, ProviderDiscord, ProviderTelegram:
		return name
	}
	return ProviderGeneric
}

// InboundWebhookInput is the body of POST /api/webhooks and PUT
// /api/webhooks/{name}. On create, unset fields take their defaults
// (enabled true, provider "generic", response_mode "sync", a generated
// whsec_ secret). PUT replaces every setting with the body's, defaults
// for those left out, except the secret, which is kept when left out.
type InboundWebhookInput struct {
	// TenantID creates the webhook for a tenant (admin keys); an update
	// cannot change it.
	TenantID *TenantID `json:"tenant_id,omitempty"`
	// Name is [a-z0-9_-]{1,64}; required on create, and on PUT, when set,
	// it must be the name in the path.
	Name *string `json:"name,omitempty"`
	// Agent is the agent that receives the messages (required).
	Agent *string `json:"agent,omitempty"`
	// Secret authenticates senders (8 to 256 bytes): for discord the
	// application's public key (64 hex digits, required), for telegram
	// the secret_token (1 to 256 of A-Za-z0-9_-). Default on create: a
	// generated whsec_ secret (for telegram 64 hex digits), returned in
	// the create answer only.
	Secret *string `json:"secret,omitempty"`
	// Description is free text (at most 2000 bytes). Default "".
	Description *string `json:"description,omitempty"`
	// IsActive accepts requests. Default true.
	IsActive *bool `json:"is_active,omitempty"`
	// Enabled is an alias of IsActive (see ActiveAlias).
	Enabled *bool `json:"enabled,omitempty"`
	// Provider is how requests are verified and decoded: "generic", or a
	// platform: "github", "slack", "discord", "telegram", "stripe" or
	// "standard". Default: the platform for a webhook named github, slack,
	// discord or telegram, else "generic".
	Provider *string `json:"provider,omitempty"`
	// Transform turns a payload into a message and context. Default: the
	// payload's message field, else the payload as JSON, and no context.
	Transform *Transform `json:"transform,omitempty"`
	// Filters decide which requests reach the agent. Default: all.
	Filters *Filters `json:"filters,omitempty"`
	// ResponseMode is "sync" (the default) or "async".
	ResponseMode *string `json:"response_mode,omitempty"`
	// AllowedIPs are IPs or CIDRs the requests may come from. Default:
	// any (the server-wide --allowed-ips still applies).
	AllowedIPs *[]string `json:"allowed_ips,omitempty"`
	// RateLimit is a token bucket per webhook and node: requests per per.
	// Default none.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// BotToken is the platform bot token replies are sent with (at most
	// 512 bytes): Slack's chat.postMessage for events, Telegram's
	// sendMessage. Write-only, never returned; on PUT it is kept when
	// left out, and "" removes it. Default "": no such replies.
	BotToken *string `json:"bot_token,omitempty"`
}

// NewInboundWebhook returns a webhook with the defaults of
// InboundWebhookInput: enabled, provider generic, response_mode sync.
func NewInboundWebhook() *InboundWebhook {
	return &InboundWebhook{Enabled: true, Provider: ProviderGeneric, ResponseMode: ResponseSync}
}

// Apply copies the set fields of in onto w.
func (in InboundWebhookInput) Apply(w *InboundWebhook) {
	if in.Name != nil {
		w.Name = *in.Name
	}
	if in.Agent != nil {
		w.Agent = strings.TrimSpace(*in.Agent)
	}
	if in.Secret != nil {
		w.Secret = *in.Secret
	}
	if in.Description != nil {
		w.Description = *in.Description
	}
	if on, _ := ActiveAlias(in.IsActive, in.Enabled); on != nil {
		w.Enabled = *on
	}
	if in.Provider != nil {
		w.Provider = *in.Provider
	}
	if in.Transform != nil {
		w.Transform = *in.Transform
	}
	if in.Filters != nil {
		w.Filters = *in.Filters
	}
	if in.ResponseMode != nil {
		w.ResponseMode = *in.ResponseMode
	}
	if in.AllowedIPs != nil {
		w.AllowedIPs = *in.AllowedIPs
	}
	if in.RateLimit != nil {
		rl := *in.RateLimit
		w.RateLimit = &rl
	}
	if in.BotToken != nil {
		w.BotToken = *in.BotToken
	}
}

// inboundWebhookFields is InboundWebhook without its JSON methods.
type inboundWebhookFields InboundWebhook

// MarshalJSON writes the webhook's fields with is_active, the word for being
// on that webhooks use too, next to enabled, kept as its alias.
func (w InboundWebhook) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		IsActive bool `json:"is_active"`
		inboundWebhookFields
	}{w.Enabled, inboundWebhookFields(w)})
}

// UnmarshalJSON reads what MarshalJSON writes; is_active, when present,
// decides over enabled.
func (w *InboundWebhook) UnmarshalJSON(b []byte) error {
	v := struct {
		IsActive *bool `json:"is_active"`
		inboundWebhookFields
	}{inboundWebhookFields: inboundWebhookFields(*w)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = InboundWebhook(v.inboundWebhookFields)
	if v.IsActive != nil {
		w.Enabled = *v.IsActive
	}
	return nil
}

// ValidInboundName reports whether name is a valid inbound webhook name.
func ValidInboundName(name string) bool { return inboundNameRe.MatchString(name) }

// ReservedInboundName reports whether name is a built-in endpoint under
// /api/webhooks/ (seed 002's generic webhook), which named webhooks cannot
// take. The platform paths (/api/webhooks/github, slack, discord,
// telegram) are named webhooks of those names.
func ReservedInboundName(name string) bool { return name == "generic" }

// SetDefaultSecret gives a webhook created without a secret its default:
// a generated whsec_ secret, for telegram a secret_token of 64 hex digits.
// A discord webhook has no default (its secret is the application's
// public key): EINVALID naming secret.
func (w *InboundWebhook) SetDefaultSecret() error {
	if w.Secret != "" {
		return nil
	}
	switch w.Provider {
	case ProviderDiscord:
		return Errorf(EINVALID, "secret: is required for provider discord: the application's public key (64 hex digits)")
	case ProviderTelegram:
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("herald: crypto/rand failed: " + err.Error())
		}
		w.Secret = hex.EncodeToString(b[:])
	default:
		w.Secret = GenerateSecret()
	}
	return nil
}

// Validate checks every field but transform and filters (which package
// transform compiles) and names the first bad one.
func (w *InboundWebhook) Validate() error {
	if !ValidInboundName(w.Name) {
		return Errorf(EINVALID, "name: must be 1 to 64 characters of a-z, 0-9, _ and -, got %q", w.Name)
	}
	if ReservedInboundName(w.Name) {
		return Errorf(EINVALID, "name: %q is a built-in endpoint (/api/webhooks/%s); choose another name", w.Name, w.Name)
	}
	if err := ValidateNames("agent", w.Agent, "description", w.Description, "secret", w.Secret, "bot_token", w.BotToken); err != nil {
		return err
	}
	if w.Agent == "" {
		return Errorf(EINVALID, "agent: is required")
	}
	if len(w.Agent) > 200 {
		return Errorf(EINVALID, "agent: at most 200 bytes")
	}
	if w.Provider == "" {
		w.Provider = DefaultInboundProvider(w.Name)
	}
	if !slices.Contains(InboundProviders, w.Provider) {
		return Errorf(EINVALID, "provider: must be one of %s, got %q", strings.Join(InboundProviders, ", "), w.Provider)
	}
	switch w.Provider {
	case ProviderDiscord:
		if !discordKeyRe.MatchString(w.Secret) {
			return Errorf(EINVALID, "secret: for provider discord, the application's public key as 64 hex digits")
		}
	case ProviderTelegram:
		if !telegramTokenRe.MatchString(w.Secret) {
			return Errorf(EINVALID, "secret: for provider telegram, 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
		}
	default:
		if n := len(w.Secret); n < MinSecretLen || n > MaxSecretLen {
			return Errorf(EINVALID, "secret: must be %d to %d bytes, got %d", MinSecretLen, MaxSecretLen, n)
		}
	}
	if len(w.BotToken) > MaxBotTokenLen {
		return Errorf(EINVALID, "bot_token: at most %d bytes", MaxBotTokenLen)
	}
	if strings.ContainsAny(w.BotToken, " \t\r\n/?#") {
		return Errorf(EINVALID, "bot_token: must not contain spaces, /, ? or #")
	}
	if len(w.Description) > MaxDescriptionLen {
		return Errorf(EINVALID, "description: at most %d bytes", MaxDescriptionLen)
	}
	if w.ResponseMode == "" {
		w.ResponseMode = ResponseSync
	}
	if w.ResponseMode != ResponseSync && w.ResponseMode != ResponseAsync {
		return Errorf(EINVALID, "response_mode: must be sync or async, got %q", w.ResponseMode)
	}
	if len(w.AllowedIPs) > MaxInboundAllowedIPs {
		return Errorf(EINVALID, "allowed_ips: at most %d entries", MaxInboundAllowedIPs)
	}
	for i, s := range w.AllowedIPs {
		p, err := ParseIPPrefix(s)
		if err != nil {
			return Errorf(EINVALID, "allowed_ips[%d]: %s", i, err)
		}
		w.AllowedIPs[i] = p.String()
	}
	if rl := w.RateLimit; rl != nil {
		if rl.Requests <= 0 || rl.Requests > MaxInboundRateRequests {
			return Errorf(EINVALID, "rate_limit.requests: must be 1 to %d, got %d", MaxInboundRateRequests, rl.Requests)
		}
		if d := time.Duration(rl.Per); d <= 0 || d > MaxInboundRatePer {
			return Errorf(EINVALID, "rate_limit.per: must be more than 0 and at most 24h, got %s", d)
		}
	}
	return nil
}

// ParseIPPrefix parses an IP ("10.0.0.1", "::1") as a one-address prefix,
// or a CIDR ("192.168.1.0/24"), masked.
func ParseIPPrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ParseIPPrefixes parses a comma-separated list of IPs and CIDRs, such as
// "192.168.1.0/24,10.0.0.1" (seed 002's allowlist); "" is none.
func ParseIPPrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		p, err := ParseIPPrefix(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
