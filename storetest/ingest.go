package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// ingestTests check agents, deployments, logs and metrics.
var ingestTests = map[string]func(t *testing.T, s herald.Store){
	"AgentStatusEvents":       testAgentStatusEvents,
	"AgentLogs":               testAgentLogs,
	"AgentMetrics":            testAgentMetrics,
	"DeploymentLifecycle":     testDeploymentLifecycle,
	"DeploymentFailures":      testDeploymentFailures,
	"MarkUnresponsive":        testMarkUnresponsive,
	"ListAgents":              testListAgents,
	"IngestNotFound":          testIngestNotFound,
	"AgentReportsSerial":      testAgentReportsSerialized,
	"DeploymentReportsSerial": testDeploymentReportsSerialized,
}

// ingestT0 is the time of the first report of most ingestion tests, at the
// microsecond (the stores' precision).
var ingestT0 = time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)

// wantEvent is an event a report must publish: its type and its exact data
// (canonical JSON, keys sorted as encoding/json sorts map keys).
type wantEvent struct {
	typ, data string
}

func checkEvents(t *testing.T, what string, got []*herald.Event, at time.Time, want ...wantEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: published %s, want %d events %v", what, describeEvents(got), len(want), want)
	}
	for i, w := range want {
		ev := got[i]
		if ev.Type != w.typ || string(ev.Data) != w.data {
			t.Fatalf("%s: event %d is %s %s, want %s %s", what, i, ev.Type, ev.Data, w.typ, w.data)
		}
		if len(ev.ID) < 5 || ev.ID[:4] != herald.PrefixEvent || !ev.Created.Equal(at) {
			t.Fatalf("%s: event %d has ID %q and created %v, want evt_… at %v", what, i, ev.ID, ev.Created, at)
		}
	}
}

func describeEvents(evs []*herald.Event) string {
	s := "["
	for i, ev := range evs {
		if i > 0 {
			s += ", "
		}
		s += ev.Type + " " + string(ev.Data)
	}
	return s + "]"
}

func reportStatus(t *testing.T, s herald.Store, r herald.AgentReport) *herald.ReportResult {
	t.Helper()
	res, err := s.ReportAgentStatus(context.Background(), &r)
	if err != nil {
		t.Fatalf("report %s %s: %v", r.AgentID, r.Status, err)
	}
	return res
}

func reportDeployment(t *testing.T, s herald.Store, r herald.DeploymentReport) *herald.ReportResult {
	t.Helper()
	res, err := s.ReportDeployment(context.Background(), &r)
	if err != nil {
		t.Fatalf("report deployment %s %s: %v", r.DeploymentID, r.Status, err)
	}
	return res
}

