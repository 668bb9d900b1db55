package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
)

// fakeStore implements the few Store methods the handlers under test call;
// any other call panics on the nil embedded interface.
type fakeStore struct {
	herald.Store
	mu       sync.Mutex
	keys     map[string]*herald.APIKey // by hash
	reports  []string                  // agent ids reported for, in order
	webhooks map[string]string         // tenant by webhook id
	points   []herald.MetricPoint
	metricF  herald.MetricFilter
}

func (f *fakeStore) APIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error) {
	if k := f.keys[hash]; k != nil {
		return k, nil
	}
	return nil, herald.Errorf(herald.ENOTFOUND, "no key")
}

func (f *fakeStore) TouchAPIKey(context.Context, herald.TouchAPIKeyParams) error { return nil }

func (f *fakeStore) result(agentID, status string, types ...string) *herald.ReportResult {
	f.mu.Lock()
	f.reports = append(f.reports, agentID)
	f.mu.Unlock()
	res := &herald.ReportResult{Agent: &herald.Agent{ID: agentID, Status: status}}
	for i, typ := range types {
		res.Events = append(res.Events, &herald.Event{ID: "evt_" + string(rune('a'+i)), Type: typ})
	}
	return res
}

func (f *fakeStore) ReportAgentStatus(ctx context.Context, r *herald.AgentReport) (*herald.ReportResult, error) {
	if r.Now.IsZero() {
		return nil, herald.Errorf(herald.EINTERNAL, "no time")
	}
	return f.result(r.AgentID, r.Status, "agent.status", "agent.started"), nil
}

func (f *fakeStore) ReportDeployment(ctx context.Context, r *herald.DeploymentReport) (*herald.ReportResult, error) {
	res := f.result(r.AgentID, "deploying", "deployment.created")
	res.Deployment = &herald.Deployment{ID: r.DeploymentID, AgentID: r.AgentID, Status: r.Status}
	return res, nil
}

func (f *fakeStore) ReportMetrics(ctx context.Context, r *herald.MetricsReport) (*herald.ReportResult, error) {
	return f.result(r.AgentID, "unknown", "metrics.report"), nil
}

func (f *fakeStore) Webhook(ctx context.Context, ref herald.Ref) (*herald.Webhook, error) {
	if tenant, ok := f.webhooks[ref.ID]; ok && ref.Tenancy.Allows(tenant) {
		return &herald.Webhook{ID: ref.ID, TenantID: herald.TenantID(tenant)}, nil
	}
	return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
}

func (f *fakeStore) CreateAlert(ctx context.Context, r *herald.AlertRule) error {
	r.ID = "alr_1"
	return nil
}

func (f *fakeStore) AgentMetrics(ctx context.Context, mf herald.MetricFilter) ([]herald.MetricPoint, error) {
	f.metricF = mf
	return f.points, nil
}

// apiTest is an API server on a fake store, with an admin key, an ingest
// key and HS256 JWTs.
type apiTest struct {
	t     *testing.T
	srv   *httptest.Server
	store *fakeStore
}

const (
	adminKey  = "hk_admin"
	ingestKey = "hk_ingest"
)

