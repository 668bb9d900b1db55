package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// metricsBase is a minute boundary half an hour ago: the test metrics are
// reported at metricsBase+10s and +20s, in one 1-minute bucket.
func metricsBase() time.Time { return time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Minute) }

// seedAgents reports two agents, two deployments, logs and metrics.
func seedAgents(ts *testServer, base time.Time) {
	ts.t.Helper()
	logAt := base.Add(5 * time.Second).Format(time.RFC3339Nano)
	ts.report("/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "node_id": "n1",
		"metadata": map[string]any{"region": "eu"},
		"logs":     []any{"booting", map[string]any{"level": "WARN", "message": "slow disk", "timestamp": logAt}}})
	ts.report("/ingest/agent-status", map[string]any{"agent_id": "a2", "status": "running", "node_id": "n2"})
	ts.report("/ingest/deployment", map[string]any{"deployment_id": "d1", "agent_id": "a1", "status": "created", "version": "v1"})
	ts.report("/ingest/deployment", map[string]any{"deployment_id": "d1", "agent_id": "a1", "status": "updated", "changes": map[string]any{"replicas": 3}})
	ts.report("/ingest/deployment", map[string]any{"deployment_id": "d1", "agent_id": "a1", "status": "failed", "error": "image pull failed"})
	ts.report("/ingest/deployment", map[string]any{"deployment_id": "d2", "agent_id": "a2", "status": "completed", "version": "v7"})
	ts.report("/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]any{"cpu": 0.5, "mem_mb": 100}, "timestamp": base.Add(10 * time.Second)})
	ts.report("/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]any{"cpu": 1.5}, "timestamp": base.Add(20 * time.Second)})
}

// TestAgentReadRoutes reads agents, logs, metrics and deployments back
// over HTTP.
func TestAgentReadRoutes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		base := metricsBase()
		seedAgents(ts, base)

		var agents struct {
			Items []herald.Agent `json:"items"`
			Total int            `json:"total"`
			Skip  int            `json:"skip"`
			Limit int            `json:"limit"`
		}
		// The two reported agents and the default agent of the first start.
		ts.must(200, "GET", "/v1/agents", nil, &agents)
		if agents.Total != 3 || len(agents.Items) != 3 || agents.Limit != herald.DefaultLimit {
			t.Fatalf("agents: %+v", agents)
		}
		ts.must(200, "GET", "/v1/agents?status=failed", nil, &agents)
		if agents.Total != 1 || agents.Items[0].ID != "a1" {
			t.Fatalf("failed agents: %+v", agents)
		}
		ts.must(200, "GET", "/v1/agents?skip=1&limit=1", nil, &agents)
		if agents.Total != 3 || len(agents.Items) != 1 || agents.Skip != 1 {
			t.Fatalf("paged agents: %+v", agents)
		}
		var a herald.Agent
		ts.must(200, "GET", "/v1/agents/a1", nil, &a)
		if a.Status != "failed" || a.NodeID != "n1" || a.Error != "image pull failed" || a.LastMetrics["cpu"] != 1.5 ||
			a.LastMetrics["mem_mb"] != 100 || !strings.Contains(string(a.Metadata), "eu") {
			t.Fatalf("agent a1: %+v", a)
		}
		if status, body := ts.do("GET", "/v1/agents/nope", nil); status != 404 {
			t.Fatalf("unknown agent: %d %s", status, body)
		}

		var logs struct {
			Items []herald.LogEntry `json:"items"`
		}
		ts.must(200, "GET", "/v1/agents/a1/logs", nil, &logs)
		// Oldest first: the warning carries its own, earlier, time.
		if len(logs.Items) != 2 || logs.Items[1].Message != "booting" || logs.Items[1].Level != "info" ||
			logs.Items[0].Level != "warn" || logs.Items[0].Message != "slow disk" {
			t.Fatalf("logs: %+v", logs)
		}
		ts.must(200, "GET", "/v1/agents/a1/logs?since="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))+"&limit=5", nil, &logs)
		if len(logs.Items) != 0 {
			t.Fatalf("logs from the future: %+v", logs)
		}
		if status, _ := ts.do("GET", "/v1/agents/nope/logs", nil); status != 404 {
			t.Fatalf("logs of an unknown agent: %d", status)
		}

		var points struct {
			Points  []herald.MetricPoint  `json:"points"`
			Buckets []herald.MetricBucket `json:"buckets"`
		}
		ts.must(200, "GET", "/v1/agents/a1/metrics?since=1h", nil, &points)
		if len(points.Points) != 3 || points.Buckets != nil {
			t.Fatalf("points: %+v", points)
		}
		ts.must(200, "GET", "/v1/agents/a1/metrics?name=cpu&since=1h", nil, &points)
		if len(points.Points) != 2 || points.Points[0].Value != 0.5 || !points.Points[1].Timestamp.Equal(base.Add(20*time.Second)) {
			t.Fatalf("cpu points: %+v", points)
		}
		q := fmt.Sprintf("name=cpu&since=%s&until=%s&step=1m", base.Format(time.RFC3339), base.Add(time.Minute).Format(time.RFC3339))
		ts.must(200, "GET", "/v1/agents/a1/metrics?"+q, nil, &points)
		if len(points.Buckets) != 1 || points.Buckets[0].Value != 1 || points.Buckets[0].Count != 2 ||
			points.Buckets[0].Min != 0.5 || points.Buckets[0].Max != 1.5 || !points.Buckets[0].Start.Equal(base) {
			t.Fatalf("cpu buckets: %+v", points)
		}
		if status, body := ts.do("GET", "/v1/agents/a1/metrics?step=soon", nil); status != 400 || !strings.Contains(string(body), "step") {
			t.Fatalf("bad step: %d %s", status, body)
		}

		var deps struct {
			Items []herald.Deployment `json:"items"`
			Total int                 `json:"total"`
		}
		ts.must(200, "GET", "/v1/deployments", nil, &deps)
		if deps.Total != 2 {
			t.Fatalf("deployments: %+v", deps)
		}
		ts.must(200, "GET", "/v1/deployments?agent_id=a1", nil, &deps)
		if deps.Total != 1 || deps.Items[0].ID != "d1" || deps.Items[0].Status != "failed" || deps.Items[0].Version != "v1" {
			t.Fatalf("deployments of a1: %+v", deps)
		}
		ts.must(200, "GET", "/v1/deployments?status=completed", nil, &deps)
		if deps.Total != 1 || deps.Items[0].ID != "d2" {
			t.Fatalf("completed deployments: %+v", deps)
		}
		var d herald.Deployment
		ts.must(200, "GET", "/v1/deployments/d1", nil, &d)
		if len(d.History) != 3 || d.History[0].Status != "created" || d.History[2].Status != "failed" || d.Error != "image pull failed" {
			t.Fatalf("deployment d1: %+v", d)
		}
		if status, _ := ts.do("GET", "/v1/deployments/nope", nil); status != 404 {
			t.Fatalf("unknown deployment: %d", status)
		}
	})
}

