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
	rep.Now = s.cfg.Clock.Now()
	res, err := s.cfg.Store.ReportMetrics(r.Context(), &rep)
	s.answerReport(w, r, res, err)
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