func testAgentStatusEvents(t *testing.T, s herald.Store) {
	ctx := context.Background()
	hook := NewWebhook(t, s, []string{"agent.*"})
	t0 := ingestT0
	before, _ := s.QueueDepth(ctx)
	res := reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "running", NodeID: "n1",
		Metadata: json.RawMessage(`{"region":"eu"}`), Now: t0})
	checkEvents(t, "new agent", res.Events, t0,
		wantEvent{"agent.status", `{"agent_id":"a1","new_status":"running","node_id":"n1","old_status":null}`},
		wantEvent{"agent.started", `{"agent_id":"a1","node_id":"n1"}`})
	a := res.Agent
	if a.ID != "a1" || a.Status != "running" || a.NodeID != "n1" || !a.CreatedAt.Equal(t0) || !a.LastSeen.Equal(t0) ||
		!a.StatusChangedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) || string(a.Metadata) != `{"region":"eu"}` {
		t.Fatalf("new agent: %+v", a)
	}
	// Both events went to the agent.* webhook, each with a queued job.
	for _, e := range res.Events {
		ev, err := s.Event(ctx, anyRef(e.ID))
		if err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].WebhookID != hook.ID || string(ev.Data) != string(e.Data) {
			t.Fatalf("event %s read back: %+v %v", e.Type, ev, err)
		}
	}
	if after, err := s.QueueDepth(ctx); err != nil || after != before+2 {
		t.Fatalf("queue depth %d -> %d (%v), want +2", before, after, err)
	}

	t1 := t0.Add(time.Minute)
	res = reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "running", Now: t1})
	checkEvents(t, "same status", res.Events, t1,
		wantEvent{"agent.heartbeat", `{"agent_id":"a1","node_id":"n1","status":"running"}`})
	if a := res.Agent; !a.LastSeen.Equal(t1) || !a.StatusChangedAt.Equal(t0) || a.NodeID != "n1" || !a.CreatedAt.Equal(t0) {
		t.Fatalf("after heartbeat: %+v", a)
	}

	t2 := t1.Add(time.Minute)
	res = reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "crashed", Error: "out of memory", Now: t2})
	checkEvents(t, "crashed", res.Events, t2,
		wantEvent{"agent.status", `{"agent_id":"a1","new_status":"crashed","node_id":"n1","old_status":"running"}`},
		wantEvent{"agent.crashed", `{"agent_id":"a1","error":"out of memory","node_id":"n1"}`})

	t3 := t2.Add(time.Minute)
	res = reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "stopped", NodeID: "n2", Reason: "scaled down", Now: t3})
	checkEvents(t, "stopped", res.Events, t3,
		wantEvent{"agent.status", `{"agent_id":"a1","new_status":"stopped","node_id":"n2","old_status":"crashed"}`},
		wantEvent{"agent.stopped", `{"agent_id":"a1","node_id":"n2","reason":"scaled down"}`})

	t4 := t3.Add(time.Minute)
	res = reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "paused", Now: t4})
	checkEvents(t, "other status", res.Events, t4,
		wantEvent{"agent.status", `{"agent_id":"a1","new_status":"paused","node_id":"n2","old_status":"stopped"}`})

	got, err := s.Agent(ctx, anyRef("a1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "paused" || got.NodeID != "n2" || got.Error != "out of memory" || string(got.Metadata) != `{"region":"eu"}` ||
		!got.CreatedAt.Equal(t0) || !got.LastSeen.Equal(t4) || !got.StatusChangedAt.Equal(t4) || !got.UpdatedAt.Equal(t4) ||
		got.LastMetrics == nil || len(got.LastMetrics) != 0 || got.LastMetricsAt != nil {
		t.Fatalf("agent read back: %+v", got)
	}

	// failed and error crash too, from a first report.
	for _, status := range []string{"failed", "error"} {
		id := "a-" + status
		res := reportStatus(t, s, herald.AgentReport{AgentID: id, Status: status, Error: "boom", Now: t0})
		checkEvents(t, status, res.Events, t0,
			wantEvent{"agent.status", fmt.Sprintf(`{"agent_id":%q,"new_status":%q,"node_id":"","old_status":null}`, id, status)},
			wantEvent{"agent.crashed", fmt.Sprintf(`{"agent_id":%q,"error":"boom","node_id":""}`, id)})
	}

	if _, err := s.ReportAgentStatus(ctx, &herald.AgentReport{AgentID: "a1", Status: "Running!"}); herald.ErrorCode(err) != herald.EINVALID {
		t.Fatalf("bad status: %v, want invalid", err)
	}
}

func testAgentLogs(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := ingestT0
	reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "running", Now: t0, Logs: []herald.LogEntry{
		{Message: "booting"},
		{Level: " WARN ", Message: "disk almost full", Timestamp: t0.Add(-time.Second)},
	}})
	t1 := t0.Add(time.Minute)
	reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "running", Now: t1, Logs: []herald.LogEntry{
		{Level: "error", Message: "request failed"}, {Message: "retrying"},
	}})
	reportStatus(t, s, herald.AgentReport{AgentID: "a2", Status: "running", Now: t1, Logs: []herald.LogEntry{{Message: "other"}}})

	logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []herald.LogEntry{
		{Level: "warn", Message: "disk almost full", Timestamp: t0.Add(-time.Second)},
		{Level: "info", Message: "booting", Timestamp: t0},
		{Level: "error", Message: "request failed", Timestamp: t1},
		{Level: "info", Message: "retrying", Timestamp: t1},
	}
	checkLogs := func(what string, got []*herald.LogEntry, want []herald.LogEntry) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
		}
		for i, w := range want {
			if g := got[i]; g.Level != w.Level || g.Message != w.Message || !g.Timestamp.Equal(w.Timestamp) {
				t.Fatalf("%s: line %d is %+v, want %+v", what, i, g, w)
			}
		}
	}
	checkLogs("all", logs, want)
	logs, err = s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "a1", Since: t0})
	if err != nil {
		t.Fatal(err)
	}
	checkLogs("since t0", logs, want[1:])
	logs, err = s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "a1", Since: t0, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkLogs("since t0, limit 2", logs, want[1:3])
	logs, err = s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "a1", Since: t1.Add(time.Second)})
	if err != nil || logs == nil || len(logs) != 0 {
		t.Fatalf("after the last line: %v %v, want an empty list", logs, err)
	}
}

