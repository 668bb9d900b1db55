package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
)

// Stats returns the rows and approximate bytes of every table of the
// server's database (GET /v1/stats), to size the retention window. It
// needs a platform admin key: a tenant's key gets a 403 (*Error with
// Status 403).
func (c *Client) Stats(ctx context.Context) (*herald.Stats, error) {
	var st herald.Stats
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/stats", out: &st}); err != nil {
		return nil, fmt.Errorf("get stats: %w", err)
	}
	return &st, nil
}

// DeliveryStatsOptions selects the deliveries of DeliveryStats.
type DeliveryStatsOptions struct {
	// WebhookID is the one webhook to count; "" counts every webhook the
	// key reaches.
	WebhookID string
	// Window is the span: "1h", "24h" or "7d"; "" means "24h".
	Window string
}

// DeliveryStats returns the deliveries per bucket by outcome, with the
// p50 and p95 attempt latency, over a window (GET /v1/deliveries/stats).
// Another tenant's webhook, or a missing one, is a not-found error.
func (s *WebhooksService) DeliveryStats(ctx context.Context, opts DeliveryStatsOptions) (*herald.DeliveryStats, error) {
	q := url.Values{}
	if opts.WebhookID != "" {
		q.Set("webhook_id", opts.WebhookID)
	}
	if opts.Window != "" {
		q.Set("window", opts.Window)
	}
	var st herald.DeliveryStats
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/deliveries/stats", query: q, out: &st}); err != nil {
		return nil, fmt.Errorf("get delivery stats: %w", err)
	}
	return &st, nil
}
