package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// AlertList is a page of alert rules, newest first.
type AlertList = List[*herald.AlertRule]

// AlertsService manages alert rules: the /v1/alerts routes, which need an
// admin key. A rule watches a metric (a built-in one such as
// herald.MetricWebhookFailures, or an ingested agent metric) over a
// window, and publishes alert.triggered when "value op threshold" starts
// to hold and alert.resolved when it stops. Use it as Client.Alerts.
type AlertsService struct{ c *Client }

// alertBody encodes in with only its set fields.
func alertBody(in herald.AlertInput) (json.RawMessage, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode alert: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("encode alert: %w", err)
	}
	for k, v := range fields {
		if string(v) == "null" {
			delete(fields, k)
		}
	}
	return json.Marshal(fields)
}

// Create makes an alert rule (POST /v1/alerts). Metric and Threshold
// matter most; unset fields take the defaults of herald.NewAlertDefaults
// (active, op ">=", agg "avg", a 5-minute window, named after the metric).
// A WebhookID must name an existing webhook.
func (s *AlertsService) Create(ctx context.Context, in herald.AlertInput) (*herald.AlertRule, error) {
	body, err := alertBody(in)
	if err != nil {
		return nil, err
	}
	var rule herald.AlertRule
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/alerts", body: body, out: &rule}); err != nil {
		return nil, fmt.Errorf("create alert: %w", err)
	}
	return &rule, nil
}

// List returns a page of alert rules with their state, newest first (GET
// /v1/alerts).
func (s *AlertsService) List(ctx context.Context, opts ListOptions) (*AlertList, error) {
	var out AlertList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/alerts", query: opts.values(nil), out: &out}); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return &out, nil
}

// Get returns one alert rule with its state (GET /v1/alerts/{id}).
func (s *AlertsService) Get(ctx context.Context, id string) (*herald.AlertRule, error) {
	p, err := segment("alert id", id)
	if err != nil {
		return nil, fmt.Errorf("get alert: %w", err)
	}
	var rule herald.AlertRule
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/alerts/" + p, out: &rule}); err != nil {
		return nil, fmt.Errorf("get alert: %w", err)
	}
	return &rule, nil
}

// Update changes the fields set in in and keeps the others, and the
// rule's state (PATCH /v1/alerts/{id}).
func (s *AlertsService) Update(ctx context.Context, id string, in herald.AlertInput) (*herald.AlertRule, error) {
	p, err := segment("alert id", id)
	if err != nil {
		return nil, fmt.Errorf("update alert: %w", err)
	}
	body, err := alertBody(in)
	if err != nil {
		return nil, fmt.Errorf("update alert: %w", err)
	}
	var rule herald.AlertRule
	if _, err := s.c.do(ctx, request{method: http.MethodPatch, path: "/v1/alerts/" + p, body: body, out: &rule}); err != nil {
		return nil, fmt.Errorf("update alert: %w", err)
	}
	return &rule, nil
}

// Delete removes an alert rule (DELETE /v1/alerts/{id}).
func (s *AlertsService) Delete(ctx context.Context, id string) error {
	p, err := segment("alert id", id)
	if err != nil {
		return fmt.Errorf("delete alert: %w", err)
	}
	if _, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/v1/alerts/" + p}); err != nil {
		return fmt.Errorf("delete alert: %w", err)
	}
	return nil
}