func testAgentMetrics(t *testing.T, s herald.Store) {
	ctx := context.Background()
	hook := NewWebhook(t, s, []string{"metrics.report"})
	t0 := ingestT0
	recv := t0.Add(time.Second)
	res, err := s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "m1", Metrics: map[string]float64{"cpu": 0.5, "mem": 100},
		Timestamp: t0, Now: recv})
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, "first metrics", res.Events, recv,
		wantEvent{"metrics.report", `{"agent_id":"m1","metrics":{"cpu":0.5,"mem":100}}`})
	if ev, err := s.Event(ctx, anyRef(res.Events[0].ID)); err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].WebhookID != hook.ID {
		t.Fatalf("metrics event deliveries: %+v %v", ev, err)
	}
	a := res.Agent
	if a.Status != "unknown" || a.LastMetrics["cpu"] != 0.5 || a.LastMetrics["mem"] != 100 || a.LastMetricsAt == nil ||
		!a.LastMetricsAt.Equal(t0) || !a.LastSeen.Equal(recv) || !a.CreatedAt.Equal(recv) {
		t.Fatalf("agent registered by metrics: %+v", a)
	}

	t1 := t0.Add(time.Minute)
	res, err = s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "m1", Metrics: map[string]float64{"cpu": 0.75}, Timestamp: t1, Now: t1})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Agent; a.Status != "unknown" || len(a.LastMetrics) != 2 || a.LastMetrics["cpu"] != 0.75 || a.LastMetrics["mem"] != 100 ||
		!a.LastMetricsAt.Equal(t1) || !a.CreatedAt.Equal(recv) {
		t.Fatalf("after second metrics: %+v", a)
	}

	// A status report after metrics changes the status from unknown.
	t2 := t1.Add(time.Minute)
	st := reportStatus(t, s, herald.AgentReport{AgentID: "m1", Status: "running", Now: t2})
	checkEvents(t, "running after metrics", st.Events, t2,
		wantEvent{"agent.status", `{"agent_id":"m1","new_status":"running","node_id":"","old_status":"unknown"}`},
		wantEvent{"agent.started", `{"agent_id":"m1","node_id":""}`})
	if st.Agent.LastMetrics["cpu"] != 0.75 || !st.Agent.LastMetricsAt.Equal(t1) {
		t.Fatalf("status report lost the last metrics: %+v", st.Agent)
	}

	// Metrics never change the status, and without a timestamp are taken now.
	t3 := t2.Add(time.Minute)
	res, err = s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "m1", Metrics: map[string]float64{"cpu": 1, "gpu": 2}, Now: t3})
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, "metrics of a running agent", res.Events, t3,
		wantEvent{"metrics.report", `{"agent_id":"m1","metrics":{"cpu":1,"gpu":2}}`})
	got, err := s.Agent(ctx, anyRef("m1"))
	if err != nil || got.Status != "running" || !got.StatusChangedAt.Equal(t2) || !got.LastSeen.Equal(t3) ||
		len(got.LastMetrics) != 3 || got.LastMetrics["gpu"] != 2 || !got.LastMetricsAt.Equal(t3) {
		t.Fatalf("agent after metrics: %+v %v", got, err)
	}
	if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "m2", Metrics: map[string]float64{"cpu": 9}, Now: t0}); err != nil {
		t.Fatal(err)
	}

	check := func(f herald.MetricFilter, want ...herald.MetricPoint) {
		t.Helper()
		f.AgentID = "m1"
		got, err := s.AgentMetrics(ctx, f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		if got == nil || len(got) != len(want) {
			t.Fatalf("%+v: got %v, want %v", f, got, want)
		}
		for i, w := range want {
			if g := got[i]; g.Name != w.Name || g.Value != w.Value || !g.Timestamp.Equal(w.Timestamp) {
				t.Fatalf("%+v: point %d is %+v, want %+v", f, i, g, w)
			}
		}
	}
	check(herald.MetricFilter{Tenancy: anyTenant},
		herald.MetricPoint{Name: "cpu", Value: 0.5, Timestamp: t0}, herald.MetricPoint{Name: "mem", Value: 100, Timestamp: t0},
		herald.MetricPoint{Name: "cpu", Value: 0.75, Timestamp: t1},
		herald.MetricPoint{Name: "cpu", Value: 1, Timestamp: t3}, herald.MetricPoint{Name: "gpu", Value: 2, Timestamp: t3})
	check(herald.MetricFilter{Tenancy: anyTenant, Name: "cpu"},
		herald.MetricPoint{Name: "cpu", Value: 0.5, Timestamp: t0}, herald.MetricPoint{Name: "cpu", Value: 0.75, Timestamp: t1},
		herald.MetricPoint{Name: "cpu", Value: 1, Timestamp: t3})
	check(herald.MetricFilter{Tenancy: anyTenant, Name: "cpu", Since: t1, Until: t3},
		herald.MetricPoint{Name: "cpu", Value: 0.75, Timestamp: t1})
	check(herald.MetricFilter{Tenancy: anyTenant, Since: t1},
		herald.MetricPoint{Name: "cpu", Value: 0.75, Timestamp: t1},
		herald.MetricPoint{Name: "cpu", Value: 1, Timestamp: t3}, herald.MetricPoint{Name: "gpu", Value: 2, Timestamp: t3})
	check(herald.MetricFilter{Tenancy: anyTenant, Limit: 2},
		herald.MetricPoint{Name: "cpu", Value: 0.5, Timestamp: t0}, herald.MetricPoint{Name: "mem", Value: 100, Timestamp: t0})
	check(herald.MetricFilter{Tenancy: anyTenant, Name: "disk"})

	if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "m1", Metrics: map[string]float64{}}); herald.ErrorCode(err) != herald.EINVALID {
		t.Fatalf("empty metrics: %v, want invalid", err)
	}
}

