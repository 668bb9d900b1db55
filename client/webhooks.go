package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/heraldhq/herald"
)

// WebhookList is a page of webhooks. Their secrets are never included.
type WebhookList = List[*herald.Webhook]

// DeliveryList is a page of deliveries, newest first, without attempts.
type DeliveryList = List[*herald.Delivery]

// WebhooksService manages webhooks and their delivery history: the
// /v1/webhooks routes. Use it as Client.Webhooks.
type WebhooksService struct{ c *Client }

// TestResult is the outcome of Webhooks.Test: the first attempt of a
// "webhook.test" event sent to the webhook alone. StatusCode is nil when no
// HTTP answer came (see Error).
type TestResult struct {
	herald.WebhookTestResult
	// Pending is true when the server answered 202: no attempt was made in
	// its wait, and the delivery stays queued like any other.
	Pending bool `json:"pending"`
}

// DeliveryFilter selects deliveries in Webhooks.Deliveries. Event keeps one
// event type; Success, when set, keeps successful (true) or not yet
// successful (false, pending included) ones. Zero values filter nothing,
// and Skip and Limit default as in ListOptions.
type DeliveryFilter struct {
	Event   string
	Success *bool
	Skip    int
	Limit   int
}

// webhookBody encodes in with only its set fields, so that a PATCH changes
// those alone and a create leaves the rest to the server's defaults.
func webhookBody(in herald.WebhookInput) (json.RawMessage, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode webhook: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("encode webhook: %w", err)
	}
	for k, v := range fields {
		// rate_limit is present only when set; its null removes the limit.
		if string(v) == "null" && k != "rate_limit" {
			delete(fields, k)
		}
	}
	b, err = json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode webhook: %w", err)
	}
	return b, nil
}

// Create makes a webhook (POST /v1/webhooks). URL and Events are required;
// unset fields take the server's defaults (active, 30s timeout, 3 retries,
// SSL verified, X-Webhook-Signature in sha256=hex, a generated secret). The
// answer is the only one that carries Secret.
func (s *WebhooksService) Create(ctx context.Context, in herald.WebhookInput) (*herald.Webhook, error) {
	body, err := webhookBody(in)
	if err != nil {
		return nil, err
	}
	var wh herald.Webhook
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks", body: body, out: &wh}); err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return &wh, nil
}

// CreateWithWarnings is Create, returning as well the server's warnings:
// one for each pattern of in.Events that matches no type of the event
// catalogue (the webhook is created all the same).
func (s *WebhooksService) CreateWithWarnings(ctx context.Context, in herald.WebhookInput) (*herald.WebhookCreated, error) {
	body, err := webhookBody(in)
	if err != nil {
		return nil, err
	}
	out := herald.WebhookCreated{Webhook: &herald.Webhook{}}
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks", body: body, out: &out}); err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return &out, nil
}

// List returns a page of webhooks, newest first (GET /v1/webhooks).
func (s *WebhooksService) List(ctx context.Context, opts ListOptions) (*WebhookList, error) {
	return s.ListForAgent(ctx, "", opts)
}

// ListForAgent returns a page of the webhooks of one agent (those created
// with that agent_id), newest first (GET /v1/webhooks?agent_id=); every
// webhook when agentID is "".
func (s *WebhooksService) ListForAgent(ctx context.Context, agentID string, opts ListOptions) (*WebhookList, error) {
	q := url.Values{}
	if agentID != "" {
		q.Set("agent_id", agentID)
	}
	var out WebhookList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/webhooks", query: opts.values(q), out: &out}); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return &out, nil
}

// Enable turns a webhook on (PATCH /v1/webhooks/{id} with is_active true):
// it receives matching events again.
func (s *WebhooksService) Enable(ctx context.Context, id string) (*herald.Webhook, error) {
	on := true
	return s.Update(ctx, id, herald.WebhookInput{IsActive: &on})
}

// Disable turns a webhook off (PATCH /v1/webhooks/{id} with is_active
// false): events published meanwhile are not delivered to it.
func (s *WebhooksService) Disable(ctx context.Context, id string) (*herald.Webhook, error) {
	off := false
	return s.Update(ctx, id, herald.WebhookInput{IsActive: &off})
}

// Get returns one webhook, without its secret (GET /v1/webhooks/{id}).
func (s *WebhooksService) Get(ctx context.Context, id string) (*herald.Webhook, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	var wh herald.Webhook
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/webhooks/" + p, out: &wh}); err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	return &wh, nil
}

// Update changes the fields set in in and keeps the others (PATCH
// /v1/webhooks/{id}). Headers, Events and RetrySchedule, when set, replace
// the whole list; an empty RetrySchedule goes back to the server's.
func (s *WebhooksService) Update(ctx context.Context, id string, in herald.WebhookInput) (*herald.Webhook, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	body, err := webhookBody(in)
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	var wh herald.Webhook
	if _, err := s.c.do(ctx, request{method: http.MethodPatch, path: "/v1/webhooks/" + p, body: body, out: &wh}); err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return &wh, nil
}

