package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/pgtest"
)

// TestExportImportRoundTrip moves a SQLite server's data to PostgreSQL with
// "herald export" and "herald import": webhooks keep their secrets, keys
// keep working, history keeps every attempt, and a delivery still pending
// at export is delivered by the new server. Agents keep their state, all
// their log lines and metric points, deployments their history, and alert
// rules their state. A named inbound webhook keeps its secret, the generic
// endpoint its secret, invocations and the inbound request log their
// rows, and a claimed delivery id is still refused as a duplicate.
// PostgreSQL then exports exactly what SQLite did, also after a second
// import of the same dump.
func TestExportImportRoundTrip(t *testing.T) {
	_, pgURL := pgtest.Schema(t)
	ok := newReceiver(t, statuses(200))
	down := newReceiver(t, statuses(503, 200))

	src := startServer(t, func(c *Config) { c.RetrySchedule = "1h"; c.AlertInterval = 50 * time.Millisecond })
	// Ingested first, so that no webhook gets deliveries of its events.
	alertID := seedIngestion(src)
	inbound := seedInbound(src)
	var srcAgent herald.Agent
	src.must(200, "GET", "/v1/agents/"+exportAgent, nil, &srcAgent)
	var srcDeployment herald.Deployment
	src.must(200, "GET", "/v1/deployments/"+exportDeployment, nil, &srcDeployment)
	good := src.createWebhook(map[string]any{"url": ok.URL, "events": []string{"agent.*"}, "secret": "secret-for-ok",
		"headers": map[string]string{"X-Team": "ops"}, "retry_schedule": []string{"2s"}})
	later := src.createWebhook(map[string]any{"url": down.URL, "events": []string{"deployment.*"}, "max_retries": 5})
	// A custom event type with two versions, and a rotated secret that
	// still signs.
	for _, desc := range []string{"An order was paid.", "An order was paid in full."} {
		status, body := src.do("PUT", "/v1/event-types/order.paid", map[string]any{"description": desc,
			"schema": map[string]any{"type": "object"}})
		if status != http.StatusOK && status != http.StatusCreated {
			t.Fatalf("put event type: %d %s", status, body)
		}
	}
	src.must(http.StatusOK, "POST", "/v1/webhooks/"+later.ID+"/secret/rotate", map[string]any{"grace_period": "24h"}, nil)
	var catalogue struct {
		Total int `json:"total"`
	}
	src.must(http.StatusOK, "GET", "/v1/event-types", nil, &catalogue)
	var ingest herald.APIKey
	src.must(201, "POST", "/v1/keys", map[string]string{"name": "agent", "scope": "ingest"}, &ingest)
	evA, _ := src.publish("agent.status", map[string]any{"agent_id": "a1", "note": "<&> é 🚀", "n": 1.5})
	evB, _ := src.publish("deployment.failed", map[string]any{"deployment_id": "d1"})
	dA := src.waitDelivery(good.ID, src.deliveryOf(evA).ID, 10*time.Second)
	recv(t, down.hits, "first attempt at the failing receiver") // 503; the retry is an hour away
	dB := src.deliveryOf(evB)
	var beforeB herald.Delivery
	for beforeB.Attempts == 0 { // until the failed attempt is recorded
		src.must(200, "GET", "/v1/webhooks/"+later.ID+"/deliveries/"+dB.ID, nil, &beforeB)
		if beforeB.Attempts == 0 {
			recv(t, src.attempts, "recorded attempt")
		}
	}
	if beforeB.Status != "pending" || beforeB.Attempts != 1 {
		t.Fatalf("setup: delivery B is %s after %d attempts", beforeB.Status, beforeB.Attempts)
	}
	var srcEvent herald.Event
	src.must(200, "GET", "/v1/events/"+evA, nil, &srcEvent)
	var events struct {
		Total int `json:"total"`
	}
	src.must(200, "GET", "/v1/events?limit=1", nil, &events)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	dump := runExport(t, "--data-dir", src.Config.DataDir)
	// 2 webhooks, 2 keys, the events, 2 deliveries; one agent with 1200
	// lines in 2 records and 4 points in one, and the default agent; one
	// deployment, one alert; one named inbound webhook, the generic
	// secret, 2 invocations with 2 logged requests, and one claim; the
	// event catalogue (the built-in types and order.paid) and the rotated
	// webhook's previous secret.
	want := map[string]int{"event_type": catalogue.Total, "webhook": 2, "webhook_secrets": 1, "api_key": 2, "event": events.Total, "delivery": 2,
		"agent": 2, "agent_logs": 2, "metric_points": 1, "deployment": 1, "alert": 1,
		"inbound_webhook": 1, "inbound_secret": 1, "invocation": 2, "inbound_request": 2, "inbound_claim": 1}
	if got := countRecords(t, dump); !reflect.DeepEqual(got, want) {
		t.Fatalf("export wrote %v, want %v", got, want)
	}
	records := bytes.Count(dump, []byte("\n"))
	for i := 0; i < 2; i++ { // a second import changes nothing
		root := newRootCmd()
		root.SetIn(bytes.NewReader(dump))
		var stderr bytes.Buffer
		root.SetErr(&stderr)
		root.SetArgs([]string{"import", "--database", pgURL})
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("import %d: %v", i+1, err)
		}
		want := fmt.Sprintf("imported %d records: %d new, 0 already present\n", records, records)
		if i == 1 {
			want = fmt.Sprintf("imported %d records: 0 new, %d already present\n", records, records)
		}
		if stderr.String() != want {
			t.Errorf("import %d: stderr %q, want %q", i+1, stderr.String(), want)
		}
		if again := runExport(t, "--database", pgURL); !bytes.Equal(again, dump) {
			t.Fatalf("after import %d, PostgreSQL exports another dump than SQLite: %s", i+1, firstDiff(again, dump))
		}
	}

	dst := startServer(t, func(c *Config) { c.Database = pgURL; c.RetrySchedule = "1h" })
	dst.key = src.key // the admin key came along; no new one was made
	if dst.AdminKey != "" {
		t.Fatal("the new server made a first key although keys were imported")
	}
	var gotA herald.Delivery
	dst.must(200, "GET", "/v1/webhooks/"+good.ID+"/deliveries/"+dA.ID, nil, &gotA)
	if !reflect.DeepEqual(stripTimes(&gotA), stripTimes(dA)) || !gotA.CreatedAt.Equal(dA.CreatedAt) {
		t.Fatalf("delivery A changed:\n got %+v\nwant %+v", gotA, *dA)
	}
	var et herald.EventType
	dst.must(http.StatusOK, "GET", "/v1/event-types/order.paid", nil, &et)
	if et.Version != 2 || len(et.Versions) != 2 || et.Versions[0].Description != "An order was paid." {
		t.Fatalf("event type imported: %+v", et)
	}
	var rotated herald.Webhook
	dst.must(http.StatusOK, "GET", "/v1/webhooks/"+later.ID, nil, &rotated)
	if rotated.SecretRotatedAt == nil || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotated webhook imported without its previous secret: %+v", rotated)
	}
	var hook herald.Webhook
	dst.must(200, "GET", "/v1/webhooks/"+good.ID, nil, &hook)
	if hook.Headers["X-Team"] != "ops" || len(hook.RetrySchedule) != 1 || hook.RetrySchedule[0] != 2*time.Second {
		t.Fatalf("webhook changed: %+v", hook)
	}
	var evGot herald.Event
	dst.must(200, "GET", "/v1/events/"+evA, nil, &evGot)
	if string(evGot.Data) != string(srcEvent.Data) || !evGot.Created.Equal(srcEvent.Created) || !bytes.Contains(evGot.Data, []byte("<&>")) {
		t.Fatalf("event changed: %s at %s, was %s at %s", evGot.Data, evGot.Created, srcEvent.Data, srcEvent.Created)
	}
	// The ingest key still authenticates (its hash moved), with its scope.
	dst.key = ingest.Key
	if status, _ := dst.do("GET", "/v1/webhooks", nil); status != http.StatusForbidden {
		t.Fatalf("imported ingest key: %d, want 403", status)
	}
	dst.key = src.key

	// The pending delivery was queued again on PostgreSQL, and its retry
	// there is signed with the imported secret.
	c := recv(t, down.hits, "request at the receiver")
	if c.Header.Get("webhook-id") != evB {
		t.Fatalf("redelivered %q, want %s", c.Header.Get("webhook-id"), evB)
	}
	gotB := dst.waitDelivery(later.ID, dB.ID, 10*time.Second)
	if !gotB.Success || gotB.Attempts != 2 || len(gotB.AttemptList) != 2 {
		t.Fatalf("delivery B after import: %+v", gotB)
	}

	checkIngestion(dst, &srcAgent, &srcDeployment, alertID)
	checkInbound(dst, inbound)
}