func testDeploymentLifecycle(t *testing.T, s herald.Store) {
	ctx := context.Background()
	hook := NewWebhook(t, s, []string{"deployment.*"})
	t0 := ingestT0
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

	res := reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-1", AgentID: "ag", Status: "created", Version: "v2", Now: at(0)})
	checkEvents(t, "created", res.Events, at(0),
		wantEvent{"deployment.created", `{"agent_id":"ag","deployment_id":"dep-1","version":"v2"}`},
		wantEvent{"agent.status", `{"agent_id":"ag","new_status":"deploying","node_id":"","old_status":null}`})
	if d := res.Deployment; d.ID != "dep-1" || d.AgentID != "ag" || d.Status != "created" || d.Version != "v2" ||
		!d.CreatedAt.Equal(at(0)) || !d.UpdatedAt.Equal(at(0)) {
		t.Fatalf("created deployment: %+v", d)
	}
	if res.Agent.Status != "deploying" {
		t.Fatalf("agent of a created deployment: %+v", res.Agent)
	}
	if ev, err := s.Event(ctx, anyRef(res.Events[0].ID)); err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].WebhookID != hook.ID {
		t.Fatalf("deployment event deliveries: %+v %v", ev, err)
	}
	if ev, err := s.Event(ctx, anyRef(res.Events[1].ID)); err != nil || len(ev.Deliveries) != 0 {
		t.Fatalf("agent event went to the deployment.* webhook: %+v %v", ev, err)
	}

	res = reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-1", AgentID: "ag", Status: "started", Version: "v2", Now: at(1)})
	checkEvents(t, "started", res.Events, at(1),
		wantEvent{"deployment.started", `{"agent_id":"ag","deployment_id":"dep-1","version":"v2"}`},
		wantEvent{"agent.heartbeat", `{"agent_id":"ag","node_id":"","status":"deploying"}`})

	res = reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-1", AgentID: "ag", Status: "updated",
		Changes: json.RawMessage(`{"replicas": 3, "image": "agent:v2"}`), Now: at(2)})
	checkEvents(t, "updated", res.Events, at(2),
		wantEvent{"deployment.updated", `{"agent_id":"ag","changes":{"image":"agent:v2","replicas":3},"deployment_id":"dep-1"}`},
		wantEvent{"agent.heartbeat", `{"agent_id":"ag","node_id":"","status":"deploying"}`})
	if d := res.Deployment; d.Version != "v2" || d.Status != "updated" {
		t.Fatalf("updated deployment lost its version: %+v", d)
	}

	res = reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-1", AgentID: "ag", Status: "completed", Version: "v2", Now: at(3)})
	checkEvents(t, "completed", res.Events, at(3),
		wantEvent{"deployment.completed", `{"agent_id":"ag","deployment_id":"dep-1","version":"v2"}`},
		wantEvent{"agent.status", `{"agent_id":"ag","new_status":"running","node_id":"","old_status":"deploying"}`},
		wantEvent{"agent.started", `{"agent_id":"ag","node_id":""}`})
	if res.Agent.Status != "running" || !res.Agent.StatusChangedAt.Equal(at(3)) {
		t.Fatalf("agent of a completed deployment: %+v", res.Agent)
	}

	d, err := s.Deployment(ctx, anyRef("dep-1"))
	if err != nil {
		t.Fatal(err)
	}
	var changes map[string]any
	if d.Status != "completed" || d.Version != "v2" || json.Unmarshal(d.Changes, &changes) != nil || changes["replicas"] != 3.0 ||
		!d.CreatedAt.Equal(at(0)) || !d.UpdatedAt.Equal(at(3)) || len(d.History) != 4 {
		t.Fatalf("deployment read back: %+v", d)
	}
	for i, status := range []string{"created", "started", "updated", "completed"} {
		if c := d.History[i]; c.Status != status || !c.At.Equal(at(i)) {
			t.Fatalf("history %d: %+v, want %s at %v", i, c, status, at(i))
		}
	}
	if d.History[0].Version != "v2" || d.History[2].Version != "" || len(d.History[2].Changes) == 0 || len(d.History[3].Changes) != 0 {
		t.Fatalf("history holds what each report said: %+v", d.History)
	}
	if a, err := s.Agent(ctx, anyRef("ag")); err != nil || a.Status != "running" || !a.CreatedAt.Equal(at(0)) {
		t.Fatalf("agent read back: %+v %v", a, err)
	}
	if _, err := s.ReportDeployment(ctx, &herald.DeploymentReport{DeploymentID: "dep-1", AgentID: "ag", Status: "paused"}); herald.ErrorCode(err) != herald.EINVALID {
		t.Fatalf("unknown deployment status: %v, want invalid", err)
	}
}

