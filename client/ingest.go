package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
)

// IngestService sends the reports of agents: the /v1/ingest routes (also
// served at /ingest). They take an API key of scope ingest or admin, or a
// JWT the server accepts; a JWT naming an agent (agent_id or sub) may
// report for that agent only. A report is for the credential's tenant (a
// tenant key, or a JWT with the tenant claim); a platform key may name the
// tenant in the report's TenantID. Use it as Client.Ingest.
type IngestService struct{ c *Client }

// IngestResult is the answer of a report: the agent's state after it, the
// deployment's (Deployment.Report only), and the events it published.
type IngestResult struct {
	Agent      *herald.Agent      `json:"agent"`
	Deployment *herald.Deployment `json:"deployment,omitempty"`
	Events     []IngestedEvent    `json:"events"`
}

// IngestedEvent names one event a report published, such as
// {"evt_01k...", "agent.started"}.
type IngestedEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// logLine is a log entry as sent: a plain string when it has only a
// message, else an object without the fields left unset.
type logLine struct{ herald.LogEntry }

// MarshalJSON writes a plain string or {level?, message, timestamp?}.
func (l logLine) MarshalJSON() ([]byte, error) {
	if l.Level == "" && l.Timestamp.IsZero() {
		return json.Marshal(l.Message)
	}
	v := struct {
		Level     string     `json:"level,omitempty"`
		Message   string     `json:"message"`
		Timestamp *time.Time `json:"timestamp,omitempty"`
	}{Level: l.Level, Message: l.Message}
	if !l.Timestamp.IsZero() {
		v.Timestamp = &l.Timestamp
	}
	return json.Marshal(v)
}

// AgentStatus reports an agent's status, with optional node, error,
// reason, logs and metadata (POST /v1/ingest/agent-status). A new status
// publishes agent.status and, for running, stopped and crashed (or failed
// or error), agent.started, agent.stopped or agent.crashed; the same
// status again publishes agent.heartbeat. Log entries without Level or
// Timestamp get "info" and the time of the report.
func (s *IngestService) AgentStatus(ctx context.Context, r herald.AgentReport) (*IngestResult, error) {
	body := struct {
		TenantID herald.TenantID `json:"tenant_id,omitempty"`
		AgentID  string          `json:"agent_id"`
		Status   string          `json:"status"`
		NodeID   string          `json:"node_id,omitempty"`
		Error    string          `json:"error,omitempty"`
		Reason   string          `json:"reason,omitempty"`
		Logs     []logLine       `json:"logs,omitempty"`
		Metadata json.RawMessage `json:"metadata,omitempty"`
	}{TenantID: r.TenantID, AgentID: r.AgentID, Status: r.Status, NodeID: r.NodeID, Error: r.Error, Reason: r.Reason, Metadata: r.Metadata}
	for _, l := range r.Logs {
		body.Logs = append(body.Logs, logLine{l})
	}
	var out IngestResult
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/ingest/agent-status", body: body, out: &out}); err != nil {
		return nil, fmt.Errorf("report agent status: %w", err)
	}
	return &out, nil
}

// Deployment reports a deployment's status: created, started, updated,
// completed, failed or rolled_back (POST /v1/ingest/deployment). It
// publishes deployment.<status>, and the agent events of the status it
// gives the agent (deploying, running or failed).
func (s *IngestService) Deployment(ctx context.Context, r herald.DeploymentReport) (*IngestResult, error) {
	var out IngestResult
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/ingest/deployment", body: r, out: &out}); err != nil {
		return nil, fmt.Errorf("report deployment: %w", err)
	}
	return &out, nil
}

// Metrics reports named values of an agent, measured at r.Timestamp (the
// time of the report when zero), and publishes metrics.report (POST
// /v1/ingest/metrics).
func (s *IngestService) Metrics(ctx context.Context, r herald.MetricsReport) (*IngestResult, error) {
	body := struct {
		TenantID  herald.TenantID    `json:"tenant_id,omitempty"`
		AgentID   string             `json:"agent_id"`
		Metrics   map[string]float64 `json:"metrics"`
		Timestamp *time.Time         `json:"timestamp,omitempty"`
	}{TenantID: r.TenantID, AgentID: r.AgentID, Metrics: r.Metrics}
	if !r.Timestamp.IsZero() {
		body.Timestamp = &r.Timestamp
	}
	var out IngestResult
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/ingest/metrics", body: body, out: &out}); err != nil {
		return nil, fmt.Errorf("report metrics: %w", err)
	}
	return &out, nil
}