// The named inbound webhook and the secrets of seedInbound.
const (
	exportInboundName   = "exp-alerts"
	exportInboundSecret = "whsec_named-export-secret"
	exportGenericSecret = "generic-export-secret"
	exportRequestID     = "exp-delivery-1"
)

// inboundSeed is what seedInbound stored, as the source server read it
// back.
type inboundSeed struct {
	invocations []json.RawMessage // GET /v1/invocations/{id}
	ids         []string
	requests    json.RawMessage // GET /api/webhooks/{name}/requests
}

// seedInbound creates a named inbound webhook for the default agent and
// sets the generic secret, then makes a sync invocation through the
// generic endpoint and one through the named webhook, with a delivery id
// that the server claims. It returns the invocations and the named
// webhook's request log as the server answers them.
func seedInbound(ts *testServer) *inboundSeed {
	ts.t.Helper()
	ts.must(201, "POST", "/api/webhooks", map[string]any{"name": exportInboundName, "agent": herald.DefaultAgentID,
		"secret": exportInboundSecret, "description": "alerts <&>", "transform": map[string]any{
			"message_template": "Alert: {{name}}", "context_mapping": map[string]string{"sev": "$.severity"}}}, nil)
	ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]string{"secret": exportGenericSecret}, nil)
	seed := &inboundSeed{}
	for _, c := range []struct {
		path, secret, body string
		header             http.Header
	}{
		{"/api/webhooks/generic", exportGenericSecret, `{"agent":"default","message":"hello <&> é","context":{"n":1.50}}`, nil},
		{"/api/webhooks/" + exportInboundName, exportInboundSecret, `{"name":"disk full","severity":"critical"}`,
			http.Header{"X-Request-Id": {exportRequestID}}},
	} {
		status, out := postInbound(ts, c.path, c.secret, c.body, c.header)
		var answer struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(out, &answer); status != 200 || err != nil || answer.RequestID == "" {
			ts.t.Fatalf("POST %s: %d %s", c.path, status, out)
		}
		var inv json.RawMessage
		ts.must(200, "GET", "/v1/invocations/"+answer.RequestID, nil, &inv)
		seed.ids = append(seed.ids, answer.RequestID)
		seed.invocations = append(seed.invocations, inv)
	}
	ts.must(200, "GET", "/api/webhooks/"+exportInboundName+"/requests", nil, &seed.requests)
	return seed
}