func testDeploymentFailures(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := ingestT0
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	reportStatus(t, s, herald.AgentReport{AgentID: "ag", Status: "running", NodeID: "n1", Now: at(0)})

	reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-f", AgentID: "ag", Status: "created", Version: "v3", Now: at(1)})
	res := reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-f", AgentID: "ag", Status: "failed", Error: "image pull failed", Now: at(2)})
	checkEvents(t, "failed", res.Events, at(2),
		wantEvent{"deployment.failed", `{"agent_id":"ag","deployment_id":"dep-f","error":"image pull failed"}`},
		wantEvent{"agent.status", `{"agent_id":"ag","new_status":"failed","node_id":"n1","old_status":"deploying"}`},
		wantEvent{"agent.crashed", `{"agent_id":"ag","error":"image pull failed","node_id":"n1"}`})
	if d := res.Deployment; d.Status != "failed" || d.Error != "image pull failed" || d.Version != "v3" {
		t.Fatalf("failed deployment: %+v", d)
	}

	reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-r", AgentID: "ag", Status: "created", Version: "v4", Now: at(3)})
	res = reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-r", AgentID: "ag", Status: "rolled_back", Reason: "error rate", Now: at(4)})
	checkEvents(t, "rolled back", res.Events, at(4),
		wantEvent{"deployment.rolled_back", `{"agent_id":"ag","deployment_id":"dep-r","reason":"error rate"}`},
		wantEvent{"agent.status", `{"agent_id":"ag","new_status":"running","node_id":"n1","old_status":"deploying"}`},
		wantEvent{"agent.started", `{"agent_id":"ag","node_id":"n1"}`})
	if d := res.Deployment; d.Status != "rolled_back" || d.Reason != "error rate" {
		t.Fatalf("rolled back deployment: %+v", d)
	}
	reportDeployment(t, s, herald.DeploymentReport{DeploymentID: "dep-o", AgentID: "other", Status: "created", Now: at(5)})

	check := func(f herald.DeploymentFilter, wantTotal int, wantIDs ...string) {
		t.Helper()
		got, total, err := s.ListDeployments(ctx, f)
		if err != nil || total != wantTotal || len(got) != len(wantIDs) {
			t.Fatalf("%+v: %d deployments of %d (%v), want %v of %d", f, len(got), total, err, wantIDs, wantTotal)
		}
		for i, id := range wantIDs {
			if got[i].ID != id || got[i].History != nil {
				t.Fatalf("%+v: deployment %d is %+v, want %s without history", f, i, got[i], id)
			}
		}
	}
	check(herald.DeploymentFilter{Tenancy: anyTenant}, 3, "dep-o", "dep-r", "dep-f")
	check(herald.DeploymentFilter{Tenancy: anyTenant, AgentID: "ag"}, 2, "dep-r", "dep-f")
	check(herald.DeploymentFilter{Tenancy: anyTenant, Status: "failed"}, 1, "dep-f")
	check(herald.DeploymentFilter{Tenancy: anyTenant, AgentID: "other", Status: "failed"}, 0)
	check(herald.DeploymentFilter{Tenancy: anyTenant, Skip: 1, Limit: 1}, 3, "dep-r")
	check(herald.DeploymentFilter{Tenancy: anyTenant, Skip: 5}, 3)
}

