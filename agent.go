package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Agent statuses with a meaning of their own. Any other status matching
// [a-z_]{1,32} is accepted and kept as reported.
const (
	AgentRunning      = "running"
	AgentStopped      = "stopped"
	AgentUnresponsive = "unresponsive" // set by the heartbeat monitor
	AgentUnknown      = "unknown"      // registered by a metrics report or POST /v1/agents
)

// crashStatuses are the statuses that emit agent.crashed.
var crashStatuses = map[string]bool{"crashed": true, "failed": true, "error": true}

// Limits of an ingestion report.
const (
	MaxAgentIDLen  = 128
	MaxLogsPerPost = 1000
	MaxLogMessage  = 8192
	MaxReasonLen   = 2048
)

// DefaultHeartbeatTimeout is how long a running agent may stay silent
// before the heartbeat monitor marks it unresponsive (--heartbeat-timeout).
const DefaultHeartbeatTimeout = 90 * time.Second

// Agent is the state Herald keeps of one agent, built from its reports.
// An agent is registered by its first report.
type Agent struct {
	ID string `json:"id"`
	// TenantID owns the agent; ids are unique within a tenant.
	TenantID TenantID `json:"tenant_id"`
	// Name is the agent's display name, set by POST/PATCH /v1/agents.
	Name string `json:"name,omitempty"`
	// Runtime is what Herald calls to invoke the agent; nil when it cannot
	// be invoked. Set by POST/PATCH /v1/agents.
	Runtime *Runtime `json:"runtime,omitempty"`
	Status  string   `json:"status"`
	NodeID  string   `json:"node_id"`
	// Error is the error of the last report that had one.
	Error string `json:"error,omitempty"`
	// Metadata is the metadata object of the last report that had one.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// LastMetrics holds the latest value of each metric the agent reported.
	LastMetrics     map[string]float64 `json:"last_metrics"`
	LastMetricsAt   *time.Time         `json:"last_metrics_at"`
	LastSeen        time.Time          `json:"last_seen"`
	StatusChangedAt time.Time          `json:"status_changed_at"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedAt       time.Time          `json:"updated_at"`
}

// AgentReport is the body of POST /ingest/agent-status.
type AgentReport struct {
	// TenantID owns the agent: the credential's tenant, or the body's
	// tenant_id from an admin or platform ingest key.
	TenantID TenantID        `json:"tenant_id,omitempty"`
	AgentID  string          `json:"agent_id"`
	Status   string          `json:"status"`
	NodeID   string          `json:"node_id,omitempty"`
	Error    string          `json:"error,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Logs     []LogEntry      `json:"logs,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Now is when the report was received; zero means the store's clock.
	Now time.Time `json:"-"`
}

// Validate checks a report and names the first bad field.
func (r *AgentReport) Validate() error {
	if err := ValidateAgentID("agent_id", r.AgentID); err != nil {
		return err
	}
	if err := ValidateStatus("status", r.Status); err != nil {
		return err
	}
	if err := ValidateName("node_id", r.NodeID); err != nil {
		return err
	}
	if len(r.NodeID) > MaxAgentIDLen {
		return Errorf(EINVALID, "node_id: must be at most %d characters", MaxAgentIDLen)
	}
	if len(r.Error) > MaxReasonLen {
		return Errorf(EINVALID, "error: must be at most %d characters", MaxReasonLen)
	}
	if len(r.Reason) > MaxReasonLen {
		return Errorf(EINVALID, "reason: must be at most %d characters", MaxReasonLen)
	}
	if len(r.Logs) > MaxLogsPerPost {
		return Errorf(EINVALID, "logs: at most %d entries per report", MaxLogsPerPost)
	}
	for i, l := range r.Logs {
		if len(l.Message) > MaxLogMessage {
			return Errorf(EINVALID, "logs[%d].message: must be at most %d bytes", i, MaxLogMessage)
		}
		if len(l.Level) > 16 {
			return Errorf(EINVALID, "logs[%d].level: must be at most 16 characters", i)
		}
		if err := ValidateName(fmt.Sprintf("logs[%d].level", i), l.Level); err != nil {
			return err
		}
	}
	if len(r.Metadata) > 0 && !isJSONObjectOrNull(r.Metadata) {
		return Errorf(EINVALID, "metadata: must be a JSON object")
	}
	return nil
}

// ValidateAgentID checks an agent (or deployment) id named field: 1 to
// MaxAgentIDLen printable characters without spaces.
func ValidateAgentID(field, id string) error {
	if id == "" {
		return Errorf(EINVALID, "%s: is required", field)
	}
	if len(id) > MaxAgentIDLen {
		return Errorf(EINVALID, "%s: must be at most %d characters", field, MaxAgentIDLen)
	}
	for _, c := range id {
		if c <= ' ' || c == 0x7f {
			return Errorf(EINVALID, "%s: must not hold spaces or control characters", field)
		}
	}
	return nil
}

