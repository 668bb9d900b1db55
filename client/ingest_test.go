package client

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

const ingestJSON = `{"agent":{"id":"a1","status":"running","node_id":"n1","last_metrics":{},"last_metrics_at":null,
"last_seen":"2026-01-02T15:04:05Z","status_changed_at":"2026-01-02T15:04:05Z","created_at":"2026-01-02T15:04:05Z",
"updated_at":"2026-01-02T15:04:05Z"},"deployment":{"id":"d1","agent_id":"a1","status":"created"},
"events":[{"id":"evt_1","type":"agent.status"},{"id":"evt_2","type":"agent.started"}]}`

func TestIngestRequests(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

	f := newFake(t, 202, ingestJSON)
	res, err := f.client().Ingest.AgentStatus(ctx, herald.AgentReport{
		AgentID: "a1", Status: "running", NodeID: "n1",
		Logs:     []herald.LogEntry{{Message: "plain"}, {Level: "warn", Message: "slow"}, {Message: "timed", Timestamp: at}},
		Metadata: json.RawMessage(`{"region":"eu"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/ingest/agent-status", `{"agent_id":"a1","status":"running","node_id":"n1",`+
		`"logs":["plain",{"level":"warn","message":"slow"},{"message":"timed","timestamp":"2026-01-02T15:04:05Z"}],"metadata":{"region":"eu"}}`)
	if res.Agent.ID != "a1" || res.Deployment.ID != "d1" || len(res.Events) != 2 || res.Events[1] != (IngestedEvent{"evt_2", "agent.started"}) {
		t.Errorf("result = %+v", res)
	}

	f = newFake(t, 202, ingestJSON)
	if _, err := f.client().Ingest.Deployment(ctx, herald.DeploymentReport{
		DeploymentID: "d1", AgentID: "a1", Status: "updated", Changes: json.RawMessage(`{"replicas":3}`),
	}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/ingest/deployment", `{"deployment_id":"d1","agent_id":"a1","status":"updated","changes":{"replicas":3}}`)

	f = newFake(t, 202, ingestJSON)
	if _, err := f.client().Ingest.Metrics(ctx, herald.MetricsReport{AgentID: "a1", Metrics: map[string]float64{"cpu": 0.5}}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/ingest/metrics", `{"agent_id":"a1","metrics":{"cpu":0.5}}`)

	f = newFake(t, 202, ingestJSON)
	if _, err := f.client().Ingest.Metrics(ctx, herald.MetricsReport{AgentID: "a1", Metrics: map[string]float64{"cpu": 1}, Timestamp: at}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/ingest/metrics", `{"agent_id":"a1","metrics":{"cpu":1},"timestamp":"2026-01-02T15:04:05Z"}`)

	// A JWT goes where the key goes; the server's 403 is typed.
	f = newFake(t, 403, `{"error":{"code":"forbidden","message":"agent_id: this token may report only for agent \"a2\""}}`)
	c := New(f.URL, "eyJhbGciOiJIUzI1NiJ9.e30.sig")
	_, err = c.Ingest.Metrics(ctx, herald.MetricsReport{AgentID: "a1", Metrics: map[string]float64{"cpu": 1}})
	if !IsForbidden(err) {
		t.Fatalf("err = %v", err)
	}
	if got := f.only(t).Header.Get("Authorization"); got != "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestAgentsAndDeploymentsRequests(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 1, 2, 14, 0, 0, 0, time.UTC)

	f := newFake(t, 200, `{"items":[{"id":"a1","status":"running"}],"total":3,"skip":1,"limit":1}`)
	list, err := f.client().Agents.List(ctx, AgentFilter{Status: "running", Skip: 1, Limit: 1})
	if err != nil || list.Total != 3 || list.Items[0].ID != "a1" {
		t.Fatalf("list = %+v %v", list, err)
	}
	f.only(t).expect(t, "GET", "/v1/agents?limit=1&skip=1&status=running", "")

	f = newFake(t, 200, `{"id":"a/1","status":"running"}`)
	if _, err := f.client().Agents.Get(ctx, "a/1"); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/agents/a%2F1", "")

	f = newFake(t, 200, `{"agent_id":"a1","items":["plain",{"level":"warn","message":"slow","timestamp":"2026-01-02T15:04:05Z"}],"limit":10}`)
	logs, err := f.client().Agents.Logs(ctx, "a1", LogOptions{Since: since, Limit: 10})
	if err != nil || len(logs.Items) != 2 || logs.Items[1].Level != "warn" {
		t.Fatalf("logs = %+v %v", logs, err)
	}
	f.only(t).expect(t, "GET", "/v1/agents/a1/logs?limit=10&since=2026-01-02T14%3A00%3A00Z", "")

	f = newFake(t, 200, `{"agent_id":"a1","since":"2026-01-02T14:00:00Z","until":"2026-01-02T15:00:00Z","step":"5m0s",
"buckets":[{"name":"cpu","timestamp":"2026-01-02T14:00:00Z","value":1.5,"min":1,"max":2,"count":2}]}`)
	m, err := f.client().Agents.Metrics(ctx, "a1", MetricsOptions{Name: "cpu", Since: since, Until: since.Add(time.Hour), Step: 5 * time.Minute, Limit: 100})
	if err != nil || m.Step == nil || time.Duration(*m.Step) != 5*time.Minute || len(m.Buckets) != 1 || m.Buckets[0].Value != 1.5 {
		t.Fatalf("metrics = %+v %v", m, err)
	}
	f.only(t).expect(t, "GET", "/v1/agents/a1/metrics?limit=100&name=cpu&since=2026-01-02T14%3A00%3A00Z&step=5m0s&until=2026-01-02T15%3A00%3A00Z", "")

	f = newFake(t, 200, `{"items":[],"total":0,"skip":0,"limit":50}`)
	if _, err := f.client().Deployments.List(ctx, DeploymentFilter{AgentID: "a1", Status: "failed"}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/deployments?agent_id=a1&status=failed", "")

	f = newFake(t, 404, `{"error":{"code":"not_found","message":"deployment \"d1\" not found"}}`)
	if _, err := f.client().Deployments.Get(ctx, "d1"); !IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.client().Agents.Get(ctx, ".."); err == nil {
		t.Fatal("agent id .. accepted")
	}
}

func TestAlertsRequests(t *testing.T) {
	ctx := context.Background()
	rule := `{"id":"alr_1","name":"cpu","metric":"cpu","agg":"max","op":">","threshold":0.9,"window":"10m0s","is_active":true,"state":"ok","value":null}`
	f := newFake(t, 201, rule)
	w := herald.Duration(10 * time.Minute)
	r, err := f.client().Alerts.Create(ctx, herald.AlertInput{Metric: Ptr("cpu"), Agg: Ptr("max"), Op: Ptr(">"), Threshold: Ptr(0.9), Window: &w})
	if err != nil || r.ID != "alr_1" || time.Duration(r.Window) != 10*time.Minute {
		t.Fatalf("create = %+v %v", r, err)
	}
	// encoding/json escapes ">" as \u003e; the server reads it back as ">".
	f.only(t).expect(t, "POST", "/v1/alerts", `{"agg":"max","metric":"cpu","op":"\u003e","threshold":0.9,"window":"10m"}`)

	f = newFake(t, 200, rule)
	if _, err := f.client().Alerts.Update(ctx, "alr_1", herald.AlertInput{IsActive: Ptr(false), WebhookID: Ptr("")}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "PATCH", "/v1/alerts/alr_1", `{"is_active":false,"webhook_id":""}`)

	f = newFake(t, 200, `{"items":[`+rule+`],"total":1,"skip":0,"limit":50}`)
	if list, err := f.client().Alerts.List(ctx, ListOptions{Limit: 5}); err != nil || list.Items[0].Op != ">" {
		t.Fatalf("list = %+v %v", list, err)
	}
	f.only(t).expect(t, "GET", "/v1/alerts?limit=5", "")

	f = newFake(t, 204, "")
	if err := f.client().Alerts.Delete(ctx, "alr_1"); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "DELETE", "/v1/alerts/alr_1", "")
}