func newAPITest(t *testing.T, mutate ...func(*Config)) *apiTest {
	t.Helper()
	store := &fakeStore{keys: map[string]*herald.APIKey{
		herald.HashAPIKey(adminKey):  {ID: "key_a", Scope: herald.ScopeAdmin},
		herald.HashAPIKey(ingestKey): {ID: "key_i", Scope: herald.ScopeIngest},
	}, webhooks: map[string]string{"wh_1": ""}}
	v, err := NewJWTVerifier(JWTConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	cfg := Config{Store: store, JWT: v, MaxBodyBytes: 4096, Logger: nil}
	for _, m := range mutate {
		m(&cfg)
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return &apiTest{t: t, srv: srv, store: store}
}

// call sends body (a string as is, anything else as JSON) with headers
// and returns the status and the decoded answer.
func (a *apiTest) call(method, path string, body any, headers ...string) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if s, ok := body.(string); ok {
		r = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			a.t.Fatalf("%s %s: answer is not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, out
}

func bearerOf(token string) []string { return []string{"Authorization", "Bearer " + token} }

// errorCode returns the code and message of an error answer.
func errorCode(out map[string]any) (string, string) {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code, msg
}

func TestIngestAuth(t *testing.T) {
	a := newAPITest(t)
	report := map[string]any{"agent_id": "a1", "status": "running"}
	token := hs256(t, live(jwt.MapClaims{"agent_id": "a1"}))
	cases := []struct {
		name    string
		path    string
		headers []string
		status  int
		code    string
	}{
		{"no credentials", "/ingest/agent-status", nil, 401, herald.EUNAUTHORIZED},
		{"unknown key", "/ingest/agent-status", bearerOf("hk_nope"), 401, herald.EUNAUTHORIZED},
		{"ingest key", "/ingest/agent-status", []string{"X-API-Key", ingestKey}, 202, ""},
		{"ingest key bearer", "/v1/ingest/agent-status", bearerOf(ingestKey), 202, ""},
		{"admin key", "/ingest/agent-status", bearerOf(adminKey), 202, ""},
		{"jwt", "/ingest/agent-status", bearerOf(token), 202, ""},
		{"jwt under v1", "/v1/ingest/agent-status", bearerOf(token), 202, ""},
		{"jwt for any agent", "/ingest/agent-status", bearerOf(hs256(t, live(nil))), 202, ""},
		{"jwt of another agent", "/ingest/agent-status", bearerOf(hs256(t, live(jwt.MapClaims{"agent_id": "a2"}))), 403, herald.EFORBIDDEN},
		{"jwt sub of another agent", "/ingest/agent-status", bearerOf(hs256(t, live(jwt.MapClaims{"sub": "a2"}))), 403, herald.EFORBIDDEN},
		{"expired jwt", "/ingest/agent-status", bearerOf(hs256(t, jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()})), 401, herald.EUNAUTHORIZED},
	}
	for _, c := range cases {
		status, out := a.call("POST", c.path, report, c.headers...)
		code, _ := errorCode(out)
		if status != c.status || code != c.code {
			t.Errorf("%s: %d %v, want %d %q", c.name, status, out, c.status, c.code)
		}
	}
	// JWTs never open the management routes, and ingest keys do not either.
	if status, out := a.call("GET", "/v1/agents", nil, bearerOf(token)...); status != 401 {
		t.Errorf("jwt on /v1/agents: %d %v", status, out)
	}
	if status, out := a.call("GET", "/v1/agents", nil, bearerOf(ingestKey)...); status != 403 {
		t.Errorf("ingest key on /v1/agents: %d %v", status, out)
	}
	// Deployments and metrics check the agent too.
	other := bearerOf(hs256(t, live(jwt.MapClaims{"agent_id": "a2"})))
	if status, _ := a.call("POST", "/ingest/deployment", map[string]any{"deployment_id": "d1", "agent_id": "a1", "status": "created"}, other...); status != 403 {
		t.Errorf("deployment for another agent: %d", status)
	}
	if status, _ := a.call("POST", "/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]float64{"cpu": 1}}, other...); status != 403 {
		t.Errorf("metrics for another agent: %d", status)
	}
}

func TestIngestWithoutJWTConfig(t *testing.T) {
	a := newAPITest(t, func(c *Config) { c.JWT = nil })
	status, out := a.call("POST", "/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running"}, bearerOf(hs256(t, live(nil)))...)
	if code, msg := errorCode(out); status != 401 || code != herald.EUNAUTHORIZED || !strings.Contains(msg, "JWT") {
		t.Fatalf("jwt without --jwt-secret: %d %v", status, out)
	}
}

func TestIngestAnswerAndInput(t *testing.T) {
	a := newAPITest(t)
	key := bearerOf(ingestKey)
	status, out := a.call("POST", "/ingest/deployment", map[string]any{
		"deployment_id": "d1", "agent_id": "a1", "status": "created", "extra": map[string]any{"ignored": true},
	}, key...)
	if status != 202 {
		t.Fatalf("deployment: %d %v", status, out)
	}
	events, _ := out["events"].([]any)
	ev, _ := events[0].(map[string]any)
	if out["agent"].(map[string]any)["id"] != "a1" || out["deployment"].(map[string]any)["id"] != "d1" || ev["type"] != "deployment.created" || ev["id"] != "evt_a" {
		t.Fatalf("answer: %v", out)
	}
	bad := []struct {
		path   string
		body   any
		status int
		field  string
	}{
		{"/ingest/agent-status", `{"agent_id": "a1", "status": `, 400, "malformed JSON"},
		{"/ingest/agent-status", `[1, 2]`, 400, "body"},
		{"/ingest/agent-status", map[string]any{"status": "running"}, 400, "agent_id"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a 1", "status": "running"}, 400, "agent_id"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "Bad!"}, 400, "status"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "metadata": []int{1}}, 400, "metadata"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "logs": []any{"ok", map[string]any{"level": "info"}}}, 400, "logs[1]: a log entry object needs a message"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "logs": []any{3}}, 400, "logs[0]"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "logs": "boot"}, 400, "logs"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": strings.Repeat("x", 5000)}, 413, "larger than 4096"},
		{"/ingest/deployment", map[string]any{"deployment_id": "d1", "agent_id": "a1", "status": "exploded"}, 400, "status"},
		{"/ingest/deployment", map[string]any{"agent_id": "a1", "status": "created"}, 400, "deployment_id"},
		{"/ingest/metrics", map[string]any{"agent_id": "a1"}, 400, "metrics"},
		{"/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]any{"cpu": "high"}}, 400, "metrics"},
		{"/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]any{"c p u": 1}}, 400, "metrics"},
	}
	for _, b := range bad {
		status, out := a.call("POST", b.path, b.body, key...)
		code, msg := errorCode(out)
		wantCode := herald.EINVALID
		if b.status == 413 {
			wantCode = herald.ETOOLARGE
		}
		if status != b.status || code != wantCode || !strings.Contains(msg, b.field) {
			t.Errorf("%s %v: %d %v, want %d naming %q", b.path, b.body, status, out, b.status, b.field)
		}
	}
	if len(a.store.reports) != 1 {
		t.Errorf("bad reports reached the store: %v", a.store.reports)
	}
}

func TestAgentMetricsQuery(t *testing.T) {
	a := newAPITest(t)
	base := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	a.store.points = []herald.MetricPoint{
		{Name: "cpu", Value: 1, Timestamp: base},
		{Name: "cpu", Value: 3, Timestamp: base.Add(30 * time.Second)},
		{Name: "cpu", Value: 5, Timestamp: base.Add(90 * time.Second)},
	}
	admin := bearerOf(adminKey)
	status, out := a.call("GET", "/v1/agents/a1/metrics?name=cpu&since=2026-01-02T14:00:00Z&until=2026-01-02T16:00:00Z&step=1m", nil, admin...)
	if status != 200 {
		t.Fatalf("metrics: %d %v", status, out)
	}
	buckets, _ := out["buckets"].([]any)
	if len(buckets) != 2 || buckets[0].(map[string]any)["value"] != 2.0 || buckets[1].(map[string]any)["count"] != 1.0 || out["step"] != "1m" {
		t.Fatalf("buckets: %v", out)
	}
	f := a.store.metricF
	if f.AgentID != "a1" || f.Name != "cpu" || !f.Since.Equal(base.Add(-time.Hour)) || !f.Until.Equal(base.Add(time.Hour)) {
		t.Fatalf("filter: %+v", f)
	}
	status, out = a.call("GET", "/v1/agents/a1/metrics?since=2h", nil, admin...)
	if points, _ := out["points"].([]any); status != 200 || len(points) != 3 || out["buckets"] != nil {
		t.Fatalf("points: %d %v", status, out)
	}
	if d := a.store.metricF.Until.Sub(a.store.metricF.Since); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
		t.Fatalf("since=2h read %s", d)
	}
	for q, field := range map[string]string{
		"since=yesterday":    "since",
		"until=soon":         "until",
		"step=0s":            "step",
		"step=1s&since=720h": "step",
		"since=1h&until=2h":  "since",
		"name=c%20pu":        "name",
		"limit=-1":           "limit",
	} {
		status, out := a.call("GET", "/v1/agents/a1/metrics?"+q, nil, admin...)
		if code, msg := errorCode(out); status != 400 || code != herald.EINVALID || !strings.HasPrefix(msg, field) {
			t.Errorf("%s: %d %v, want 400 naming %s", q, status, out, field)
		}
	}
}

func TestAlertWebhookMustExist(t *testing.T) {
	a := newAPITest(t)
	admin := bearerOf(adminKey)
	status, out := a.call("POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "threshold": 5, "webhook_id": "wh_gone"}, admin...)
	if code, msg := errorCode(out); status != 400 || code != herald.EINVALID || !strings.HasPrefix(msg, "webhook_id") {
		t.Fatalf("missing webhook: %d %v", status, out)
	}
	status, out = a.call("POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "threshold": 5, "window": "1h", "webhook_id": "wh_1"}, admin...)
	if status != 201 || out["id"] != "alr_1" || out["window"] != "1h" || out["op"] != ">=" || out["name"] != "webhook-failures" || out["state"] != "ok" {
		t.Fatalf("create: %d %v", status, out)
	}
	status, out = a.call("POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "colour": "red"}, admin...)
	if code, msg := errorCode(out); status != 400 || code != herald.EINVALID || !strings.Contains(msg, "colour") {
		t.Fatalf("unknown field: %d %v", status, out)
	}
}
