package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// InvocationList is a page of invocations, newest first.
type InvocationList = List[*herald.Invocation]

// InvocationsService reads agent invocations: the /v1/invocations routes,
// which need an admin key. Use it as Client.Invocations.
type InvocationsService struct{ c *Client }

// InvocationFilter selects invocations in Invocations.List: Agent keeps
// one agent's, Status one status (queued, running, completed, failed or
// timeout), and Skip and Limit default as in ListOptions. The zero value
// lists all.
type InvocationFilter struct {
	Agent  string
	Status string
	Skip   int
	Limit  int
}

// List returns a page of invocations, newest first (GET /v1/invocations).
func (s *InvocationsService) List(ctx context.Context, f InvocationFilter) (*InvocationList, error) {
	q := ListOptions{Skip: f.Skip, Limit: f.Limit}.values(nil)
	if f.Agent != "" {
		q.Set("agent", f.Agent)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	var out InvocationList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/invocations", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list invocations: %w", err)
	}
	return &out, nil
}

// Get returns one invocation (GET /v1/invocations/{id}), the status_url of
// an async call.
func (s *InvocationsService) Get(ctx context.Context, id string) (*herald.Invocation, error) {
	p, err := segment("invocation id", id)
	if err != nil {
		return nil, fmt.Errorf("get invocation: %w", err)
	}
	var inv herald.Invocation
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/invocations/" + p, out: &inv}); err != nil {
		return nil, fmt.Errorf("get invocation: %w", err)
	}
	return &inv, nil
}
