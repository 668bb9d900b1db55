package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
)

// InboundService manages named inbound webhooks (seed 002): the
// /api/webhooks routes, which need an admin key, and the inbound request
// log. External services post to /api/webhooks/{name} with the webhook's
// secret; Trigger sends a message through a webhook with the admin key.
// Use it as Client.Inbound.
type InboundService struct{ c *Client }

// InboundList is the answer of Inbound.List: every named inbound webhook,
// by name, without secrets.
type InboundList struct {
	Webhooks []*herald.InboundWebhook `json:"webhooks"`
	Total    int                      `json:"total"`
}

// TriggerInput is the body of POST /api/webhooks/{name}/trigger: Message
// for the webhook's agent as is, an optional Context, and ResponseMode
// "sync" or "async" ("" for the webhook's response_mode).
type TriggerInput struct {
	Message      string         `json:"message"`
	Context      map[string]any `json:"context,omitempty"`
	ResponseMode string         `json:"response_mode,omitempty"`
}

// InboundResult is the answer to a request of an inbound webhook: in sync
// mode Success, Agent, Response, Context and RequestID (the invocation's
// id); in async mode RequestID and StatusURL; Filtered with Reason when
// the filters dropped it, Duplicate when its request id was seen before.
type InboundResult struct {
	Success   bool            `json:"success"`
	Agent     string          `json:"agent,omitempty"`
	Response  string          `json:"response,omitempty"`
	Context   json.RawMessage `json:"context,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
	StatusURL string          `json:"status_url,omitempty"`
	Filtered  bool            `json:"filtered,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	Duplicate bool            `json:"duplicate,omitempty"`
}

// InboundRequestOptions selects logged requests in Inbound.Requests:
// Verdict keeps one verdict (accepted, filtered or rejected; "" for all)
// and Limit caps them (0: the server's default, 50; at most 1000).
type InboundRequestOptions struct {
	Verdict string
	Limit   int
}

// InboundRequests is the answer of Inbound.Requests, newest first.
type InboundRequests struct {
	Items []*herald.InboundRequest `json:"items"`
	Limit int                      `json:"limit"`
}

// Create makes a named inbound webhook (POST /api/webhooks). Name and
// Agent are required; the answer holds the secret (generated when not
// given), shown this once.
func (s *InboundService) Create(ctx context.Context, in herald.InboundWebhookInput) (*herald.InboundWebhook, error) {
	var wh herald.InboundWebhook
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/webhooks", body: in, out: &wh}); err != nil {
		return nil, fmt.Errorf("create inbound webhook: %w", err)
	}
	return &wh, nil
}

// List returns every named inbound webhook (GET /api/webhooks).
func (s *InboundService) List(ctx context.Context) (*InboundList, error) {
	var out InboundList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/webhooks", out: &out}); err != nil {
		return nil, fmt.Errorf("list inbound webhooks: %w", err)
	}
	return &out, nil
}

// Get returns one named inbound webhook (GET /api/webhooks/{name}).
func (s *InboundService) Get(ctx context.Context, name string) (*herald.InboundWebhook, error) {
	p, err := segment("webhook name", name)
	if err != nil {
		return nil, fmt.Errorf("get inbound webhook: %w", err)
	}
	var wh herald.InboundWebhook
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/webhooks/" + p, out: &wh}); err != nil {
		return nil, fmt.Errorf("get inbound webhook: %w", err)
	}
	return &wh, nil
}

// Update replaces the settings of a webhook with in's, the defaults for
// those left out, keeping the secret unless in sets one (PUT
// /api/webhooks/{name}).
func (s *InboundService) Update(ctx context.Context, name string, in herald.InboundWebhookInput) (*herald.InboundWebhook, error) {
	p, err := segment("webhook name", name)
	if err != nil {
		return nil, fmt.Errorf("update inbound webhook: %w", err)
	}
	var wh herald.InboundWebhook
	if _, err := s.c.do(ctx, request{method: http.MethodPut, path: "/api/webhooks/" + p, body: in, out: &wh}); err != nil {
		return nil, fmt.Errorf("update inbound webhook: %w", err)
	}
	return &wh, nil
}

// Delete removes a webhook and its request log (DELETE
// /api/webhooks/{name}).
func (s *InboundService) Delete(ctx context.Context, name string) error {
	p, err := segment("webhook name", name)
	if err != nil {
		return fmt.Errorf("delete inbound webhook: %w", err)
	}
	if _, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/api/webhooks/" + p}); err != nil {
		return fmt.Errorf("delete inbound webhook: %w", err)
	}
	return nil
}

// Trigger hands in.Message to the webhook's agent (POST
// /api/webhooks/{name}/trigger, with the admin key). A failed run (502),
// a timeout (504) or a busy agent (503) is an *Error.
func (s *InboundService) Trigger(ctx context.Context, name string, in TriggerInput) (*InboundResult, error) {
	p, err := segment("webhook name", name)
	if err != nil {
		return nil, fmt.Errorf("trigger inbound webhook: %w", err)
	}
	var out InboundResult
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/webhooks/" + p + "/trigger", body: in, out: &out}); err != nil {
		return nil, fmt.Errorf("trigger inbound webhook: %w", err)
	}
	return &out, nil
}

// Requests returns a webhook's logged requests, newest first (GET
// /api/webhooks/{name}/requests).
func (s *InboundService) Requests(ctx context.Context, name string, opts InboundRequestOptions) (*InboundRequests, error) {
	p, err := segment("webhook name", name)
	if err != nil {
		return nil, fmt.Errorf("list inbound requests: %w", err)
	}
	q := url.Values{}
	if opts.Verdict != "" {
		q.Set("verdict", opts.Verdict)
	}
	if opts.Limit > 0 {
		q.Set("limit", fmt.Sprint(opts.Limit))
	}
	var out InboundRequests
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/webhooks/" + p + "/requests", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list inbound requests: %w", err)
	}
	return &out, nil
}

// SetSecret sets the secret of a built-in inbound endpoint such as
// "generic" (PUT /v1/inbound/secrets/{name}); "" removes it.
func (s *InboundService) SetSecret(ctx context.Context, name, secret string) error {
	p, err := segment("endpoint name", name)
	if err != nil {
		return fmt.Errorf("set inbound secret: %w", err)
	}
	body := map[string]string{"secret": secret}
	if _, err := s.c.do(ctx, request{method: http.MethodPut, path: "/v1/inbound/secrets/" + p, body: body}); err != nil {
		return fmt.Errorf("set inbound secret: %w", err)
	}
	return nil
}
