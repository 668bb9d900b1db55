package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// agentBody encodes in with only its set fields.
func agentBody(in herald.AgentInput) (json.RawMessage, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode agent: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("encode agent: %w", err)
	}
	for k, v := range fields {
		if string(v) == "null" {
			delete(fields, k)
		}
	}
	return json.Marshal(fields)
}

// Create registers an agent with its name and runtime (POST /v1/agents):
// in.ID is required; a runtime such as {Type: herald.RuntimeEcho} makes
// it invocable. An existing id is a conflict (409).
func (s *AgentsService) Create(ctx context.Context, in herald.AgentInput) (*herald.Agent, error) {
	body, err := agentBody(in)
	if err != nil {
		return nil, err
	}
	var a herald.Agent
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/agents", body: body, out: &a}); err != nil {
		return nil, fmt.Errorf("create agent: %w", err)
	}
	return &a, nil
}

// Update sets the name and runtime of an agent, the fields set in in, and
// keeps the others (PATCH /v1/agents/{id}).
func (s *AgentsService) Update(ctx context.Context, id string, in herald.AgentInput) (*herald.Agent, error) {
	p, err := segment("agent id", id)
	if err != nil {
		return nil, fmt.Errorf("update agent: %w", err)
	}
	in.ID = nil
	body, err := agentBody(in)
	if err != nil {
		return nil, err
	}
	var a herald.Agent
	if _, err := s.c.do(ctx, request{method: http.MethodPatch, path: "/v1/agents/" + p, body: body, out: &a}); err != nil {
		return nil, fmt.Errorf("update agent: %w", err)
	}
	return &a, nil
}