func testMarkUnresponsive(t *testing.T, s herald.Store) {
	ctx := context.Background()
	NewWebhook(t, s, []string{"agent.status"})
	t0 := ingestT0
	reportStatus(t, s, herald.AgentReport{AgentID: "silent", Status: "running", NodeID: "n1", Now: t0})
	reportStatus(t, s, herald.AgentReport{AgentID: "recent", Status: "running", Now: t0.Add(2 * time.Minute)})
	reportStatus(t, s, herald.AgentReport{AgentID: "stopped", Status: "stopped", Now: t0})
	reportStatus(t, s, herald.AgentReport{AgentID: "crashed", Status: "crashed", Now: t0})

	mark := t0.Add(3 * time.Minute)
	before, _ := s.QueueDepth(ctx)
	results, err := s.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: t0.Add(time.Minute), Now: mark})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Agent.ID != "silent" {
		t.Fatalf("marked %d agents, want silent alone: %+v", len(results), results)
	}
	checkEvents(t, "unresponsive", results[0].Events, mark,
		wantEvent{"agent.status", `{"agent_id":"silent","new_status":"unresponsive","node_id":"n1","old_status":"running"}`})
	if after, _ := s.QueueDepth(ctx); after != before+1 {
		t.Fatalf("queue depth %d -> %d, want +1", before, after)
	}
	a, err := s.Agent(ctx, anyRef("silent"))
	if err != nil || a.Status != herald.AgentUnresponsive || !a.LastSeen.Equal(t0) || !a.StatusChangedAt.Equal(mark) {
		t.Fatalf("marked agent: %+v %v", a, err)
	}
	for _, id := range []string{"recent", "stopped", "crashed"} {
		if a, err := s.Agent(ctx, anyRef(id)); err != nil || a.Status == herald.AgentUnresponsive {
			t.Fatalf("%s was marked: %+v %v", id, a, err)
		}
	}

	// Marked agents are not marked again.
	results, err = s.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: t0.Add(time.Minute), Now: mark.Add(time.Minute)})
	if err != nil || results == nil || len(results) != 0 {
		t.Fatalf("second pass: %+v %v, want none", results, err)
	}

	// A report brings the agent back.
	back := mark.Add(time.Minute)
	res := reportStatus(t, s, herald.AgentReport{AgentID: "silent", Status: "running", Now: back})
	checkEvents(t, "back", res.Events, back,
		wantEvent{"agent.status", `{"agent_id":"silent","new_status":"running","node_id":"n1","old_status":"unresponsive"}`},
		wantEvent{"agent.started", `{"agent_id":"silent","node_id":"n1"}`})

	// Agents seen exactly at Before are not silent before it.
	results, err = s.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: back, Now: back.Add(time.Minute)})
	if err != nil || len(results) != 1 || results[0].Agent.ID != "recent" {
		t.Fatalf("third pass: %+v %v, want recent alone", results, err)
	}
}

