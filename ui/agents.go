package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// DefaultChartRange is the span of the agent page's metric charts when
// ?range= is absent: the last 24h.
const DefaultChartRange = "24h"

// chartBuckets is how many averaged points a metric chart draws at most.
const chartBuckets = 120

// maxChartPoints bounds the metric points one agent page reads: 100000.
const maxChartPoints = 100_000

// metricsChunk is how many points one store call reads (the engines'
// most).
const metricsChunk = 10_000

// deploymentsShown is how many of an agent's latest deployments its page
// shows.
const deploymentsShown = 10

// agentsPage is a page of agents.
type agentsPage struct {
	Rows  []agentRow
	Pager pager
}

// agentRow is an agent of the list with its last metrics in name order.
type agentRow struct {
	*herald.Agent
	Metrics []string
	Link    string
}

// agentLink is the page of a as the session s opens it.
func agentLink(s *session, a *herald.Agent) string {
	l := "/ui/agents/" + url.PathEscape(a.ID)
	if s.tenancy().IsAny() {
		l += "?tenant=" + url.QueryEscape(string(a.TenantID))
	}
	return l
}

// lastMetrics lists m as "name = value", by name.
func lastMetrics(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s = %s", k, chartValue(v)))
	}
	sort.Strings(out)
	return out
}

// listAgents shows a page of agents, most recently seen first; a portal
// confined to one agent sees that agent alone.
func (u *UI) listAgents(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	skip := pageSkip(r)
	var (
		agents []*herald.Agent
		total  int
		err    error
	)
	if s.Agent != "" {
		var a *herald.Agent
		a, err = u.cfg.Store.Agent(r.Context(), herald.Ref{Tenancy: s.tenancy(), ID: s.Agent})
		switch {
		case err == nil:
			total = 1
			if skip == 0 {
				agents = []*herald.Agent{a}
			}
		case herald.ErrorCode(err) == herald.ENOTFOUND:
			// The portal's agent has not reported yet.
			err = nil
		}
	} else {
		agents, total, err = u.cfg.Store.ListAgents(r.Context(), herald.AgentFilter{Tenancy: s.tenancy(), Skip: skip, Limit: pageSize})
	}
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p := &agentsPage{Pager: newPager(r, skip, total)}
	for _, a := range agents {
		p.Rows = append(p.Rows, agentRow{Agent: a, Metrics: lastMetrics(a.LastMetrics), Link: agentLink(s, a)})
	}
	u.render(w, r, http.StatusOK, "agents", newView(r, "Agents", p))
}

// agentPage is one agent: its facts, a page of its log lines, a chart per
// metric over Range, and its latest deployments with their history.
type agentPage struct {
	Agent   *herald.Agent
	Metrics []string
	// Range is the charts' span: "1h", "24h" or "7d"; Ranges link the
	// page at each.
	Range  string
	Ranges []rangeLink
	// Step is how long a span each point of the charts averages, as
	// "12m".
	Step        string
	Charts      []chartView
	Truncated   bool
	Logs        []*herald.LogEntry
	Pager       pager
	Deployments []*herald.Deployment
}

// rangeLink is a link of the charts' range selector.
type rangeLink struct {
	Label, Href string
	Current     bool
}

// rangeLinks links the page of a at each chart range, current marking cur.
func rangeLinks(s *session, a *herald.Agent, cur string) []rangeLink {
	base, _ := url.Parse(agentLink(s, a))
	var out []rangeLink
	for _, rg := range []struct{ label, value string }{{"Last hour", "1h"}, {"Last 24 hours", "24h"}, {"Last 7 days", "7d"}} {
		q := base.Query()
		q.Set("range", rg.value)
		out = append(out, rangeLink{Label: rg.label, Href: base.Path + "?" + q.Encode(), Current: rg.value == cur})
	}
	return out
}

// chartView is one metric's chart.
type chartView struct {
	Name  string
	Chart template.HTML
}

