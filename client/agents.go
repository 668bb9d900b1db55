package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald"
)

// AgentList is a page of agents, most recently seen first.
type AgentList = List[*herald.Agent]

// DeploymentList is a page of deployments, most recently updated first,
// without their history.
type DeploymentList = List[*herald.Deployment]

// AgentsService reads the agents Herald knows from their reports: the
// /v1/agents routes, which need an admin key. Use it as Client.Agents.
type AgentsService struct{ c *Client }

// AgentFilter selects agents in Agents.List: Status keeps one status (such
// as "running" or "unresponsive"), and Skip and Limit default as in
// ListOptions. The zero value lists all.
type AgentFilter struct {
	Status string
	Skip   int
	Limit  int
}

// LogOptions selects log lines in Agents.Logs: those at or after Since
// (all when zero), at most Limit (0: the server's default, 50; at most
// 1000), oldest first.
type LogOptions struct {
	Since time.Time
	Limit int
}

// AgentLogs is the answer of Agents.Logs.
type AgentLogs struct {
	AgentID string             `json:"agent_id"`
	Items   []*herald.LogEntry `json:"items"`
	Limit   int                `json:"limit"`
}

// MetricsOptions selects points in Agents.Metrics: of metric Name (all
// when ""), from Since (zero: an hour before Until) to Until (zero: now),
// at most Limit points (0: the server's most, 1000). A Step of 1s or more
// asks for averages per step instead of points.
type MetricsOptions struct {
	Name  string
	Since time.Time
	Until time.Time
	Step  time.Duration
	Limit int
}

// AgentMetrics is the answer of Agents.Metrics: Points, oldest first,
// without a step; Buckets, by name then time, with one.
type AgentMetrics struct {
	AgentID string                `json:"agent_id"`
	Name    string                `json:"name,omitempty"`
	Since   time.Time             `json:"since"`
	Until   time.Time             `json:"until"`
	Step    *herald.Duration      `json:"step,omitempty"`
	Points  []herald.MetricPoint  `json:"points,omitempty"`
	Buckets []herald.MetricBucket `json:"buckets,omitempty"`
}

// List returns a page of agents, most recently seen first (GET
// /v1/agents).
func (s *AgentsService) List(ctx context.Context, f AgentFilter) (*AgentList, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	q = ListOptions{Skip: f.Skip, Limit: f.Limit}.values(q)
	var out AgentList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/agents", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return &out, nil
}

// Get returns one agent (GET /v1/agents/{id}).
func (s *AgentsService) Get(ctx context.Context, id string) (*herald.Agent, error) {
	p, err := segment("agent id", id)
	if err != nil {
		return nil, fmt.Errorf("get agent: %w", err)
	}
	var a herald.Agent
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/agents/" + p, out: &a}); err != nil {
		return nil, fmt.Errorf("get agent: %w", err)
	}
	return &a, nil
}

// Logs returns an agent's log lines, oldest first (GET
// /v1/agents/{id}/logs).
func (s *AgentsService) Logs(ctx context.Context, id string, opts LogOptions) (*AgentLogs, error) {
	p, err := segment("agent id", id)
	if err != nil {
		return nil, fmt.Errorf("get agent logs: %w", err)
	}
	q := url.Values{}
	if !opts.Since.IsZero() {
		q.Set("since", opts.Since.UTC().Format(time.RFC3339Nano))
	}
	if opts.Limit > 0 {
		q.Set("limit", fmt.Sprint(opts.Limit))
	}
	var out AgentLogs
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/agents/" + p + "/logs", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("get agent logs: %w", err)
	}
	return &out, nil
}

// Metrics returns an agent's metric points, or their averages per
// opts.Step (GET /v1/agents/{id}/metrics).
func (s *AgentsService) Metrics(ctx context.Context, id string, opts MetricsOptions) (*AgentMetrics, error) {
	p, err := segment("agent id", id)
	if err != nil {
		return nil, fmt.Errorf("get agent metrics: %w", err)
	}
	q := url.Values{}
	if opts.Name != "" {
		q.Set("name", opts.Name)
	}
	if !opts.Since.IsZero() {
		q.Set("since", opts.Since.UTC().Format(time.RFC3339Nano))
	}
	if !opts.Until.IsZero() {
		q.Set("until", opts.Until.UTC().Format(time.RFC3339Nano))
	}
	if opts.Step > 0 {
		q.Set("step", opts.Step.String())
	}
	if opts.Limit > 0 {
		q.Set("limit", fmt.Sprint(opts.Limit))
	}
	var out AgentMetrics
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/agents/" + p + "/metrics", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("get agent metrics: %w", err)
	}
	return &out, nil
}

// DeploymentsService reads the deployments agents reported: the
// /v1/deployments routes, which need an admin key. Use it as
// Client.Deployments.
type DeploymentsService struct{ c *Client }

// DeploymentFilter selects deployments in Deployments.List: of one agent
// (AgentID) and in one status when set; Skip and Limit default as in
// ListOptions.
type DeploymentFilter struct {
	AgentID string
	Status  string
	Skip    int
	Limit   int
}

// List returns a page of deployments, most recently updated first (GET
// /v1/deployments).
func (s *DeploymentsService) List(ctx context.Context, f DeploymentFilter) (*DeploymentList, error) {
	q := url.Values{}
	if f.AgentID != "" {
		q.Set("agent_id", f.AgentID)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	q = ListOptions{Skip: f.Skip, Limit: f.Limit}.values(q)
	var out DeploymentList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/deployments", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	return &out, nil
}

// Get returns one deployment with its status history in History (GET
// /v1/deployments/{id}).
func (s *DeploymentsService) Get(ctx context.Context, id string) (*herald.Deployment, error) {
	p, err := segment("deployment id", id)
	if err != nil {
		return nil, fmt.Errorf("get deployment: %w", err)
	}
	var d herald.Deployment
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/deployments/" + p, out: &d}); err != nil {
		return nil, fmt.Errorf("get deployment: %w", err)
	}
	return &d, nil
}