// TestSDKIngestAndRead drives c.Ingest (with a key and with a JWT),
// c.Agents and c.Deployments against a real server.
func TestSDKIngestAndRead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, func(c *Config) { c.JWTSecret = jwtSecret })
		ctx := context.Background()
		admin := client.New(ts.URL(), ts.key)
		k, err := admin.Keys.Create(ctx, "agents", herald.ScopeIngest)
		if err != nil {
			t.Fatal(err)
		}
		agent := client.New(ts.URL(), k.Key)
		res, err := agent.Ingest.AgentStatus(ctx, herald.AgentReport{AgentID: "s1", Status: "running", NodeID: "n1",
			Logs: []herald.LogEntry{{Message: "up"}, {Level: "error", Message: "disk", Timestamp: time.Now().Add(-time.Second)}}})
		if err != nil || res.Agent.Status != "running" || len(res.Events) != 2 || res.Events[1].Type != "agent.started" || res.Events[0].ID == "" {
			t.Fatalf("agent status: %+v %v", res, err)
		}
		token := hs256Token(t, inAnHour(jwt.MapClaims{"agent_id": "s1"}))
		byToken := client.New(ts.URL(), token)
		res, err = byToken.Ingest.Deployment(ctx, herald.DeploymentReport{DeploymentID: "sd1", AgentID: "s1", Status: "created", Version: "v3"})
		if err != nil || res.Deployment == nil || res.Deployment.Version != "v3" {
			t.Fatalf("deployment by JWT: %+v %v", res, err)
		}
		res, err = byToken.Ingest.Metrics(ctx, herald.MetricsReport{AgentID: "s1", Metrics: map[string]float64{"tokens": 42}})
		if err != nil || res.Events[0].Type != "metrics.report" {
			t.Fatalf("metrics by JWT: %+v %v", res, err)
		}
		if _, err := byToken.Ingest.Metrics(ctx, herald.MetricsReport{AgentID: "s2", Metrics: map[string]float64{"x": 1}}); !client.IsForbidden(err) {
			t.Fatalf("JWT for another agent: %v", err)
		}
		if _, err := byToken.Agents.List(ctx, client.AgentFilter{}); !client.IsUnauthorized(err) {
			t.Fatalf("JWT on /v1/agents: %v", err)
		}
		if _, err := agent.Ingest.AgentStatus(ctx, herald.AgentReport{AgentID: "s1", Status: "Bad!"}); !client.IsInvalid(err) || !strings.Contains(err.Error(), "status") {
			t.Fatalf("bad status: %v", err)
		}

		list, err := admin.Agents.List(ctx, client.AgentFilter{Status: "deploying"})
		if err != nil || list.Total != 1 || list.Items[0].ID != "s1" {
			t.Fatalf("agents: %+v %v", list, err)
		}
		a, err := admin.Agents.Get(ctx, "s1")
		if err != nil || a.LastMetrics["tokens"] != 42 {
			t.Fatalf("agent: %+v %v", a, err)
		}
		if _, err := admin.Agents.Get(ctx, "nope"); !client.IsNotFound(err) {
			t.Fatalf("unknown agent: %v", err)
		}
		logs, err := admin.Agents.Logs(ctx, "s1", client.LogOptions{Limit: 10})
		if err != nil || len(logs.Items) != 2 || logs.Limit != 10 {
			t.Fatalf("logs: %+v %v", logs, err)
		}
		m, err := admin.Agents.Metrics(ctx, "s1", client.MetricsOptions{Name: "tokens", Since: time.Now().Add(-time.Hour), Step: time.Hour})
		if err != nil || len(m.Buckets) == 0 || m.Buckets[len(m.Buckets)-1].Value != 42 || m.Step == nil {
			t.Fatalf("metrics: %+v %v", m, err)
		}
		deps, err := admin.Deployments.List(ctx, client.DeploymentFilter{AgentID: "s1"})
		if err != nil || deps.Total != 1 {
			t.Fatalf("deployments: %+v %v", deps, err)
		}
		d, err := admin.Deployments.Get(ctx, "sd1")
		if err != nil || len(d.History) != 1 || d.History[0].Version != "v3" {
			t.Fatalf("deployment: %+v %v", d, err)
		}
	})
}