// showAgent shows one agent within the visitor's reach: its tenancy (an
// operator's ?tenant= picks the tenant, else the platform's agent) and,
// for a portal confined to one agent, that agent only.
func (u *UI) showAgent(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	id := r.PathValue("id")
	if s.Agent != "" && id != s.Agent {
		u.fail(w, r, s, herald.Errorf(herald.ENOTFOUND, "agent %q not found", id))
		return
	}
	a, err := u.cfg.Store.Agent(r.Context(), herald.Ref{Tenancy: pinned(r, s), ID: id})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p := &agentPage{Agent: a, Metrics: lastMetrics(a.LastMetrics), Range: r.URL.Query().Get("range")}
	if p.Range == "" {
		p.Range = DefaultChartRange
	}
	p.Ranges = rangeLinks(s, a, p.Range)
	span, ok := timeRanges[p.Range]
	if !ok {
		u.fail(w, r, s, herald.Errorf(herald.EINVALID, "range: must be 1h, 24h or 7d, got %q", p.Range))
		return
	}
	// From here on, every read is of the agent's own tenant.
	t := herald.OnlyTenant(string(a.TenantID))
	now := u.cfg.Clock.Now()
	p.Step = (span / chartBuckets).String()
	if strings.HasSuffix(p.Step, "m0s") {
		p.Step = strings.TrimSuffix(p.Step, "0s")
	}
	if p.Charts, p.Truncated, err = u.agentCharts(r, t, a.ID, now.Add(-span), now); err != nil {
		u.fail(w, r, s, err)
		return
	}
	skip := pageSkip(r)
	logs, total, err := u.cfg.Store.ListAgentLogs(r.Context(), herald.LogPage{Tenancy: t, AgentID: a.ID, Skip: skip, Limit: pageSize})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p.Logs, p.Pager = logs, newPager(r, skip, total)
	deps, _, err := u.cfg.Store.ListDeployments(r.Context(), herald.DeploymentFilter{Tenancy: t, AgentID: a.ID, Limit: deploymentsShown})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	for _, d := range deps {
		full, err := u.cfg.Store.Deployment(r.Context(), herald.Ref{Tenancy: t, ID: d.ID})
		if err != nil {
			u.fail(w, r, s, err)
			return
		}
		p.Deployments = append(p.Deployments, full)
	}
	u.render(w, r, http.StatusOK, "agent", newView(r, "Agent "+a.ID, p))
}

// agentCharts reads an agent's metric points in [from, to) and draws one
// chart per metric name, each point the average over a chartBuckets-th of
// the span. It reads at most maxChartPoints, the oldest first, and
// reports whether there were more.
func (u *UI) agentCharts(r *http.Request, t herald.Tenancy, id string, from, to time.Time) ([]chartView, bool, error) {
	var points []herald.MetricPoint
	since, seen, truncated := from, 0, false
	for {
		chunk, err := u.cfg.Store.AgentMetrics(r.Context(), herald.MetricFilter{Tenancy: t, AgentID: id, Since: since, Until: to, Limit: metricsChunk})
		if err != nil {
			return nil, false, err
		}
		// A chunk starts at the last timestamp of the one before, whose
		// points there it has read already.
		points = append(points, chunk[min(seen, len(chunk)):]...)
		if len(chunk) < metricsChunk {
			break
		}
		if len(points) >= maxChartPoints {
			truncated = true
			break
		}
		last := chunk[len(chunk)-1].Timestamp
		seen = 0
		for i := len(chunk) - 1; i >= 0 && chunk[i].Timestamp.Equal(last); i-- {
			seen++
		}
		if seen == len(chunk) {
			// One instant holds a whole chunk: step past it.
			since, seen = last.Add(time.Nanosecond), 0
		} else {
			since = last
		}
	}
	step := to.Sub(from) / chartBuckets
	byName := map[string]*chartSeries{}
	var names []string
	for _, b := range herald.BucketMetrics(points, step) {
		cs := byName[b.Name]
		if cs == nil {
			cs = &chartSeries{Name: b.Name, From: from, To: to}
			byName[b.Name] = cs
			names = append(names, b.Name)
		}
		// Each bucket is drawn at its middle, within the span (buckets are
		// aligned to the epoch, not to from).
		at := b.Start.Add(step / 2)
		if at.Before(from) {
			at = from
		} else if at.After(to) {
			at = to
		}
		cs.Points = append(cs.Points, chartPoint{At: at, Value: b.Value})
	}
	out := make([]chartView, 0, len(names))
	for _, n := range names {
		out = append(out, chartView{Name: n, Chart: lineChart(*byName[n])})
	}
	return out, truncated, nil
}
