package postgres

import (
	"context"

	"github.com/heraldhq/herald"
)

var errIngestTODO = herald.Errorf(herald.EUNSUPPORTED, "ingestion is not implemented on this store yet")

// ReportAgentStatus applies an agent-status report.
func (s *DB) ReportAgentStatus(ctx context.Context, r *herald.AgentReport) (*herald.ReportResult, error) {
	return nil, errIngestTODO
}

// ReportDeployment applies a deployment report.
func (s *DB) ReportDeployment(ctx context.Context, r *herald.DeploymentReport) (*herald.ReportResult, error) {
	return nil, errIngestTODO
}

// ReportMetrics applies a metrics report.
func (s *DB) ReportMetrics(ctx context.Context, r *herald.MetricsReport) (*herald.ReportResult, error) {
	return nil, errIngestTODO
}

// MarkUnresponsive marks silent running agents unresponsive.
func (s *DB) MarkUnresponsive(ctx context.Context, p herald.UnresponsiveParams) ([]*herald.ReportResult, error) {
	return nil, errIngestTODO
}

// Agent returns one agent.
func (s *DB) Agent(ctx context.Context, id string) (*herald.Agent, error) { return nil, errIngestTODO }

// ListAgents returns a page of agents.
func (s *DB) ListAgents(ctx context.Context, f herald.AgentFilter) ([]*herald.Agent, int, error) {
	return nil, 0, errIngestTODO
}

// AgentLogs returns an agent's log lines.
func (s *DB) AgentLogs(ctx context.Context, f herald.LogFilter) ([]*herald.LogEntry, error) {
	return nil, errIngestTODO
}

// AgentMetrics returns an agent's metric points.
func (s *DB) AgentMetrics(ctx context.Context, f herald.MetricFilter) ([]herald.MetricPoint, error) {
	return nil, errIngestTODO
}

// Deployment returns one deployment.
func (s *DB) Deployment(ctx context.Context, id string) (*herald.Deployment, error) {
	return nil, errIngestTODO
}

// ListDeployments returns a page of deployments.
func (s *DB) ListDeployments(ctx context.Context, f herald.DeploymentFilter) ([]*herald.Deployment, int, error) {
	return nil, 0, errIngestTODO
}
