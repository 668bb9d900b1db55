package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// Defaults of GET /v1/agents/{id}/metrics.
const (
	// DefaultMetricsRange is the span read when since is not given: the
	// hour before until.
	DefaultMetricsRange = time.Hour
	// MaxMetricBuckets bounds (until - since) / step.
	MaxMetricBuckets = 10000
)

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r, "status")
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" {
		if err := herald.ValidateStatus("status", status); err != nil {
			s.error(w, r, err)
			return
		}
	}
	agents, total, err := s.cfg.Store.ListAgents(r.Context(), herald.AgentFilter{Tenancy: tenancyOf(r), Status: status, Skip: skip, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if agents == nil {
		agents = []*herald.Agent{}
	}
	writeJSON(w, http.StatusOK, list[*herald.Agent]{Items: agents, Total: total, Skip: skip, Limit: limit})
}

// getAgent is GET /v1/agents/{id}: an agent of the request's tenant (a
// platform key without a tenant reads the platform's).
func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) {
	a, err := s.cfg.Store.Agent(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// logsAnswer is the answer of GET /v1/agents/{id}/logs.
type logsAnswer struct {
	AgentID string             `json:"agent_id"`
	Items   []*herald.LogEntry `json:"items"`
	Limit   int                `json:"limit"`
}

// agentLogs is GET /v1/agents/{id}/logs?since=&limit=: an agent's log
// lines at or after since, oldest first, at most limit (default 50, at
// most 1000). since is a time (see queryTime).
func (s *Server) agentLogs(w http.ResponseWriter, r *http.Request) {
	if err := knownQuery(r, "since", "limit"); err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now()
	since, err := queryTime(r, "since", now)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := queryInt(r, "limit")
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, limit := herald.Page(0, n)
	id := r.PathValue("id")
	logs, err := s.cfg.Store.AgentLogs(r.Context(), herald.LogFilter{Tenancy: tenancyOf(r), AgentID: id, Since: since, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if logs == nil {
		logs = []*herald.LogEntry{}
	}
	writeJSON(w, http.StatusOK, logsAnswer{AgentID: id, Items: logs, Limit: limit})
}

// metricsAnswer is the answer of GET /v1/agents/{id}/metrics: Points
// without step, Buckets (averages per step) with it.
type metricsAnswer struct {
	AgentID string                 `json:"agent_id"`
	Name    string                 `json:"name,omitempty"`
	Since   time.Time              `json:"since"`
	Until   time.Time              `json:"until"`
	Step    *herald.Duration       `json:"step,omitempty"`
	Points  *[]herald.MetricPoint  `json:"points,omitempty"`
	Buckets *[]herald.MetricBucket `json:"buckets,omitempty"`
}

// agentMetrics is GET /v1/agents/{id}/metrics?name=&since=&until=&step=&limit=:
// an agent's metric points from since (default until - 1h) to until
// (default now), of one metric when name is set, oldest first, at most
// limit (default and most 1000). With step (a duration of at least 1s) it
// answers the average, min, max and count of each metric per step,
// aligned to the unix epoch, in buckets instead of points.
func (s *Server) agentMetrics(w http.ResponseWriter, r *http.Request) {
	if err := knownQuery(r, "name", "since", "until", "step", "limit"); err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	now := s.cfg.Clock.Now()
	until, err := queryTime(r, "until", now)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if until.IsZero() {
		until = now
	}
	since, err := queryTime(r, "since", now)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if since.IsZero() {
		since = until.Add(-DefaultMetricsRange)
	}
	if !since.Before(until) {
		s.error(w, r, herald.Errorf(herald.EINVALID, "since: must be before until (%s)", until.UTC().Format(herald.TimestampFormat)))
		return
	}
	name := q.Get("name")
	if name != "" {
		if err := herald.ValidateMetricName(name); err != nil {
			s.error(w, r, herald.Errorf(herald.EINVALID, "name: %q must be 1 to 64 characters of letters, digits and _ - . :", name))
			return
		}
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.error(w, r, err)
		return
	}
	step, err := parseStep(q.Get("step"), since, until)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	points, err := s.cfg.Store.AgentMetrics(r.Context(), herald.MetricFilter{Tenancy: tenancyOf(r), AgentID: id, Name: name, Since: since, Until: until, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := metricsAnswer{AgentID: id, Name: name, Since: since.UTC(), Until: until.UTC()}
	if step > 0 {
		d := herald.Duration(step)
		buckets := herald.BucketMetrics(points, step)
		out.Step, out.Buckets = &d, &buckets
	} else {
		if points == nil {
			points = []herald.MetricPoint{}
		}
		out.Points = &points
	}
	writeJSON(w, http.StatusOK, out)
}

// parseStep reads the step query value v: 0 when empty, else a duration of
// at least 1s making at most MaxMetricBuckets buckets from since to until.
func parseStep(v string, since, until time.Time) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	step, err := time.ParseDuration(v)
	if err != nil || step < time.Second {
		return 0, herald.Errorf(herald.EINVALID, "step: must be a duration of at least 1s such as 1m, got %q", v)
	}
	if until.Sub(since)/step > MaxMetricBuckets {
		return 0, herald.Errorf(herald.EINVALID, "step: %s makes more than %d buckets between since and until", step, MaxMetricBuckets)
	}
	return step, nil
}

// queryTime reads a time query parameter: an RFC 3339 time, "now", or a
// duration counting back from now ("1h" or "-1h" both mean an hour ago).
// It returns the zero time when the parameter is absent.
func queryTime(r *http.Request, name string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	switch v {
	case "":
		return time.Time{}, nil
	case "now":
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(v, "-")); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, herald.Errorf(herald.EINVALID, "%s: must be an RFC 3339 time such as 2026-01-02T15:04:05Z, now, or a duration back from now such as 1h, got %q", name, v)
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r, "agent_id", "status")
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := herald.DeploymentFilter{Tenancy: tenancyOf(r), AgentID: q.Get("agent_id"), Status: q.Get("status"), Skip: skip, Limit: limit}
	if f.Status != "" {
		if err := herald.ValidateStatus("status", f.Status); err != nil {
			s.error(w, r, err)
			return
		}
	}
	ds, total, err := s.cfg.Store.ListDeployments(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if ds == nil {
		ds = []*herald.Deployment{}
	}
	writeJSON(w, http.StatusOK, list[*herald.Deployment]{Items: ds, Total: total, Skip: skip, Limit: limit})
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Store.Deployment(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