// checkInbound checks what seedInbound stored on the server it was imported
// into: the invocations and request log read back the same, the secrets
// still authenticate, and the claimed delivery id is a duplicate.
func checkInbound(ts *testServer, seed *inboundSeed) {
	ts.t.Helper()
	for i, id := range seed.ids {
		var inv json.RawMessage
		ts.must(200, "GET", "/v1/invocations/"+id, nil, &inv)
		if !bytes.Equal(inv, seed.invocations[i]) {
			ts.t.Fatalf("invocation %s changed:\n got %s\nwant %s", id, inv, seed.invocations[i])
		}
	}
	var reqs json.RawMessage
	ts.must(200, "GET", "/api/webhooks/"+exportInboundName+"/requests", nil, &reqs)
	if !bytes.Equal(reqs, seed.requests) {
		ts.t.Fatalf("request log changed:\n got %s\nwant %s", reqs, seed.requests)
	}
	var hook herald.InboundWebhook
	ts.must(200, "GET", "/api/webhooks/"+exportInboundName, nil, &hook)
	if hook.Agent != herald.DefaultAgentID || hook.Transform.MessageTemplate != "Alert: {{name}}" || hook.LastTriggeredAt == nil {
		ts.t.Fatalf("inbound webhook changed: %+v", hook)
	}
	if status, out := postInbound(ts, "/api/webhooks/"+exportInboundName, "whsec_not-the-secret", `{}`, nil); status != http.StatusUnauthorized {
		ts.t.Fatalf("named webhook with a wrong secret: %d %s, want 401", status, out)
	}
	status, out := postInbound(ts, "/api/webhooks/"+exportInboundName, exportInboundSecret, `{"name":"again"}`,
		http.Header{"X-Request-Id": {exportRequestID}})
	if status != 200 || !bytes.Contains(out, []byte(`"duplicate":true`)) {
		ts.t.Fatalf("claimed delivery id after import: %d %s, want a duplicate", status, out)
	}
	if status, out := postInbound(ts, "/api/webhooks/"+exportInboundName, exportInboundSecret, `{"name":"new"}`, nil); status != 200 ||
		!bytes.Contains(out, []byte(`"response":"Alert: new"`)) {
		ts.t.Fatalf("named webhook after import: %d %s", status, out)
	}
	if status, out := postInbound(ts, "/api/webhooks/generic", exportGenericSecret, `{"agent":"default","message":"hi"}`, nil); status != 200 {
		ts.t.Fatalf("generic webhook after import: %d %s", status, out)
	}
}

