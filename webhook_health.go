package herald

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Why a webhook was turned off (Webhook.DisabledReason).
const (
	// DisabledFailing: every attempt failed for the disable-after span,
	// with at least MinFailedDeliveriesToDisable failed deliveries in it.
	DisabledFailing = "failing"
	// DisabledGone: the endpoint answered 410 Gone.
	DisabledGone = "gone"
	// DisabledManual: a user turned it off (is_active false).
	DisabledManual = "manual"
)

// Automatic disabling.
const (
	// DefaultDisableAfter is how long every attempt of a webhook must
	// have failed before it is turned off (--disable-after): 5 days.
	DefaultDisableAfter = 5 * 24 * time.Hour
	// MinFailedDeliveriesToDisable is how many deliveries must have
	// failed in that span for it to be turned off: 10.
	MinFailedDeliveriesToDisable = 10
	// DisabledErrorMessage is the error_message of a delivery that
	// ended unsent because its webhook was off.
	DisabledErrorMessage = "webhook disabled"
)

// HealthWindows are the spans GET /v1/webhooks/{id}/health reports on.
var HealthWindows = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// HealthWindow counts a webhook's attempts over one span before now.
type HealthWindow struct {
	// Window is the span, such as "1h", "24h" or "7d".
	Window    string `json:"window"`
	Attempts  int    `json:"attempts"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	// SuccessRate is Succeeded / Attempts, from 0 to 1; null without
	// attempts.
	SuccessRate *float64 `json:"success_rate"`
}

// WebhookHealth is what GET /v1/webhooks/{id}/health answers.
type WebhookHealth struct {
	WebhookID string `json:"webhook_id"`
	IsActive  bool   `json:"is_active"`
	// DisabledReason and DisabledAt are the webhook's.
	DisabledReason string     `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	// Windows are the counts over 1h, 24h and 7d.
	Windows []HealthWindow `json:"windows"`
	// LatencyP50MS and LatencyP95MS are the median and 95th percentile
	// of the attempts' durations over 24h, in milliseconds; null without
	// attempts.
	LatencyP50MS *int64 `json:"latency_p50_ms"`
	LatencyP95MS *int64 `json:"latency_p95_ms"`
	// FailingSince is the first failed attempt of the current failing
	// streak (every attempt since has failed); null when the last
	// attempt succeeded or there is none since the webhook was (re)enabled.
	FailingSince *time.Time `json:"failing_since"`
	// FailedDeliveries counts the deliveries with a failed attempt in
	// the streak.
	FailedDeliveries int `json:"failed_deliveries"`
	// DisableAt is when the streak would turn the webhook off, if it goes
	// on and at least MinFailedDeliveriesToDisable deliveries fail by then;
	// null when no streak is under way or automatic disabling is off.
	DisableAt *time.Time `json:"disable_at"`
}

// HealthParams are the arguments of WebhookHealth.
type HealthParams struct {
	// Ref names the webhook, within its tenancy.
	Ref Ref
	// Now ends the windows.
	Now time.Time
	// StreakOnly leaves Windows and the latency out: the failing streak
	// alone, which the delivery worker reads after each failed attempt.
	StreakOnly bool
}

// DisableParams are the arguments of DisableWebhook.
type DisableParams struct {
	// Ref names the webhook, within its tenancy.
	Ref Ref
	// Reason is DisabledFailing, DisabledGone or DisabledManual.
	Reason string
	// Now is when it is turned off.
	Now time.Time
}

// ShouldDisable reports whether a failing streak turns a webhook off at
// now: automatic disabling is on (disableAfter > 0), the streak has
// lasted disableAfter and at least MinFailedDeliveriesToDisable
// deliveries failed in it.
func (h *WebhookHealth) ShouldDisable(disableAfter time.Duration, now time.Time) bool {
	return disableAfter > 0 && h.FailingSince != nil && !now.Before(h.FailingSince.Add(disableAfter)) &&
		h.FailedDeliveries >= MinFailedDeliveriesToDisable
}

// SetDisableAt sets DisableAt for a disable-after span (0: off).
func (h *WebhookHealth) SetDisableAt(disableAfter time.Duration) {
	h.DisableAt = nil
	if disableAfter > 0 && h.FailingSince != nil && h.IsActive {
		t := h.FailingSince.Add(disableAfter)
		h.DisableAt = &t
	}
}

// PercentileRank returns the 0-based rank of the p-th percentile
// (0 < p <= 1) among n sorted values, by the nearest-rank method: the
// median of 4 values is the second, their 95th percentile the fourth.
func PercentileRank(n int, p float64) int {
	rank := int(math.Ceil(float64(n)*p)) - 1
	return max(0, min(rank, n-1))
}

// WindowName writes a health window as "1h", "24h" or "7d".
func WindowName(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return FormatDuration(d)
}

// Operational events: Herald's own events about webhooks, published to
// the platform's webhooks that subscribe to them, never to the webhook
// they are about.
const (
	// EventWebhookDisabled: a webhook was turned off (reason failing,
	// gone or manual).
	EventWebhookDisabled = "webhook.disabled"
	// EventWebhookEnabled: a webhook was turned on again.
	EventWebhookEnabled = "webhook.enabled"
	// EventWebhookFailing: a webhook's failing streak reached half of
	// the disable-after span.
	EventWebhookFailing = "webhook.failing"
)

// WebhookEventParams returns the publish of an operational event of type
// typ about w at now. Its data holds webhook_id, name, url, tenant_id,
// reason and last_error. Its id, typ:<webhook id>:<key>, makes the
// publish idempotent: one event per key (such as the start of a failing
// streak).
func WebhookEventParams(typ string, w *Webhook, reason, lastError, key string, now time.Time) PublishParams {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as JSON.stringify writes it
	_ = enc.Encode(map[string]any{
		"webhook_id": w.ID, "name": w.Name, "url": w.URL, "tenant_id": string(w.TenantID),
		"reason": reason, "last_error": lastError,
	})
	data := bytes.TrimRight(b.Bytes(), "\n")
	return PublishParams{ID: typ + ":" + w.ID + ":" + key, Type: typ, Data: data, ExcludeWebhookID: w.ID, Now: now}
}

// SetActive turns w on or off by hand at now, as PATCH /v1/webhooks/{id}
// and the dashboard do, and returns the parameters of the operational
// event that announces it (nil when IsActive does not change). Off records
// the reason DisabledManual; on clears the reason and starts a fresh
// failing window (EnabledAt).
func (w *Webhook) SetActive(on bool, now time.Time) *PublishParams {
	if w.IsActive == on {
		return nil
	}
	w.IsActive = on
	event, reason := EventWebhookEnabled, ""
	if on {
		w.DisabledReason, w.DisabledAt, w.EnabledAt = "", nil, &now
	} else {
		w.DisabledReason, w.DisabledAt = DisabledManual, &now
		event, reason = EventWebhookDisabled, DisabledManual
	}
	p := WebhookEventParams(event, w, reason, "", strconv.FormatInt(now.UnixMicro(), 10), now)
	return &p
}