// TestAgentsCLIAgainstServer runs the agents and deployments commands
// against a real server.
func TestAgentsCLIAgainstServer(t *testing.T) {
	ts := startServer(t)
	base := metricsBase()
	seedAgents(ts, base)
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := newRootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--server", ts.URL(), "--data-dir", ts.Config.DataDir}, args...))
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	out := run("agents", "list")
	if !strings.Contains(out, "a1") || !strings.Contains(out, "a2") || !strings.Contains(out, "LAST SEEN") {
		t.Fatalf("agents list:\n%s", out)
	}
	assertAligned(t, out, "ID", "STATUS", "NODE", "LAST SEEN")
	if out := run("agents", "list", "--status", "running"); strings.Contains(out, "a1 ") || !strings.Contains(out, "a2") {
		t.Fatalf("agents list --status running:\n%s", out)
	}
	if out := run("agents", "get", "a1"); !strings.Contains(out, "cpu=1.5") || !strings.Contains(out, "image pull failed") {
		t.Fatalf("agents get:\n%s", out)
	}
	if out := run("agents", "logs", "a1", "--since", "1h"); !strings.Contains(out, "slow disk") || !strings.Contains(out, "warn") {
		t.Fatalf("agents logs:\n%s", out)
	}
	out = run("agents", "metrics", "a1", "--name", "cpu", "--since", base.Format(time.RFC3339),
		"--until", base.Add(time.Minute).Format(time.RFC3339), "--step", "1m")
	if !strings.Contains(out, "AVG") || !strings.Contains(out, "cpu") || !strings.Contains(out, base.Format(time.RFC3339)) {
		t.Fatalf("agents metrics --step:\n%s", out)
	}
	var m struct {
		Points []herald.MetricPoint `json:"points"`
	}
	if err := json.Unmarshal([]byte(run("agents", "metrics", "a1", "--since", "2h", "-o", "json")), &m); err != nil || len(m.Points) != 3 {
		t.Fatalf("agents metrics -o json: %+v %v", m, err)
	}
	if out := run("deployments", "list", "--agent", "a1"); !strings.Contains(out, "d1") || strings.Contains(out, "d2") {
		t.Fatalf("deployments list --agent:\n%s", out)
	}
	if out := run("deployments", "list", "--status", "completed"); !strings.Contains(out, "d2") || strings.Contains(out, "d1") {
		t.Fatalf("deployments list --status:\n%s", out)
	}
	out = run("deployments", "get", "d1")
	for _, want := range []string{"created", "updated", "failed", "image pull failed", `{"replicas":3}`} {
		if !strings.Contains(out, want) {
			t.Errorf("deployments get lacks %q:\n%s", want, out)
		}
	}
}