// postInbound posts body to an inbound endpoint with secret as
// X-Webhook-Secret (and no API key), and returns the status and answer.
func postInbound(ts *testServer, path, secret, body string, header http.Header) (int, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest("POST", ts.URL()+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Secret", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode, out
}

// The agent and deployment of seedIngestion.
const (
	exportAgent      = "exp-a1"
	exportDeployment = "exp-d1"
)

// seedIngestion reports, through the ingestion routes, an agent with 1200
// log lines at one time (more than an export record holds), the same two
// metrics twice at one time, and a deployment through three statuses, and
// creates an alert rule on the agent's cpu, which it waits to see
// triggered. It returns the rule's ID.
func seedIngestion(ts *testServer) string {
	ts.t.Helper()
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	for part := 0; part < 2; part++ {
		logs := make([]any, 600)
		for i := range logs {
			logs[i] = map[string]any{"level": "info", "message": fmt.Sprintf("line %d", part*600+i), "timestamp": at}
		}
		logs[1] = "plain <&> é 🚀" // at the report's time
		ts.must(202, "POST", "/ingest/agent-status", map[string]any{"agent_id": exportAgent, "status": "running",
			"node_id": "n1", "metadata": map[string]any{"region": "eu", "zone": 2}, "logs": logs}, nil)
	}
	for range 2 {
		ts.must(202, "POST", "/ingest/metrics", map[string]any{"agent_id": exportAgent,
			"metrics": map[string]float64{"cpu": 91.5, "mem": 0.25}, "timestamp": at}, nil)
	}
	for _, r := range []map[string]any{
		{"status": "created", "version": "1.2.0"},
		{"status": "updated", "changes": map[string]any{"replicas": 3}},
		{"status": "failed", "error": "health check failed"},
	} {
		r["deployment_id"], r["agent_id"] = exportDeployment, exportAgent
		ts.must(202, "POST", "/ingest/deployment", r, nil)
	}
	var rule herald.AlertRule
	ts.must(201, "POST", "/v1/alerts", map[string]any{"name": "cpu high", "metric": "cpu", "agg": "max", "op": ">",
		"threshold": 90, "window": "1h", "agent_id": exportAgent}, &rule)
	for deadline := time.Now().Add(10 * time.Second); rule.State != herald.AlertTriggered; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			ts.t.Fatalf("alert rule still %s after 10s: %+v", rule.State, rule)
		}
		ts.must(200, "GET", "/v1/alerts/"+rule.ID, nil, &rule)
	}
	return rule.ID
}

