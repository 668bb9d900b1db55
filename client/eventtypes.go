package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
)

// EventTypeList is the event catalogue, by name, without versions.
type EventTypeList = List[*herald.EventType]

// EventTypesService reads and manages the platform's event catalogue: the
// /v1/event-types routes. Every admin key reads it; only platform admin
// keys change it (a tenant's key gets a 403). Use it as Client.EventTypes.
type EventTypesService struct{ c *Client }

// EventTypeInput is the body of EventTypes.Put: the whole new state of the
// type. Schema is a JSON Schema (draft 2020-12 unless it says otherwise)
// for the events' data and Example an example of it; nil sends null (no
// schema, no example). A put that changes anything makes a new version.
type EventTypeInput struct {
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
	Deprecated  bool            `json:"deprecated"`
}

// Put creates the type name or writes its next version (PUT
// /v1/event-types/{name}), and reports whether it created it.
func (s *EventTypesService) Put(ctx context.Context, name string, in EventTypeInput) (*herald.EventType, bool, error) {
	p, err := segment("event type", name)
	if err != nil {
		return nil, false, fmt.Errorf("put event type: %w", err)
	}
	var et herald.EventType
	status, err := s.c.do(ctx, request{method: http.MethodPut, path: "/v1/event-types/" + p, body: in, out: &et})
	if err != nil {
		return nil, false, fmt.Errorf("put event type: %w", err)
	}
	return &et, status == http.StatusCreated, nil
}

// Get returns one type with every version, oldest first (GET
// /v1/event-types/{name}).
func (s *EventTypesService) Get(ctx context.Context, name string) (*herald.EventType, error) {
	p, err := segment("event type", name)
	if err != nil {
		return nil, fmt.Errorf("get event type: %w", err)
	}
	var et herald.EventType
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/event-types/" + p, out: &et}); err != nil {
		return nil, fmt.Errorf("get event type: %w", err)
	}
	return &et, nil
}

// List returns the catalogue, or the types whose names start with prefix
// when it is not "" (GET /v1/event-types?prefix=).
func (s *EventTypesService) List(ctx context.Context, prefix string) (*EventTypeList, error) {
	var q url.Values
	if prefix != "" {
		q = url.Values{"prefix": {prefix}}
	}
	var out EventTypeList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/event-types", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list event types: %w", err)
	}
	return &out, nil
}

// Delete removes a type and its history (DELETE /v1/event-types/{name}).
func (s *EventTypesService) Delete(ctx context.Context, name string) error {
	p, err := segment("event type", name)
	if err != nil {
		return fmt.Errorf("delete event type: %w", err)
	}
	if _, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/v1/event-types/" + p}); err != nil {
		return fmt.Errorf("delete event type: %w", err)
	}
	return nil
}
