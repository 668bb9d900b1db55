package herald

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Portal capabilities: what a portal link lets its visitor do within its
// tenant. CapabilityView is always granted.
const (
	// CapabilityView shows the tenant's webhooks and deliveries.
	CapabilityView = "view"
	// CapabilityManageWebhooks creates, edits, enables, disables, deletes
	// and tests webhooks, and changes alert rules in the dashboard.
	CapabilityManageWebhooks = "manage_webhooks"
	// CapabilityRetry retries deliveries.
	CapabilityRetry = "retry"
	// CapabilityViewSecrets shows a created webhook's signing secret.
	CapabilityViewSecrets = "view_secrets"
	// CapabilityManageInbound manages inbound webhooks.
	CapabilityManageInbound = "manage_inbound"
)

// Capabilities lists every portal capability.
var Capabilities = []string{CapabilityView, CapabilityManageWebhooks, CapabilityRetry, CapabilityViewSecrets, CapabilityManageInbound}

// Portal link lifetimes.
const (
	// DefaultPortalExpiresIn is a portal link's lifetime when none is asked.
	DefaultPortalExpiresIn = time.Hour
	// MinPortalExpiresIn and MaxPortalExpiresIn bound expires_in.
	MinPortalExpiresIn = 5 * time.Minute
	MaxPortalExpiresIn = 7 * 24 * time.Hour
	// MaxPortalEventTypes bounds event_types.
	MaxPortalEventTypes = 100
)

// PortalInput is the body of POST /v1/tenants/{id}/portal. Every field is
// optional.
type PortalInput struct {
	// ExpiresIn is the link's lifetime, a Go duration or a number of
	// days such as "7d", from 5m to 7d; default 1h.
	ExpiresIn string `json:"expires_in,omitempty"`
	// Capabilities are granted on top of view, which is always granted.
	Capabilities []string `json:"capabilities,omitempty"`
	// AgentID confines the portal to the webhooks of one agent; "" for
	// all of the tenant's.
	AgentID string `json:"agent_id,omitempty"`
	// EventTypes, when set, are the only event types the picker offers.
	EventTypes []string `json:"event_types,omitempty"`
}

// Lifetime parses ExpiresIn, DefaultPortalExpiresIn when empty, and checks
// its bounds.
func (in *PortalInput) Lifetime() (time.Duration, error) {
	if in.ExpiresIn == "" {
		return DefaultPortalExpiresIn, nil
	}
	d, err := time.ParseDuration(in.ExpiresIn)
	if days, ok := strings.CutSuffix(in.ExpiresIn, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	}
	if err != nil {
		return 0, Errorf(EINVALID, "expires_in: %q is not a duration such as \"30m\", \"12h\" or \"7d\"", in.ExpiresIn)
	}
	if d < MinPortalExpiresIn || d > MaxPortalExpiresIn {
		return 0, Errorf(EINVALID, "expires_in: must be from 5m to 7d, got %s", in.ExpiresIn)
	}
	return d, nil
}

// Normalize checks every field and returns the granted capabilities,
// view first and each once.
func (in *PortalInput) Normalize() ([]string, error) {
	if _, err := in.Lifetime(); err != nil {
		return nil, err
	}
	caps := []string{CapabilityView}
	for _, c := range in.Capabilities {
		if !slices.Contains(Capabilities, c) {
			return nil, Errorf(EINVALID, "capabilities: unknown capability %q; known: view, manage_webhooks, retry, view_secrets, manage_inbound", c)
		}
		if !slices.Contains(caps, c) {
			caps = append(caps, c)
		}
	}
	if err := ValidateNames("agent_id", in.AgentID); err != nil {
		return nil, err
	}
	if len(in.EventTypes) > MaxPortalEventTypes {
		return nil, Errorf(EINVALID, "event_types: at most %d", MaxPortalEventTypes)
	}
	for _, t := range in.EventTypes {
		if err := ValidatePattern(t); err != nil {
			return nil, Errorf(EINVALID, "event_types: %s", err.Error())
		}
	}
	return caps, nil
}

// PortalLink is the answer of POST /v1/tenants/{id}/portal: the URL that
// opens the portal, the signed token it carries, and when both expire.
type PortalLink struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}