func testListAgents(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := ingestT0
	statuses := []string{"running", "stopped", "running", "crashed", "running"}
	for i, status := range statuses {
		reportStatus(t, s, herald.AgentReport{AgentID: fmt.Sprintf("agent-%d", i), Status: status, Now: t0.Add(time.Duration(i) * time.Second)})
	}
	// agent-0 reports last: it is now the most recently seen.
	reportStatus(t, s, herald.AgentReport{AgentID: "agent-0", Status: "running", Now: t0.Add(time.Minute)})

	check := func(f herald.AgentFilter, wantTotal int, wantIDs ...string) {
		t.Helper()
		got, total, err := s.ListAgents(ctx, f)
		if err != nil || total != wantTotal || len(got) != len(wantIDs) {
			t.Fatalf("%+v: %d agents of %d (%v), want %v of %d", f, len(got), total, err, wantIDs, wantTotal)
		}
		for i, id := range wantIDs {
			if got[i].ID != id {
				t.Fatalf("%+v: agent %d is %s, want %s", f, i, got[i].ID, id)
			}
		}
	}
	check(herald.AgentFilter{Tenancy: anyTenant}, 5, "agent-0", "agent-4", "agent-3", "agent-2", "agent-1")
	check(herald.AgentFilter{Tenancy: anyTenant, Status: "running"}, 3, "agent-0", "agent-4", "agent-2")
	check(herald.AgentFilter{Tenancy: anyTenant, Status: "running", Skip: 1, Limit: 1}, 3, "agent-4")
	check(herald.AgentFilter{Tenancy: anyTenant, Skip: 3, Limit: 10}, 5, "agent-2", "agent-1")
	check(herald.AgentFilter{Tenancy: anyTenant, Skip: 10}, 5)
	check(herald.AgentFilter{Tenancy: anyTenant, Status: "unresponsive"}, 0)
}