// ValidateStatus checks a named status field: [a-z_]{1,32}.
func ValidateStatus(field, s string) error {
	if s == "" {
		return Errorf(EINVALID, "%s: is required", field)
	}
	if len(s) > 32 {
		return Errorf(EINVALID, "%s: must be at most 32 characters of [a-z_]", field)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c == '_') {
			return Errorf(EINVALID, "%s: %q must be 1 to 32 characters of [a-z_]", field, s)
		}
	}
	return nil
}

func isJSONObjectOrNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return true
	}
	var m map[string]json.RawMessage
	return len(b) > 0 && b[0] == '{' && json.Unmarshal(b, &m) == nil
}

// LogEntry is one line of an agent's log. In a report it is either a plain
// string (level "info", the report's time) or {level, message, timestamp}.
type LogEntry struct {
	Level     string    `json:"level"`
	Message   string    `json:"message"`
	Timestamp time.Time `json:"timestamp"`
}

// UnmarshalJSON reads a string or an object.
func (l *LogEntry) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*l = LogEntry{}
		return json.Unmarshal(b, &l.Message)
	}
	var v struct {
		Level     string     `json:"level"`
		Message   *string    `json:"message"`
		Timestamp *time.Time `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("a log entry is a string or {level, message, timestamp}: %w", err)
	}
	if v.Message == nil {
		return fmt.Errorf("a log entry object needs a message")
	}
	*l = LogEntry{Level: v.Level, Message: *v.Message}
	if v.Timestamp != nil {
		l.Timestamp = *v.Timestamp
	}
	return nil
}

// Normalize fills a log entry's defaults: level "info" and the time now.
func (l *LogEntry) Normalize(now time.Time) {
	l.Level = strings.ToLower(strings.TrimSpace(l.Level))
	if l.Level == "" {
		l.Level = "info"
	}
	if l.Timestamp.IsZero() {
		l.Timestamp = now
	}
	l.Timestamp = l.Timestamp.UTC()
}

// AgentFilter selects agents: by status when Status is set, newest first.
type AgentFilter struct {
	Tenancy Tenancy
	Status  string
	Skip    int
	Limit   int
}

// LogFilter selects an agent's log lines: those at or after Since (when
// set), oldest first, at most Limit (default DefaultLimit, at most
// MaxLimit).
type LogFilter struct {
	// Tenancy must reach the agent (see Tenancy.Owner).
	Tenancy Tenancy
	AgentID string
	Since   time.Time
	Limit   int
}

// LogPage selects a page of an agent's log lines, newest first: Skip and
// Limit as in Page (default DefaultLimit, at most MaxLimit).
type LogPage struct {
	// Tenancy must reach the agent (see Tenancy.Owner).
	Tenancy Tenancy
	AgentID string
	Skip    int
	Limit   int
}

// EventSpec is an event a report emits, before it is stored.
type EventSpec struct {
	Type string
	Data map[string]any
}

// AgentEvents returns the events a status report emits, given the agent's
// state before it (nil for an agent reporting for the first time):
//
//   - a new agent, or a changed status: agent.status {agent_id, new_status,
//     old_status, node_id} (old_status is null for a new agent), and the
//     lifecycle event of the new status: agent.started {agent_id, node_id}
//     on running, agent.stopped {agent_id, node_id, reason} on stopped, and
//     agent.crashed {agent_id, node_id, error} on crashed, failed or error;
//   - the same status again: agent.heartbeat {agent_id, status, node_id}.
func AgentEvents(old *Agent, r *AgentReport) []EventSpec {
	if old != nil && old.Status == r.Status {
		return []EventSpec{{Type: "agent.heartbeat", Data: map[string]any{
			"agent_id": r.AgentID, "status": r.Status, "node_id": nodeOf(old, r),
		}}}
	}
	var oldStatus any
	if old != nil {
		oldStatus = old.Status
	}
	node := nodeOf(old, r)
	out := []EventSpec{{Type: "agent.status", Data: map[string]any{
		"agent_id": r.AgentID, "new_status": r.Status, "old_status": oldStatus, "node_id": node,
	}}}
	switch {
	case r.Status == AgentRunning:
		out = append(out, EventSpec{Type: "agent.started", Data: map[string]any{"agent_id": r.AgentID, "node_id": node}})
	case r.Status == AgentStopped:
		out = append(out, EventSpec{Type: "agent.stopped", Data: map[string]any{"agent_id": r.AgentID, "node_id": node, "reason": r.Reason}})
	case crashStatuses[r.Status]:
		out = append(out, EventSpec{Type: "agent.crashed", Data: map[string]any{"agent_id": r.AgentID, "node_id": node, "error": r.Error}})
	}
	return out
}

// nodeOf is the report's node, or the agent's last known one.
func nodeOf(old *Agent, r *AgentReport) string {
	if r.NodeID == "" && old != nil {
		return old.NodeID
	}
	return r.NodeID
}

// ApplyReport returns the agent's state after a report (old is nil for a
// new agent). Node, error and metadata keep their last values when the
// report leaves them out.
func ApplyReport(old *Agent, r *AgentReport, now time.Time) *Agent {
	a := &Agent{ID: r.AgentID, TenantID: r.TenantID, CreatedAt: now, StatusChangedAt: now}
	if old != nil {
		cp := *old
		a = &cp
	}
	if a.Status != r.Status {
		a.StatusChangedAt = now
	}
	a.Status, a.NodeID = r.Status, nodeOf(old, r)
	if r.Error != "" {
		a.Error = r.Error
	}
	if len(r.Metadata) > 0 && string(bytes.TrimSpace(r.Metadata)) != "null" {
		a.Metadata = r.Metadata
	}
	a.LastSeen, a.UpdatedAt = now, now
	return a
}

// UnresponsiveParams selects the running agents silent since before
// Before, for the heartbeat monitor to mark unresponsive at Now.
type UnresponsiveParams struct {
	Before time.Time
	Now    time.Time
}

// ReportResult is what an ingestion report did: the agent's (and the
// deployment's) new state and the events it published.
type ReportResult struct {
	Agent      *Agent
	Deployment *Deployment
	Events     []*Event
}

// AgentStore keeps agents, their logs, metrics and deployments, from
// ingestion reports.
type AgentStore interface {
	// ReportAgentStatus applies one agent-status report in one transaction:
	// it registers or updates the agent of r.TenantID (ApplyReport),
	// appends its logs, and publishes AgentEvents, for the same tenant, as
	// PublishEvent does. Reports for one agent are applied one at a time,
	// so each sees the state the last one left.
	ReportAgentStatus(ctx context.Context, r *AgentReport) (*ReportResult, error)
	// ReportDeployment applies one deployment report in one transaction:
	// the deployment's state and history (ApplyDeployment), its
	// DeploymentEvent, and its agent's report (DeploymentReport.AgentReport)
	// with the agent events, all for r.TenantID.
	ReportDeployment(ctx context.Context, r *DeploymentReport) (*ReportResult, error)
	// ReportMetrics stores the points of one report, updates the agent's
	// last metrics (registering an unknown agent with status "unknown"),
	// and publishes MetricsEvent, in one transaction, for r.TenantID.
	ReportMetrics(ctx context.Context, r *MetricsReport) (*ReportResult, error)
	// MarkUnresponsive marks every running agent, of every tenant, last
	// seen before p.Before unresponsive and publishes its agent.status
	// event for its tenant, each agent in one transaction, and returns
	// what it did.
	MarkUnresponsive(ctx context.Context, p UnresponsiveParams) ([]*ReportResult, error)
	// Agent returns one agent (see Tenancy.Owner for AnyTenant).
	Agent(ctx context.Context, ref Ref) (*Agent, error)
	// ListAgents returns a page of agents, most recently seen first, and
	// the total.
	ListAgents(ctx context.Context, f AgentFilter) ([]*Agent, int, error)
	// AgentLogs returns an agent's log lines, oldest first (ENOTFOUND for
	// an unknown agent).
	AgentLogs(ctx context.Context, f LogFilter) ([]*LogEntry, error)
	// ListAgentLogs returns a page of an agent's log lines, newest first
	// (by timestamp, then by arrival), and the total (ENOTFOUND for an
	// unknown agent).
	ListAgentLogs(ctx context.Context, f LogPage) ([]*LogEntry, int, error)
	// AgentMetrics returns an agent's metric points, oldest first
	// (ENOTFOUND for an unknown agent).
	AgentMetrics(ctx context.Context, f MetricFilter) ([]MetricPoint, error)
	// ExportAgentData streams an agent's log lines, then its metric points,
	// to p.Logs and p.Points in chunks (ENOTFOUND for an unknown agent),
	// for "herald export": unlike AgentLogs and AgentMetrics, which page by
	// time and so may split rows with equal timestamps, it reads each kind
	// with one query, however many rows there are. A callback's error ends
	// it and is returned as is.
	ExportAgentData(ctx context.Context, p ExportParams) error
	// Deployment returns one deployment with its history (see
	// Tenancy.Owner for AnyTenant).
	Deployment(ctx context.Context, ref Ref) (*Deployment, error)
	// ListDeployments returns a page of deployments, most recently updated
	// first, and the total.
	ListDeployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, int, error)
	// SaveAgent registers an agent (status "unknown" when new) of the one
	// tenant of p.Tenancy, or updates its name and runtime: the fields of
	// in that are set. With create set, an existing agent is a ECONFLICT;
	// without it, a missing one is ENOTFOUND.
	SaveAgent(ctx context.Context, p SaveAgentParams) (*Agent, error)
}