// RotateSecret replaces a webhook's secret (POST
// /v1/webhooks/{id}/secret/rotate). in.Secret is the new one, generated by
// the server when nil; in.GracePeriod (such as "24h" or "7d", 24h when nil,
// "0" for none) is how long the old secret keeps signing beside it. The
// answer is the only one that carries the new Secret.
func (s *WebhooksService) RotateSecret(ctx context.Context, id string, in herald.RotateSecretInput) (*herald.Webhook, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	var wh herald.Webhook
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks/" + p + "/secret/rotate", body: in, out: &wh}); err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	return &wh, nil
}

// Health returns a webhook's success rates and counts over 1h, 24h and
// 7d, its p50 and p95 latency, its current failing streak and when that
// would turn it off (GET /v1/webhooks/{id}/health).
func (s *WebhooksService) Health(ctx context.Context, id string) (*herald.WebhookHealth, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("get webhook health: %w", err)
	}
	var h herald.WebhookHealth
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/webhooks/" + p + "/health", out: &h}); err != nil {
		return nil, fmt.Errorf("get webhook health: %w", err)
	}
	return &h, nil
}

// Delete removes a webhook and its delivery history (DELETE
// /v1/webhooks/{id}).
func (s *WebhooksService) Delete(ctx context.Context, id string) error {
	p, err := segment("webhook id", id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if _, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/v1/webhooks/" + p}); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// Test sends a "webhook.test" event to this webhook alone and waits for its
// first attempt (POST /v1/webhooks/{id}/test). The server may wait up to
// the webhook's timeout plus 15s, so the call is allowed at least
// WebhookTestTimeout whatever WithTimeout says; bound it with ctx if needed.
func (s *WebhooksService) Test(ctx context.Context, id string) (*TestResult, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("test webhook: %w", err)
	}
	var out TestResult
	status, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks/" + p + "/test", out: &out, minTimeout: WebhookTestTimeout})
	if err != nil {
		return nil, fmt.Errorf("test webhook: %w", err)
	}
	out.Pending = status == http.StatusAccepted
	return &out, nil
}

// TestEvent is Test with an event of eventType, a type of the event
// catalogue, whose example is the event's data (POST
// /v1/webhooks/{id}/test {"event_type"}).
func (s *WebhooksService) TestEvent(ctx context.Context, id, eventType string) (*TestResult, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("test webhook: %w", err)
	}
	var out TestResult
	body := map[string]string{"event_type": eventType}
	status, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks/" + p + "/test", body: body, out: &out, minTimeout: WebhookTestTimeout})
	if err != nil {
		return nil, fmt.Errorf("test webhook: %w", err)
	}
	out.Pending = status == http.StatusAccepted
	return &out, nil
}

// Deliveries returns a page of a webhook's deliveries, newest first (GET
// /v1/webhooks/{id}/deliveries).
func (s *WebhooksService) Deliveries(ctx context.Context, id string, f DeliveryFilter) (*DeliveryList, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	q := url.Values{}
	if f.Event != "" {
		q.Set("event", f.Event)
	}
	if f.Success != nil {
		q.Set("success", strconv.FormatBool(*f.Success))
	}
	q = ListOptions{Skip: f.Skip, Limit: f.Limit}.values(q)
	var out DeliveryList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/webhooks/" + p + "/deliveries", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return &out, nil
}

// Delivery returns one delivery of a webhook with every attempt in
// AttemptList (GET /v1/webhooks/{id}/deliveries/{delivery_id}).
func (s *WebhooksService) Delivery(ctx context.Context, webhookID, deliveryID string) (*herald.Delivery, error) {
	path, err := deliveryPath(webhookID, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	var d herald.Delivery
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: path, out: &d}); err != nil {
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	return &d, nil
}

// RetryDelivery makes a delivery pending again and queues an attempt now
// (POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry), and returns the
// delivery as queued.
func (s *WebhooksService) RetryDelivery(ctx context.Context, webhookID, deliveryID string) (*herald.Delivery, error) {
	path, err := deliveryPath(webhookID, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	var d herald.Delivery
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: path + "/retry", out: &d}); err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	return &d, nil
}

// deliveryPath is /v1/webhooks/{id}/deliveries/{delivery_id}, escaped.
func deliveryPath(webhookID, deliveryID string) (string, error) {
	w, err := segment("webhook id", webhookID)
	if err != nil {
		return "", err
	}
	d, err := segment("delivery id", deliveryID)
	if err != nil {
		return "", err
	}
	return "/v1/webhooks/" + w + "/deliveries/" + d, nil
}