func testIngestNotFound(t *testing.T, s herald.Store) {
	ctx := context.Background()
	reportStatus(t, s, herald.AgentReport{AgentID: "known", Status: "running"})
	notFound := func(what string, err error) {
		t.Helper()
		if herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("%s: %v, want not found", what, err)
		}
	}
	_, err := s.Agent(ctx, anyRef("missing"))
	notFound("agent", err)
	_, err = s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "missing"})
	notFound("agent logs", err)
	_, err = s.AgentMetrics(ctx, herald.MetricFilter{Tenancy: anyTenant, AgentID: "missing"})
	notFound("agent metrics", err)
	_, err = s.Deployment(ctx, anyRef("missing"))
	notFound("deployment", err)
	if logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "known"}); err != nil || logs == nil || len(logs) != 0 {
		t.Fatalf("logs of a known agent without logs: %v %v", logs, err)
	}
	if points, err := s.AgentMetrics(ctx, herald.MetricFilter{Tenancy: anyTenant, AgentID: "known"}); err != nil || points == nil || len(points) != 0 {
		t.Fatalf("metrics of a known agent without metrics: %v %v", points, err)
	}
	if items, total, err := s.ListDeployments(ctx, herald.DeploymentFilter{Tenancy: anyTenant}); err != nil || items == nil || total != 0 {
		t.Fatalf("deployments of an empty store: %v %d %v", items, total, err)
	}
}

// checkAgentChain reads every event of a store oldest first and checks
// that the agent.status and agent.heartbeat events of agent id form one
// consistent chain (each agent.status starts where the last one ended; a
// heartbeat repeats it), with n reports in all, ending at the agent's
// stored status.
func checkAgentChain(t *testing.T, s herald.Store, id string, n int) {
	t.Helper()
	ctx := context.Background()
	evs, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, Limit: herald.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var (
		current any // nil: not registered yet
		reports int
	)
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		var data map[string]any
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["agent_id"] != id {
			continue
		}
		switch ev.Type {
		case "agent.status":
			if data["old_status"] != current {
				t.Fatalf("report %d: agent.status from %v, but the last one left %v", reports, data["old_status"], current)
			}
			current = data["new_status"]
			reports++
		case "agent.heartbeat":
			if data["status"] != current {
				t.Fatalf("report %d: heartbeat of %v, but the last status was %v", reports, data["status"], current)
			}
			reports++
		}
	}
	a, err := s.Agent(ctx, anyRef(id))
	if err != nil {
		t.Fatal(err)
	}
	if reports != n || a.Status != current {
		t.Fatalf("%d reports in the chain ending at %v, want %d ending at the stored %s", reports, current, n, a.Status)
	}
}

func testAgentReportsSerialized(t *testing.T, s herald.Store) {
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status := "running"
			if i%2 == 1 {
				status = "stopped"
			}
			if _, err := s.ReportAgentStatus(context.Background(), &herald.AgentReport{AgentID: "busy", Status: status}); err != nil {
				t.Errorf("report %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	checkAgentChain(t, s, "busy", n)
}

// Concurrent deployment reports, for one deployment and for several
// deployments of one agent, apply one at a time: the agent's chain stays
// consistent and every report is in its deployment's history.
func testDeploymentReportsSerialized(t *testing.T, s herald.Store) {
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	statuses := []string{"created", "started", "updated", "completed", "failed", "rolled_back"}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := &herald.DeploymentReport{DeploymentID: fmt.Sprintf("dep-%d", i%3), AgentID: "deployed",
				Status: statuses[i%len(statuses)], Error: "e", Reason: "r"}
			if _, err := s.ReportDeployment(context.Background(), r); err != nil {
				t.Errorf("report %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	checkAgentChain(t, s, "deployed", n)
	history := 0
	for i := range 3 {
		d, err := s.Deployment(context.Background(), anyRef(fmt.Sprintf("dep-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		history += len(d.History)
		if last := d.History[len(d.History)-1]; last.Status != d.Status {
			t.Fatalf("%s: status %s, but its last report was %s", d.ID, d.Status, last.Status)
		}
	}
	if history != n {
		t.Fatalf("%d history rows, want %d", history, n)
	}
}
