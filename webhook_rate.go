package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate limit bounds (see RateLimit.Validate).
const (
	MaxRateLimitRequests = 100000
	MinRateLimitPer      = time.Second
	MaxRateLimitPer      = time.Hour
)

// ValidateWebhookRateLimit checks a webhook's rate limit: nil (no limit),
// or Requests from 1 to MaxRateLimitRequests per a Per from
// MinRateLimitPer (1s) to MaxRateLimitPer (1h). Its EINVALID *Error names
// rate_limit.requests or rate_limit.per. A limited webhook's attempts are
// spaced evenly, one every RateInterval, so that no window of Per holds
// more than Requests of them, across every node.
func ValidateWebhookRateLimit(r *RateLimit) error {
	if r == nil {
		return nil
	}
	if r.Requests < 1 || r.Requests > MaxRateLimitRequests {
		return Errorf(EINVALID, "rate_limit.requests: must be from 1 to %d, got %d", MaxRateLimitRequests, r.Requests)
	}
	if per := time.Duration(r.Per); per < MinRateLimitPer || per > MaxRateLimitPer {
		return Errorf(EINVALID, "rate_limit.per: must be from %s to %s, got %s", FormatDuration(MinRateLimitPer),
			FormatDuration(MaxRateLimitPer), r.Per)
	}
	return nil
}

// RateInterval is the spacing of a webhook's attempts under r: Per /
// Requests, at least one microsecond (the stores' precision).
func RateInterval(r *RateLimit) time.Duration {
	return max(time.Duration(r.Per)/time.Duration(r.Requests), time.Microsecond)
}

// FormatRateLimit writes r as "20/1s", the form of the CLI's --rate-limit;
// nil is "".
func FormatRateLimit(r *RateLimit) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%d/%s", r.Requests, r.Per)
}

// OptionalRateLimit is the rate_limit of a WebhookInput: Set when the key
// was given, Limit nil when it was null (no limit).
type OptionalRateLimit struct {
	Set   bool
	Limit *RateLimit
}

// UnmarshalJSON records that the key was given, and its value or null.
func (o *OptionalRateLimit) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Limit = nil
		return nil
	}
	var r RateLimit
	if err := json.Unmarshal(b, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return valueError(r, `must be an object such as {"requests": 20, "per": "1s"}`)
		}
		return err
	}
	o.Limit = &r
	return nil
}

// MarshalJSON writes the limit, or null.
func (o OptionalRateLimit) MarshalJSON() ([]byte, error) {
	if o.Limit == nil {
		return []byte("null"), nil
	}
	return json.Marshal(o.Limit)
}

// IsZero reports whether the key was not given (for omitzero).
func (o OptionalRateLimit) IsZero() bool { return !o.Set }

// RateSlotParams asks for a send slot of a rate-limited webhook. Slots
// are Interval apart; the store keeps the next free one for every node.
type RateSlotParams struct {
	// Ref names the webhook.
	Ref Ref
	// Interval is RateInterval of the webhook's limit. A change of interval
	// (a PATCH of the limit) starts the spacing afresh at Now.
	Interval time.Duration
	// Now is the time of the request.
	Now time.Time
}

// RateLimitStore shares the webhooks' rate-limit budgets between nodes.
type RateLimitStore interface {
	// TakeRateSlot reserves the first free send slot of the webhook p.Ref
	// names, at or after p.Now, and returns when it begins; the next free
	// slot moves p.Interval past it. It is one atomic statement, so that
	// nodes sharing the database never take the same slot. An idle webhook
	// saves up no burst. A webhook outside p.Ref.Tenancy, or none, is
	// ENOTFOUND.
	TakeRateSlot(ctx context.Context, p RateSlotParams) (time.Time, error)
}

// ParseRateLimit reads "N/DURATION" such as "20/1s" or "100/1m", the form
// FormatRateLimit writes; "" and "none" are nil, no limit. It checks the
// form only: ValidateWebhookRateLimit checks the bounds.
func ParseRateLimit(s string) (*RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return nil, nil
	}
	ns, ds, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err != nil {
		return nil, Errorf(EINVALID, "rate_limit: %q is not REQUESTS/DURATION such as 20/1s", s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(ds))
	if err != nil {
		return nil, Errorf(EINVALID, "rate_limit: %q is not REQUESTS/DURATION such as 20/1s", s)
	}
	return &RateLimit{Requests: n, Per: Duration(d)}, nil
}
