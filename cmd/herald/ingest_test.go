package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
)

// jwtSecret is the --jwt-secret of the JWT tests.
const jwtSecret = "test-secret-of-at-least-thirty-two-bytes"

// ingestAnswer is the answer of an ingestion route.
type ingestAnswer struct {
	Agent      *herald.Agent      `json:"agent"`
	Deployment *herald.Deployment `json:"deployment"`
	Events     []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"events"`
}

// post sends body (JSON, or a string as is) to path with the
// Authorization header auth ("" for none) and returns the status and body.
func (ts *testServer) post(path, auth string, body any) (int, []byte) {
	ts.t.Helper()
	b, ok := body.(string)
	if !ok {
		raw, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		b = string(raw)
	}
	req, _ := http.NewRequest("POST", ts.URL()+path, strings.NewReader(b))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// report posts a report with the admin key, expects 202, and returns the
// answer.
func (ts *testServer) report(path string, body any) *ingestAnswer {
	ts.t.Helper()
	status, out := ts.post(path, "Bearer "+ts.key, body)
	if status != http.StatusAccepted {
		ts.t.Fatalf("POST %s %v: status %d: %s", path, body, status, out)
	}
	var a ingestAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		ts.t.Fatalf("decode %s: %v", out, err)
	}
	return &a
}

// hs256Token signs claims with jwtSecret.
func hs256Token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inAnHour returns claims expiring in an hour, plus extra.
func inAnHour(extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// normalize round-trips v through JSON, so that it compares with decoded
// payloads.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIngestEventsReachWebhook sends each kind of report and checks that a
// webhook subscribed to agent.*, deployment.* and metrics.* receives every
// event it publishes, with seed 000's payload fields.
func TestIngestEventsReachWebhook(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(200))
		ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"agent.*", "deployment.*", "metrics.*"}})
		type D = map[string]any
		steps := []struct {
			path string
			body D
			want map[string]D // event type: fields its data must hold
		}{
			{"/ingest/agent-status", D{"agent_id": "a1", "status": "running", "node_id": "n1"}, map[string]D{
				"agent.status":  {"agent_id": "a1", "new_status": "running", "old_status": nil},
				"agent.started": {"agent_id": "a1", "node_id": "n1"},
			}},
			{"/ingest/agent-status", D{"agent_id": "a1", "status": "running"}, map[string]D{
				"agent.heartbeat": {"agent_id": "a1", "status": "running", "node_id": "n1"},
			}},
			{"/v1/ingest/agent-status", D{"agent_id": "a1", "status": "stopped", "reason": "maintenance"}, map[string]D{
				"agent.status":  {"agent_id": "a1", "new_status": "stopped", "old_status": "running"},
				"agent.stopped": {"agent_id": "a1", "node_id": "n1", "reason": "maintenance"},
			}},
			{"/ingest/agent-status", D{"agent_id": "a2", "status": "crashed", "node_id": "n2", "error": "OOM killed"}, map[string]D{
				"agent.status":  {"agent_id": "a2", "new_status": "crashed", "old_status": nil},
				"agent.crashed": {"agent_id": "a2", "node_id": "n2", "error": "OOM killed"},
			}},
			{"/ingest/deployment", D{"deployment_id": "d1", "agent_id": "a1", "status": "created", "version": "v1"}, map[string]D{
				"deployment.created": {"deployment_id": "d1", "agent_id": "a1"},
				"agent.status":       {"agent_id": "a1", "new_status": "deploying", "old_status": "stopped"},
			}},
			{"/ingest/deployment", D{"deployment_id": "d1", "agent_id": "a1", "status": "updated", "changes": D{"replicas": 3}}, map[string]D{
				"deployment.updated": {"deployment_id": "d1", "changes": D{"replicas": 3}},
				"agent.heartbeat":    {"agent_id": "a1", "status": "deploying"},
			}},
			{"/ingest/deployment", D{"deployment_id": "d1", "agent_id": "a1", "status": "failed", "error": "image pull failed"}, map[string]D{
				"deployment.failed": {"deployment_id": "d1", "error": "image pull failed"},
				"agent.status":      {"agent_id": "a1", "new_status": "failed", "old_status": "deploying"},
				"agent.crashed":     {"agent_id": "a1", "error": "image pull failed"},
			}},
			{"/ingest/deployment", D{"deployment_id": "d2", "agent_id": "a2", "status": "rolled_back", "reason": "bad canary"}, map[string]D{
				"deployment.rolled_back": {"deployment_id": "d2", "reason": "bad canary"},
				"agent.status":           {"agent_id": "a2", "new_status": "running", "old_status": "crashed"},
				"agent.started":          {"agent_id": "a2", "node_id": "n2"},
			}},
			{"/ingest/metrics", D{"agent_id": "a1", "metrics": D{"cpu": 0.5, "mem_mb": 128}}, map[string]D{
				"metrics.report": {"agent_id": "a1", "metrics": D{"cpu": 0.5, "mem_mb": 128}},
			}},
		}
		want := map[string]D{} // by event id
		for _, s := range steps {
			a := ts.report(s.path, s.body)
			if a.Agent == nil || a.Agent.ID != s.body["agent_id"] {
				t.Fatalf("%s %v: agent %+v", s.path, s.body, a.Agent)
			}
			if id, ok := s.body["deployment_id"]; ok && (a.Deployment == nil || a.Deployment.ID != id || a.Deployment.Status != s.body["status"]) {
				t.Fatalf("%s %v: deployment %+v", s.path, s.body, a.Deployment)
			}
			var types []string
			for _, ev := range a.Events {
				types = append(types, ev.Type)
				if fields, ok := s.want[ev.Type]; ok {
					want[ev.ID] = D{"type": ev.Type, "data": fields}
				}
			}
			if len(a.Events) != len(s.want) {
				t.Fatalf("%s %v published %v, want %d events", s.path, s.body, types, len(s.want))
			}
			for typ := range s.want {
				if !strings.Contains(","+strings.Join(types, ",")+",", ","+typ+",") {
					t.Fatalf("%s %v published %v, without %s", s.path, s.body, types, typ)
				}
			}
		}
		for range want {
			c := recv(t, rc.hits, "delivery of an ingested event")
			var body struct {
				ID   string         `json:"id"`
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(c.Body, &body); err != nil {
				t.Fatalf("delivery body %s: %v", c.Body, err)
			}
			w, ok := want[body.ID]
			if !ok {
				t.Fatalf("unexpected delivery %s", c.Body)
			}
			if body.Type != w["type"] {
				t.Errorf("event %s is %s, want %s", body.ID, body.Type, w["type"])
			}
			for k, v := range w["data"].(D) {
				got, present := body.Data[k]
				if !present || !reflect.DeepEqual(got, normalize(t, v)) {
					t.Errorf("%s data.%s = %v (present %v), want %v; data %v", body.Type, k, got, present, v, body.Data)
				}
			}
		}
	})
}

// TestIngestAuth checks the credentials the ingestion routes take.
func TestIngestAuth(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.JWTSecret, c.JWTIssuer, c.JWTAudience = jwtSecret, "https://auth.example.com", "herald"
	})
	var ingest herald.APIKey
	ts.must(201, "POST", "/v1/keys", map[string]string{"name": "agents", "scope": "ingest"}, &ingest)
	good := jwt.MapClaims{"iss": "https://auth.example.com", "aud": "herald"}
	with := func(extra jwt.MapClaims) jwt.MapClaims {
		c := inAnHour(good)
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	report := map[string]any{"agent_id": "a1", "status": "running"}
	cases := []struct {
		name, auth string
		status     int
		code       string
	}{
		{"ingest key", "Bearer " + ingest.Key, 202, ""},
		{"admin key", "Bearer " + ts.key, 202, ""},
		{"no credentials", "", 401, "unauthorized"},
		{"unknown key", "Bearer hk_unknown", 401, "unauthorized"},
		{"HS256 JWT of the agent", "Bearer " + hs256Token(t, with(jwt.MapClaims{"agent_id": "a1"})), 202, ""},
		{"HS256 JWT with sub", "Bearer " + hs256Token(t, with(jwt.MapClaims{"sub": "a1"})), 202, ""},
		{"JWT of another agent", "Bearer " + hs256Token(t, with(jwt.MapClaims{"agent_id": "a2"})), 403, "forbidden"},
		{"expired JWT", "Bearer " + hs256Token(t, with(jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()})), 401, "unauthorized"},
		{"JWT without exp", "Bearer " + hs256Token(t, good), 401, "unauthorized"},
		{"JWT of another issuer", "Bearer " + hs256Token(t, with(jwt.MapClaims{"iss": "https://evil.example.com"})), 401, "unauthorized"},
		{"JWT for another audience", "Bearer " + hs256Token(t, with(jwt.MapClaims{"aud": "someone-else"})), 401, "unauthorized"},
		{"JWT with another secret", "Bearer " + func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, with(nil)).SignedString([]byte(strings.Repeat("k", 40)))
			return s
		}(), 401, "unauthorized"},
	}
	for _, c := range cases {
		status, body := ts.post("/ingest/agent-status", c.auth, report)
		if status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, status, c.status, body)
			continue
		}
		if c.code != "" {
			if code, msg := errorOf(t, body); code != c.code || msg == "" {
				t.Errorf("%s: error %s %q", c.name, code, msg)
			}
		}
	}
	// X-API-Key works too, and JWTs never open the management routes.
	req, _ := http.NewRequest("POST", ts.URL()+"/v1/ingest/metrics", strings.NewReader(`{"agent_id":"a1","metrics":{"cpu":1}}`))
	req.Header.Set("X-API-Key", ingest.Key)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 202 {
		t.Fatalf("X-API-Key: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	token := hs256Token(t, with(jwt.MapClaims{"agent_id": "a1"}))
	saved := ts.key
	ts.key = token
	if status, body := ts.do("GET", "/v1/agents", nil); status != 401 {
		t.Fatalf("JWT on /v1/agents: %d %s", status, body)
	}
	ts.key = ingest.Key
	if status, body := ts.do("GET", "/v1/agents", nil); status != 403 {
		t.Fatalf("ingest key on /v1/agents: %d %s", status, body)
	}
	ts.key = saved
}

// TestIngestJWKS accepts RS256 and EdDSA tokens signed by the keys of a
// JWKS served on 127.0.0.1, and refuses others.
func TestIngestJWKS(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString
	set, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "r1", "alg": "RS256", "use": "sig", "n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "OKP", "kid": "e1", "alg": "EdDSA", "use": "sig", "crv": "Ed25519", "x": b64(edPub)},
	}})
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	defer jwks.Close()
	ts := startServer(t, func(c *Config) { c.JWKSURL = jwks.URL + "/jwks.json" })
	sign := func(m jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, c := range map[string]struct {
		token  string
		status int
	}{
		"RS256":                  {sign(jwt.SigningMethodRS256, "r1", rsaKey, inAnHour(jwt.MapClaims{"agent_id": "a1"})), 202},
		"EdDSA":                  {sign(jwt.SigningMethodEdDSA, "e1", edKey, inAnHour(jwt.MapClaims{"sub": "a1"})), 202},
		"EdDSA of another agent": {sign(jwt.SigningMethodEdDSA, "e1", edKey, inAnHour(jwt.MapClaims{"sub": "a9"})), 403},
		"RS256 by another key":   {sign(jwt.SigningMethodRS256, "r1", other, inAnHour(nil)), 401},
		"HS256 not enabled":      {hs256Token(t, inAnHour(nil)), 401},
		"expired RS256":          {sign(jwt.SigningMethodRS256, "r1", rsaKey, jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()}), 401},
	} {
		status, body := ts.post("/ingest/agent-status", "Bearer "+c.token, map[string]any{"agent_id": "a1", "status": "running"})
		if status != c.status {
			t.Errorf("%s: status %d, want %d: %s", name, status, c.status, body)
		}
	}
}

// TestIngestBadInput checks that bad reports are refused with the field
// named, before reaching the store.
func TestIngestBadInput(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBodyBytes = 2048 })
	auth := "Bearer " + ts.key
	cases := []struct {
		path   string
		body   any
		status int
		code   string
		names  string
	}{
		{"/ingest/agent-status", `{"agent_id": "a1", "status": "running"`, 400, "invalid", "malformed JSON"},
		{"/ingest/agent-status", `{"agent_id": "a1", "status": running}`, 400, "invalid", "malformed JSON"},
		{"/ingest/agent-status", map[string]any{"status": "running"}, 400, "invalid", "agent_id"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "Bad!"}, 400, "invalid", "status"},
		{"/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "logs": []string{strings.Repeat("x", 4096)}}, 413, "too_large", "2048"},
		{"/ingest/deployment", map[string]any{"deployment_id": "d1", "agent_id": "a1", "status": "done"}, 400, "invalid", "status"},
		{"/ingest/deployment", map[string]any{"deployment_id": "d1", "status": "created"}, 400, "invalid", "agent_id"},
		{"/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]any{}}, 400, "invalid", "metrics"},
		{"/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]any{"cpu": "high"}}, 400, "invalid", "metrics"},
	}
	for _, c := range cases {
		status, body := ts.post(c.path, auth, c.body)
		code, msg := errorOf(t, body)
		if status != c.status || code != c.code || !strings.Contains(msg, c.names) {
			t.Errorf("%s %v: %d %s %q, want %d %s naming %s", c.path, c.body, status, code, msg, c.status, c.code, c.names)
		}
	}
	// Fields Herald does not know are ignored.
	a := ts.report("/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "uptime_s": 12, "extra": map[string]any{"x": 1}})
	if a.Agent.Status != "running" {
		t.Fatalf("report with unknown fields: %+v", a.Agent)
	}
}

// TestIngestCLISendsReports checks the requests the ingest commands send.
func TestIngestCLISendsReports(t *testing.T) {
	answer := stubAnswer{202, `{"agent":{"id":"a1","status":"running"},"events":[{"id":"evt_1","type":"agent.status"},{"id":"evt_2","type":"agent.started"}]}`}
	api := newStubAPI(t, map[string]stubAnswer{
		"POST /v1/ingest/agent-status": answer,
		"POST /v1/ingest/deployment":   answer,
		"POST /v1/ingest/metrics":      answer,
	})
	out, _, err := api.run(t, "ingest", "agent-status", "--agent", "a1", "--status", "running", "--node", "n1",
		"--log", "booting", "--log", "ready", "--metadata", `{"region": "eu"}`)
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/ingest/agent-status",
		`{"agent_id":"a1","status":"running","node_id":"n1","logs":["booting","ready"],"metadata":{"region":"eu"}}`)
	for _, want := range []string{"Agent a1 is running.", "evt_2", "agent.started"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	api.got = nil
	if _, _, err := api.run(t, "ingest", "deployment", "--id", "d1", "--agent", "a1", "--status", "updated", "--changes", `{"replicas":3}`, "--version", "v2"); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/ingest/deployment",
		`{"deployment_id":"d1","agent_id":"a1","status":"updated","version":"v2","changes":{"replicas":3}}`)
	api.got = nil
	out, _, err = api.run(t, "ingest", "metrics", "--agent", "a1", "--metric", "cpu=0.5", "--metric", "mem_mb=128",
		"--timestamp", "2026-01-02T15:04:05Z", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/ingest/metrics",
		`{"agent_id":"a1","metrics":{"cpu":0.5,"mem_mb":128},"timestamp":"2026-01-02T15:04:05Z"}`)
	if v := decodeOutput(t, out); len(v["events"].([]any)) != 2 {
		t.Errorf("json output: %s", out)
	}
	for _, args := range [][]string{
		{"ingest", "metrics", "--agent", "a1", "--metric", "cpu"},
		{"ingest", "metrics", "--agent", "a1", "--metric", "cpu=lots"},
		{"ingest", "agent-status", "--agent", "a1", "--status", "running", "--metadata", "[1]"},
		{"ingest", "agent-status", "--agent", "a1"},
	} {
		api.got = nil
		if _, _, err := api.run(t, args...); err == nil || len(api.got) != 0 {
			t.Errorf("%v: err %v, %d requests", args, err, len(api.got))
		}
	}
}

// TestIngestCLIAgainstServer reports through the CLI with an ingest key
// and reads the result back.
func TestIngestCLIAgainstServer(t *testing.T) {
	ts := startServer(t)
	var ingest herald.APIKey
	ts.must(201, "POST", "/v1/keys", map[string]string{"name": "agents", "scope": "ingest"}, &ingest)
	run := func(key string, args ...string) (string, error) {
		var out bytes.Buffer
		cmd := newRootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--server", ts.URL(), "--api-key", key}, args...))
		err := cmd.Execute()
		return out.String(), err
	}
	out, err := run(ingest.Key, "ingest", "agent-status", "--agent", "cli-1", "--status", "running", "--log", "hello")
	if err != nil || !strings.Contains(out, "agent.started") {
		t.Fatalf("ingest agent-status: %v\n%s", err, out)
	}
	out, err = run(ingest.Key, "agents", "list")
	if err == nil || !strings.Contains(err.Error(), "admin key") {
		t.Fatalf("agents list with an ingest key: %v\n%s", err, out)
	}
	out, err = run(ts.key, "agents", "logs", "cli-1")
	if err != nil || !strings.Contains(out, "hello") {
		t.Fatalf("agents logs: %v\n%s", err, out)
	}
}

// TestConfigJWT reads the JWT settings from flags and the environment and
// names the bad one.
func TestConfigJWT(t *testing.T) {
	t.Setenv("HERALD_JWT_SECRET", jwtSecret)
	t.Setenv("HERALD_JWKS_URL", "https://auth.example.com/.well-known/jwks.json")
	cfg, err := loadServeConfig(t, "--jwt-issuer", "https://auth.example.com", "--jwt-audience", "herald")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JWTSecret != jwtSecret || cfg.JWKSURL != "https://auth.example.com/.well-known/jwks.json" ||
		cfg.JWTIssuer != "https://auth.example.com" || cfg.JWTAudience != "herald" {
		t.Fatalf("config: %+v", cfg)
	}
	t.Setenv("HERALD_JWT_SECRET", "")
	t.Setenv("HERALD_JWKS_URL", "")
	for field, args := range map[string][]string{
		"jwt-secret":   {"--jwt-secret", "short"},
		"jwks-url":     {"--jwks-url", "ftp://keys"},
		"jwt-issuer":   {"--jwt-issuer", "https://auth.example.com"},
		"jwt-audience": {"--jwt-audience", "herald"},
	} {
		if _, err := loadServeConfig(t, args...); err == nil || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%v: got %v, want an error naming %s", args, err, field)
		}
	}
}
