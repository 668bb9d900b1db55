package api

import (
	"net/http"

	"github.com/heraldhq/herald"
)

// ingestAnswer is the answer of the ingestion routes: the agent's (and the
// deployment's) state after the report, and the events it published.
type ingestAnswer struct {
	Agent      *herald.Agent      `json:"agent"`
	Deployment *herald.Deployment `json:"deployment,omitempty"`
	Events     []ingestEvent      `json:"events"`
}

// ingestEvent names one event a report published.
type ingestEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// ingestAgentStatus is POST /ingest/agent-status: an agent's status, with
// optional logs and metadata. It publishes agent.status and the lifecycle
// events, or agent.heartbeat when the status did not change.
func (s *Server) ingestAgentStatus(w http.ResponseWriter, r *http.Request) {
	var rep herald.AgentReport
	if err := s.decodeOpen(w, r, &rep); err != nil {
		s.error(w, r, err)
		return
	}
	if err := rep.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := checkAgent(r, rep.AgentID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := reportTenant(r, &rep.TenantID); err != nil {
		s.error(w, r, err)
		return
	}
	rep.Now = s.cfg.Clock.Now()
	res, err := s.cfg.Store.ReportAgentStatus(r.Context(), &rep)
	s.answerReport(w, r, res, err)
}

// ingestDeployment is POST /ingest/deployment: a deployment's status. It
// publishes deployment.<status> and the agent events of the status it
// gives the agent.
func (s *Server) ingestDeployment(w http.ResponseWriter, r *http.Request) {
	var rep herald.DeploymentReport
	if err := s.decodeOpen(w, r, &rep); err != nil {
		s.error(w, r, err)
		return
	}
	if err := rep.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := checkAgent(r, rep.AgentID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := reportTenant(r, &rep.TenantID); err != nil {
		s.error(w, r, err)
		return
	}
	rep.Now = s.cfg.Clock.Now()
	res, err := s.cfg.Store.ReportDeployment(r.Context(), &rep)
	s.answerReport(w, r, res, err)
}

// ingestMetrics is POST /ingest/metrics: named values of an agent. It
// publishes metrics.report.
func (s *Server) ingestMetrics(w http.ResponseWriter, r *http.Request) {
	var rep herald.MetricsReport
	if err := s.decodeOpen(w, r, &rep); err != nil {
		s.error(w, r, err)
		return
	}
	if err := rep.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := checkAgent(r, rep.AgentID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := reportTenant(r, &rep.TenantID); err != nil {
		s.error(w, r, err)
		return
	}
	rep.Now = s.cfg.Clock.Now()
	res, err := s.cfg.Store.ReportMetrics(r.Context(), &rep)
	s.answerReport(w, r, res, err)
}

// reportTenant sets the tenant of a report: the credential's (a tenant
// key, or a JWT's tenant claim), which the body's tenant_id may only
// repeat (403 otherwise); for a platform API key the body's tenant_id,
// else X-Herald-Tenant or ?tenant_id=, else the platform. A JWT without a
// tenant claim reports for the platform only.
func reportTenant(r *http.Request, t *herald.TenantID) error {
	owner, err := ownerOf(r, t)
	if err != nil {
		return err
	}
	*t = herald.TenantID(owner)
	return nil
}

// answerReport answers 202 with what a report did.
func (s *Server) answerReport(w http.ResponseWriter, r *http.Request, res *herald.ReportResult, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := ingestAnswer{Agent: res.Agent, Deployment: res.Deployment, Events: make([]ingestEvent, 0, len(res.Events))}
	for _, ev := range res.Events {
		out.Events = append(out.Events, ingestEvent{ID: ev.ID, Type: ev.Type})
		s.cfg.Metrics.EventsAccepted.Inc()
	}
	writeJSON(w, http.StatusAccepted, out)
}
