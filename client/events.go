package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
)

// EventList is a page of events, newest first, without their deliveries.
type EventList = List[*herald.Event]

// EventsService publishes and reads events: the /v1/events routes. Use it
// as Client.Events.
type EventsService struct{ c *Client }

// EventInput is an event to send. Type is required ("agent.started"). Data
// is marshaled with encoding/json and must be a JSON object (a map, a
// struct, or a json.RawMessage you already have); nil sends {}. ID, when
// set, is an idempotency key: sending the same ID again returns the first
// event and delivers nothing new. TenantID, when set, publishes the event
// for that tenant (a platform admin key; a tenant key publishes for its
// own tenant): it reaches that tenant's webhooks and the platform's
// all_tenants ones only. The ID is unique per tenant. OrderingKey, when
// set, orders the event's deliveries to webhooks of ordering "key" among
// the events of the same key (an agent's ID, say).
type EventInput struct {
	ID          string `json:"id,omitempty"`
	TenantID    string `json:"tenant_id,omitempty"`
	Type        string `json:"type"`
	Data        any    `json:"data,omitempty"`
	OrderingKey string `json:"ordering_key,omitempty"`
}

// SendResult is the answer of Events.Send: the stored event's ID and Type,
// Created in unix seconds, Timestamp in herald.TimestampFormat, and how many
// deliveries it started. Duplicate is true when the ID had been sent before
// (HTTP 200 rather than 202): the first event is returned and nothing new
// is delivered.
type SendResult struct {
	herald.PublishAnswer
	Duplicate bool `json:"duplicate"`
}

// EventFilter selects events in Events.List: Type keeps one exact type,
// AgentID the events of one agent (herald.EventAgentID), and Skip and Limit
// default as in ListOptions. The zero value lists all.
type EventFilter struct {
	Type    string
	AgentID string
	Skip    int
	Limit   int
}

// Send publishes an event to every matching webhook (POST /v1/events).
func (s *EventsService) Send(ctx context.Context, in EventInput) (*SendResult, error) {
	var out SendResult
	status, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/events", body: in, out: &out})
	if err != nil {
		return nil, fmt.Errorf("send event: %w", err)
	}
	out.Duplicate = status == http.StatusOK
	return &out, nil
}

// List returns a page of events, newest first (GET /v1/events).
func (s *EventsService) List(ctx context.Context, f EventFilter) (*EventList, error) {
	q := url.Values{}
	if f.Type != "" {
		q.Set("type", f.Type)
	}
	if f.AgentID != "" {
		q.Set("agent_id", f.AgentID)
	}
	q = ListOptions{Skip: f.Skip, Limit: f.Limit}.values(q)
	var out EventList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/events", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return &out, nil
}

// Get returns one event with its deliveries in Deliveries (GET
// /v1/events/{id}).
func (s *EventsService) Get(ctx context.Context, id string) (*herald.Event, error) {
	p, err := segment("event id", id)
	if err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	var ev herald.Event
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/events/" + p, out: &ev}); err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	return &ev, nil
}