// checkIngestion checks what seedIngestion stored on the server it was
// imported into.
func checkIngestion(ts *testServer, agent *herald.Agent, dep *herald.Deployment, alertID string) {
	ts.t.Helper()
	var a herald.Agent
	ts.must(200, "GET", "/v1/agents/"+exportAgent, nil, &a)
	if !a.LastSeen.Equal(agent.LastSeen) || !a.CreatedAt.Equal(agent.CreatedAt) || a.Status != "failed" ||
		string(a.Metadata) != `{"region":"eu","zone":2}` || a.LastMetrics["cpu"] != 91.5 || a.Error != "health check failed" {
		ts.t.Fatalf("agent changed:\n got %+v\nwant %+v", a, *agent)
	}
	var logs struct {
		Items []herald.LogEntry `json:"items"`
	}
	ts.must(200, "GET", "/v1/agents/"+exportAgent+"/logs?limit=1000", nil, &logs)
	if len(logs.Items) != 1000 || logs.Items[0].Message != "line 0" || logs.Items[999].Message != "line 1001" {
		ts.t.Fatalf("logs: %d lines, %+v … %+v", len(logs.Items), logs.Items[0], logs.Items[len(logs.Items)-1])
	}
	var metrics struct {
		Points []herald.MetricPoint `json:"points"`
	}
	ts.must(200, "GET", "/v1/agents/"+exportAgent+"/metrics?since=2h", nil, &metrics)
	if len(metrics.Points) != 4 {
		ts.t.Fatalf("metric points: %+v, want 4", metrics.Points)
	}
	var d herald.Deployment
	ts.must(200, "GET", "/v1/deployments/"+exportDeployment, nil, &d)
	if len(d.History) != 3 || d.History[1].Status != "updated" || string(d.History[1].Changes) != `{"replicas":3}` ||
		!d.History[2].At.Equal(dep.History[2].At) || d.Status != "failed" || d.Version != "1.2.0" {
		ts.t.Fatalf("deployment changed:\n got %+v\nwant %+v", d, *dep)
	}
	var rule herald.AlertRule
	ts.must(200, "GET", "/v1/alerts/"+alertID, nil, &rule)
	if rule.State != herald.AlertTriggered || rule.TriggeredAt == nil || rule.Window != herald.Duration(time.Hour) {
		ts.t.Fatalf("alert rule changed: %+v", rule)
	}
}

// runExport runs "herald export" with args and returns what it wrote.
func runExport(t *testing.T, args ...string) []byte {
	t.Helper()
	var dump bytes.Buffer
	root := newRootCmd()
	root.SetOut(&dump)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"export"}, args...))
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("export %v: %v", args, err)
	}
	return dump.Bytes()
}

// countRecords counts the records of a dump by kind (their one key).
func countRecords(t *testing.T, dump []byte) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(dump), []byte("\n")) {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(line, &rec); err != nil || len(rec) != 1 {
			t.Fatalf("record %s: %v", line, err)
		}
		for k := range rec {
			out[k]++
		}
	}
	return out
}

// stripTimes returns d without its time fields, which JSON carries with
// their own zones, for comparison.
func stripTimes(d *herald.Delivery) herald.Delivery {
	c := *d
	c.CreatedAt, c.LastAttemptAt, c.NextAttemptAt, c.DeliveredAt = time.Time{}, nil, nil, nil
	c.AttemptList = nil
	for _, a := range d.AttemptList {
		ac := *a
		ac.StartedAt = time.Time{}
		c.AttemptList = append(c.AttemptList, &ac)
	}
	return c
}

// firstDiff describes the first line where dumps got and want differ,
// cut to its first differing bytes.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if bytes.Equal(gl, wl) {
			continue
		}
		at := 0
		for at < min(len(gl), len(wl)) && gl[at] == wl[at] {
			at++
		}
		from := max(at-200, 0)
		return fmt.Sprintf("line %d\n got …%.400s\nwant …%.400s", i+1, gl[from:], wl[from:])
	}
	return "no line differs"
}
