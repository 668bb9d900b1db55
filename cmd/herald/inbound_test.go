package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// seedPort is the address of seed 002's examples, replaced by the test
// server's.
const seedPort = "http://localhost:17890"

// curl runs a seed 002 curl command (its arguments after "curl", as the
// shell would split them) against ts, with only the address changed, and
// returns the status and the answer. Without a curl binary it sends the
// same request with net/http.
func (ts *testServer) curl(args ...string) (int, map[string]any) {
	ts.t.Helper()
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, seedPort, ts.URL())
	}
	var status int
	var body []byte
	if path, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(path, append(args, "-s", "-w", "\n%{http_code}")...).Output()
		if err != nil {
			ts.t.Fatalf("curl %v: %v", args, err)
		}
		i := bytes.LastIndexByte(out, '\n')
		status, _ = strconv.Atoi(string(out[i+1:]))
		body = out[:i]
	} else {
		status, body = ts.curlLike(args)
	}
	var v map[string]any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			ts.t.Fatalf("curl %v: answer is not JSON: %s", args, body)
		}
	}
	return status, v
}

// curlLike sends what curl would for -X, -H and -d (a form Content-Type
// unless one is given).
func (ts *testServer) curlLike(args []string) (int, []byte) {
	ts.t.Helper()
	method, url, data := "GET", "", ""
	headers := http.Header{}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			headers.Set(k, strings.TrimSpace(v))
		case "-d":
			i++
			data = args[i]
			if method == "GET" {
				method = "POST"
			}
		default:
			url = args[i]
		}
	}
	if data != "" && headers.Get("Content-Type") == "" {
		headers.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(data))
	req.Header = headers
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// postRaw sends body to path with headers (name, value pairs) and returns
// the status, the answer and its headers.
func (ts *testServer) postRaw(path, body string, headers ...string) (int, map[string]any, http.Header) {
	ts.t.Helper()
	return ts.sendRaw("POST", path, body, headers...)
}

// sendRaw sends a request with body and headers (name, value pairs) and
// returns the status, the answer and its headers.
func (ts *testServer) sendRaw(method, path, body string, headers ...string) (int, map[string]any, http.Header) {
	ts.t.Helper()
	req, _ := http.NewRequest(method, ts.URL()+path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v, resp.Header
}

// echoAgent registers an agent with the echo runtime.
func (ts *testServer) echoAgent(id string) {
	ts.t.Helper()
	ts.must(http.StatusCreated, "POST", "/v1/agents", map[string]any{"id": id, "runtime": map[string]any{"type": "echo"}}, nil)
}

// invocations counts the invocations of an agent.
func (ts *testServer) invocations(agent string) int {
	ts.t.Helper()
	var l struct {
		Total int `json:"total"`
	}
	ts.must(200, "GET", "/v1/invocations?agent="+agent, nil, &l)
	return l.Total
}

// withKey returns a seed curl command with the admin key added.
func (ts *testServer) withKey(args ...string) []string {
	return append([]string{"-H", "Authorization: Bearer " + ts.key}, args...)
}

func TestInboundSeedExamples(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		for _, a := range []string{"devops", "ops", "team", "assistant"} {
			ts.echoAgent(a)
		}

		// "Creating Webhooks / Via API", verbatim: management needs the
		// admin key, so it is refused, and works with the key added.
		create := []string{"-X", "POST", "http://localhost:17890/api/webhooks",
			"-H", "Content-Type: application/json",
			"-d", `{
    "name": "github-webhook",
    "agent": "default",
    "secret": "github-webhook-secret",
    "transform": {
      "message_template": "GitHub event: {{event_type}} on {{repository}}"
    }
  }`}
		if st, _ := ts.curl(create...); st != 401 {
			t.Fatalf("create without a key: %d", st)
		}
		if st, out := ts.curl(ts.withKey(create...)...); st != 201 || out["secret"] != "github-webhook-secret" {
			t.Fatalf("create: %d %v", st, out)
		}
		st, out, _ := ts.postRaw("/api/webhooks/github-webhook", `{"event_type": "push", "repository": "heraldhq/herald"}`, "X-Webhook-Secret", "github-webhook-secret")
		if st != 200 || out["response"] != "GitHub event: push on heraldhq/herald" || out["agent"] != "default" {
			t.Fatalf("github-webhook: %d %v", st, out)
		}

		// "GitHub Integration": the webhook GitHub posts to, signed as
		// GitHub signs (X-Hub-Signature-256).
		if st, out := ts.curl(ts.withKey("-X", "POST", "http://localhost:17890/api/webhooks",
			"-d", `{
    "name": "github",
    "agent": "devops",
    "secret": "github-secret"
  }`)...); st != 201 {
			t.Fatalf("create github: %d %v", st, out)
		}
		push := `{"ref": "refs/heads/main", "repository": {"full_name": "heraldhq/herald"}}`
		mac := hmac.New(sha256.New, []byte("github-secret"))
		mac.Write([]byte(push))
		st, out, _ = ts.postRaw("/api/webhooks/github", push, "Content-Type", "application/json", "X-GitHub-Event", "push",
			"X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		if st != 200 || out["agent"] != "devops" || out["response"] != "GitHub event: push on heraldhq/herald" {
			t.Fatalf("github push: %d %v", st, out)
		}

		// "Webhook Configuration": template, context mapping, filters.
		if st, out := ts.curl(ts.withKey("-X", "POST", "http://localhost:17890/api/webhooks", "-d", `{
  "name": "alert-webhook",
  "agent": "default",
  "secret": "my-secret",
  "transform": {
    "message_template": "Alert from {{source}}: {{message}}",
    "context_mapping": {
      "severity": "$.severity",
      "service": "$.service_name"
    }
  },
  "filters": {
    "include": ["*.critical", "*.warning"],
    "exclude": ["*.debug"]
  }
}`)...); st != 201 {
			t.Fatalf("create alert-webhook: %d %v", st, out)
		}
		n := ts.invocations("default")
		st, out, _ = ts.postRaw("/api/webhooks/alert-webhook", `{"event_type": "cpu.critical", "source": "prometheus", "message": "High CPU", "severity": "critical", "service_name": "api"}`, "X-Webhook-Secret", "my-secret")
		ctx, _ := out["context"].(map[string]any)
		if st != 200 || out["response"] != "Alert from prometheus: High CPU" || ctx["severity"] != "critical" || ctx["service"] != "api" {
			t.Fatalf("alert-webhook: %d %v", st, out)
		}
		for _, typ := range []string{"cpu.debug", "cpu.info"} {
			st, out, _ = ts.postRaw("/api/webhooks/alert-webhook", `{"event_type": "`+typ+`", "message": "x"}`, "X-Webhook-Secret", "my-secret")
			if st != 200 || out["filtered"] != true || out["reason"] == "" {
				t.Fatalf("%s: %d %v", typ, st, out)
			}
		}
		if got := ts.invocations("default"); got != n+1 {
			t.Fatalf("%d invocations, want %d: filtered requests invoked the agent", got, n+1)
		}

		// "Transform Templates" and "Conditional Processing".
		ts.must(201, "POST", "/api/webhooks", map[string]any{
			"name": "prom", "agent": "ops", "secret": "prom-secret",
			"transform": map[string]any{
				"message_template": "Alert: {{alert_name}} on {{instance}} ({{severity}})",
				"context_mapping":  map[string]string{"service": "$.labels.service", "severity": "$.status"},
			},
			"filters": map[string]any{"condition": "$.severity == 'critical'"},
		}, nil)
		st, out, _ = ts.postRaw("/api/webhooks/prom", `{"alert_name": "HighCPU", "instance": "server-1", "severity": "critical", "status": "firing", "labels": {"service": "api"}}`, "X-Webhook-Secret", "prom-secret")
		ctx, _ = out["context"].(map[string]any)
		if st != 200 || out["response"] != "Alert: HighCPU on server-1 (critical)" || ctx["service"] != "api" || ctx["severity"] != "firing" {
			t.Fatalf("prom: %d %v", st, out)
		}
		st, out, _ = ts.postRaw("/api/webhooks/prom", `{"alert_name": "HighCPU", "severity": "warning"}`, "X-Webhook-Secret", "prom-secret")
		if st != 200 || out["filtered"] != true || out["reason"] != "filters.condition is false" {
			t.Fatalf("prom warning: %d %v", st, out)
		}

		// "Monitoring Alerts", verbatim, on the generic endpoint once its
		// secret is set.
		ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "alerts-secret"}, nil)
		st, out = ts.curl("-X", "POST", "http://localhost:17890/api/webhooks/generic",
			"-H", "X-Webhook-Secret: alerts-secret",
			"-d", `{
    "agent": "ops",
    "message": "Critical alert: High CPU usage on server-1",
    "context": {
      "alert_name": "HighCPU",
      "severity": "critical",
      "instance": "server-1"
    }
  }`)
		ctx, _ = out["context"].(map[string]any)
		if st != 200 || out["response"] != "Critical alert: High CPU usage on server-1" || ctx["instance"] != "server-1" {
			t.Fatalf("monitoring alert: %d %v", st, out)
		}

		// "CI/CD Notifications" and "Custom Triggers", verbatim: without a
		// secret the generic endpoint refuses them...
		cicd := `{
    "agent": "team",
    "message": "Build #4521 completed successfully",
    "context": {
      "build_id": "4521",
      "status": "success",
      "branch": "main"
    }
  }`
		custom := `{
    "agent": "assistant",
    "message": "New user registration: user@example.com",
    "context": {
      "event": "user_registered",
      "email": "user@example.com"
    }
  }`
		for _, body := range []string{cicd, custom} {
			if st, out := ts.curl("-X", "POST", "http://localhost:17890/api/webhooks/generic", "-d", body); st != 401 {
				t.Fatalf("generic without a secret: %d %v", st, out)
			}
		}
		// ... and a named webhook's /trigger takes the same bodies with its
		// secret.
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "ci", "agent": "team", "secret": "ci-secret"}, nil)
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "signup", "agent": "assistant", "secret": "signup-secret"}, nil)
		st, out = ts.curl("-X", "POST", "http://localhost:17890/api/webhooks/ci/trigger", "-H", "X-Webhook-Secret: ci-secret", "-d", cicd)
		ctx, _ = out["context"].(map[string]any)
		if st != 200 || out["agent"] != "team" || out["response"] != "Build #4521 completed successfully" || ctx["build_id"] != "4521" {
			t.Fatalf("ci trigger: %d %v", st, out)
		}
		st, out = ts.curl("-X", "POST", "http://localhost:17890/api/webhooks/signup/trigger", "-H", "X-Webhook-Secret: signup-secret", "-d", custom)
		if st != 200 || out["response"] != "New user registration: user@example.com" {
			t.Fatalf("custom trigger: %d %v", st, out)
		}
		st, out = ts.curl("-X", "POST", "http://localhost:17890/api/webhooks/signup/trigger", "-H", "X-Webhook-Secret: signup-secret",
			"-d", `{"message": "later", "response_mode": "async"}`)
		if st != 202 || out["status_url"] == nil || out["request_id"] == nil {
			t.Fatalf("async trigger: %d %v", st, out)
		}

		// "API Reference": list, get, update, delete.
		var list struct {
			Webhooks []herald.InboundWebhook `json:"webhooks"`
		}
		ts.must(200, "GET", "/api/webhooks", nil, &list)
		if len(list.Webhooks) != 6 || list.Webhooks[0].Secret != "" {
			t.Fatalf("list: %+v", list)
		}
		var wh herald.InboundWebhook
		ts.must(200, "PUT", "/api/webhooks/github", map[string]any{"agent": "ops", "description": "GitHub"}, &wh)
		if wh.Agent != "ops" || wh.Description != "GitHub" || wh.Secret != "" {
			t.Fatalf("put: %+v", wh)
		}
		// The secret was kept.
		mac = hmac.New(sha256.New, []byte("github-secret"))
		mac.Write([]byte(push))
		if st, out, _ := ts.postRaw("/api/webhooks/github", push, "X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil))); st != 200 || out["agent"] != "ops" {
			t.Fatalf("after put: %d %v", st, out)
		}
		ts.must(204, "DELETE", "/api/webhooks/github", nil, nil)
		if st, _, _ := ts.postRaw("/api/webhooks/github", push, "X-Webhook-Secret", "github-secret"); st != 404 {
			t.Fatalf("deleted: %d", st)
		}

		// The request log shows every verdict.
		var reqs struct {
			Items []herald.InboundRequest `json:"items"`
		}
		ts.must(200, "GET", "/api/webhooks/alert-webhook/requests", nil, &reqs)
		verdicts := map[string]int{}
		for _, r := range reqs.Items {
			verdicts[r.Verdict]++
			if r.Headers["x-webhook-secret"] != "" || r.SourceIP != "127.0.0.1" {
				t.Fatalf("logged %+v", r)
			}
		}
		if verdicts["accepted"] != 1 || verdicts["filtered"] != 2 {
			t.Fatalf("verdicts %v", verdicts)
		}
		ts.must(200, "GET", "/api/webhooks/alert-webhook/requests?verdict=filtered", nil, &reqs)
		if len(reqs.Items) != 2 || reqs.Items[0].Reason == "" {
			t.Fatalf("filtered log: %+v", reqs.Items)
		}
	})
}

func TestInboundGuardsAgainstServer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, func(c *Config) { c.MaxBodyBytes = 2048 })
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "default", "secret": "hook-secret",
			"rate_limit": map[string]any{"requests": 3, "per": "1h"}}, nil)
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "fenced", "agent": "default", "secret": "hook-secret",
			"allowed_ips": []string{"10.0.0.0/8"}}, nil)

		if st, _, _ := ts.postRaw("/api/webhooks/hook", `{"message": "x"}`, "X-Webhook-Secret", "wrong-secret"); st != 401 {
			t.Fatalf("wrong secret: %d", st)
		}
		if st, _, _ := ts.postRaw("/api/webhooks/nope", `{"message": "x"}`, "X-Webhook-Secret", "hook-secret"); st != 404 {
			t.Fatalf("unknown: %d", st)
		}
		if st, _, _ := ts.postRaw("/api/webhooks/hook", `{"message": "`+strings.Repeat("x", 3000)+`"}`, "X-Webhook-Secret", "hook-secret"); st != 413 {
			t.Fatalf("large: %d", st)
		}
		if st, _, _ := ts.postRaw("/api/webhooks/fenced", `{"message": "x"}`, "X-Webhook-Secret", "hook-secret", "X-Forwarded-For", "10.1.2.3"); st != 403 {
			t.Fatalf("allowlist with an untrusted X-Forwarded-For: %d", st)
		}

		// Duplicates: one invocation.
		n := ts.invocations("default")
		for i := 0; i < 2; i++ {
			st, out, _ := ts.postRaw("/api/webhooks/hook", `{"message": "once"}`, "X-Webhook-Secret", "hook-secret", "X-Request-Id", "req-1")
			if st != 200 || (i == 1) != (out["duplicate"] == true) {
				t.Fatalf("request %d: %d %v", i, st, out)
			}
		}
		if got := ts.invocations("default"); got != n+1 {
			t.Fatalf("%d invocations for a duplicate, want 1", got-n)
		}
		// 3 per hour: the third passes, the fourth is 429.
		if st, _, _ := ts.postRaw("/api/webhooks/hook", `{"message": "x"}`, "X-Webhook-Secret", "hook-secret"); st != 200 {
			t.Fatalf("third: %d", st)
		}
		st, _, h := ts.postRaw("/api/webhooks/hook", `{"message": "x"}`, "X-Webhook-Secret", "hook-secret")
		if st != 429 || h.Get("Retry-After") == "" {
			t.Fatalf("rate limit: %d %v", st, h)
		}
		var reqs struct {
			Items []herald.InboundRequest `json:"items"`
		}
		ts.must(200, "GET", "/api/webhooks/hook/requests?verdict=rejected", nil, &reqs)
		reasons := ""
		for _, r := range reqs.Items {
			reasons += strconv.Itoa(r.Status) + " "
		}
		for _, want := range []string{"401", "413", "429", "200"} {
			if !strings.Contains(reasons, want) {
				t.Fatalf("rejected log %q lacks %s", reasons, want)
			}
		}
	})
}

func TestInboundIPsAgainstServer(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AllowedIPs = "192.168.0.0/16" })
	ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "default", "secret": "hook-secret"}, nil)
	if st, _, _ := ts.postRaw("/api/webhooks/hook", `{}`, "X-Webhook-Secret", "hook-secret"); st != 403 {
		t.Fatalf("--allowed-ips: %d", st)
	}

	tp := startServer(t, func(c *Config) { c.TrustedProxies = "127.0.0.1/32" })
	tp.must(201, "POST", "/api/webhooks", map[string]any{"name": "fenced", "agent": "default", "secret": "hook-secret",
		"allowed_ips": []string{"10.0.0.0/8"}}, nil)
	if st, _, _ := tp.postRaw("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "hook-secret", "X-Forwarded-For", "192.168.1.1, 10.1.2.3"); st != 200 {
		t.Fatalf("from a trusted proxy: %d", st)
	}
	if st, _, _ := tp.postRaw("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "hook-secret", "X-Forwarded-For", "10.1.2.3, 192.168.1.1"); st != 403 {
		t.Fatalf("right-most untrusted outside: %d", st)
	}
	var reqs struct {
		Items []herald.InboundRequest `json:"items"`
	}
	tp.must(200, "GET", "/api/webhooks/fenced/requests", nil, &reqs)
	if len(reqs.Items) != 2 || reqs.Items[0].SourceIP != "192.168.1.1" || reqs.Items[1].SourceIP != "10.1.2.3" {
		t.Fatalf("logged source IPs: %+v", reqs.Items)
	}
}

func TestInboundCLIAndSDK(t *testing.T) {
	ts := startServer(t)
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
	out := run("agents", "create", "ops", "--name", "Ops", "--runtime", "echo", "--timeout", "30s", "--max-concurrency", "2")
	if !strings.Contains(out, "echo") || !strings.Contains(out, "30s") {
		t.Fatalf("agents create:\n%s", out)
	}
	if out := run("agents", "update", "ops", "--timeout", "1m"); !strings.Contains(out, "60s") || !strings.Contains(out, "echo") {
		t.Fatalf("agents update:\n%s", out)
	}
	out = run("inbound", "create", "--name", "alerts", "--agent", "ops", "--template", "Alert: {{alert_name}} ({{severity}})",
		"--context", "severity=$.severity", "--include", "*.critical", "--rate-limit", "10/1m", "-o", "json")
	var wh herald.InboundWebhook
	if err := json.Unmarshal([]byte(out), &wh); err != nil || !strings.HasPrefix(wh.Secret, "whsec_") || wh.RateLimit.Requests != 10 {
		t.Fatalf("inbound create: %v\n%s", err, out)
	}
	if out := run("inbound", "list"); !strings.Contains(out, "alerts") || !strings.Contains(out, "ops") {
		t.Fatalf("inbound list:\n%s", out)
	}
	if out := run("inbound", "update", "alerts", "--condition", "$.severity == 'critical'"); !strings.Contains(out, "*.critical") || !strings.Contains(out, "$.severity == 'critical'") {
		t.Fatalf("inbound update kept nothing:\n%s", out)
	}
	st, res, _ := ts.postRaw("/api/webhooks/alerts", `{"event_type": "db.critical", "alert_name": "DiskFull", "severity": "critical"}`, "X-Webhook-Secret", wh.Secret)
	if st != 200 || res["response"] != "Alert: DiskFull (critical)" {
		t.Fatalf("receive: %d %v", st, res)
	}
	if out := run("inbound", "trigger", "alerts", "--message", "hello", "--context", `{"k": "v"}`); !strings.Contains(out, "hello") {
		t.Fatalf("inbound trigger:\n%s", out)
	}
	if out := run("inbound", "requests", "alerts", "--verdict", "accepted"); strings.Count(out, "accepted") != 2 {
		t.Fatalf("inbound requests:\n%s", out)
	}
	out = run("invocations", "list", "--agent", "ops")
	if strings.Count(out, "inv_") != 2 {
		t.Fatalf("invocations list:\n%s", out)
	}
	id := res["request_id"].(string)
	if out := run("invocations", "get", id); !strings.Contains(out, "Alert: DiskFull (critical)") || !strings.Contains(out, "completed") {
		t.Fatalf("invocations get:\n%s", out)
	}
	run("inbound", "secret", "set", "generic", "generic-secret")
	if st, _, _ := ts.postRaw("/api/webhooks/generic", `{"agent": "ops", "message": "hi"}`, "X-Webhook-Secret", "generic-secret"); st != 200 {
		t.Fatalf("generic after secret set: %d", st)
	}
	run("inbound", "delete", "alerts")

	// The SDK.
	c := client.New(ts.URL(), ts.key)
	ctx := context.Background()
	if _, err := c.Agents.Create(ctx, herald.AgentInput{ID: client.Ptr("sdk"), Runtime: &herald.Runtime{Type: herald.RuntimeEcho}}); err != nil {
		t.Fatal(err)
	}
	if a, err := c.Agents.Update(ctx, "sdk", herald.AgentInput{Name: client.Ptr("SDK agent")}); err != nil || a.Name != "SDK agent" || a.Runtime == nil {
		t.Fatalf("agents update: %+v %v", a, err)
	}
	created, err := c.Inbound.Create(ctx, herald.InboundWebhookInput{Name: client.Ptr("sdk-hook"), Agent: client.Ptr("sdk"), Secret: client.Ptr("sdk-secret")})
	if err != nil || created.Secret != "sdk-secret" {
		t.Fatalf("create: %+v %v", created, err)
	}
	if got, err := c.Inbound.Get(ctx, "sdk-hook"); err != nil || got.Agent != "sdk" || got.Secret != "" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := c.Inbound.Update(ctx, "sdk-hook", herald.InboundWebhookInput{Agent: client.Ptr("sdk"), Filters: &herald.Filters{Exclude: []string{"test.*"}}}); err != nil {
		t.Fatal(err)
	}
	r, err := c.Inbound.Trigger(ctx, "sdk-hook", client.TriggerInput{Message: "ping", Context: map[string]any{"a": 1}})
	if err != nil || r.Response != "ping" || !r.Success {
		t.Fatalf("trigger: %+v %v", r, err)
	}
	inv, err := c.Invocations.Get(ctx, r.RequestID)
	if err != nil || inv.Source != "trigger:sdk-hook" {
		t.Fatalf("invocation: %+v %v", inv, err)
	}
	if l, err := c.Invocations.List(ctx, client.InvocationFilter{Agent: "sdk"}); err != nil || l.Total != 1 {
		t.Fatalf("invocations: %+v %v", l, err)
	}
	if reqs, err := c.Inbound.Requests(ctx, "sdk-hook", client.InboundRequestOptions{}); err != nil || len(reqs.Items) != 1 {
		t.Fatalf("requests: %+v %v", reqs, err)
	}
	if l, err := c.Inbound.List(ctx); err != nil || len(l.Webhooks) != 1 {
		t.Fatalf("list: %+v %v", l, err)
	}
	if _, err := c.Inbound.Create(ctx, herald.InboundWebhookInput{Name: client.Ptr("bad"), Agent: client.Ptr("sdk"),
		Transform: &herald.Transform{MessageTemplate: "{% for %}"}}); !client.IsInvalid(err) || !strings.Contains(err.Error(), "transform.message_template") {
		t.Fatalf("bad template: %v", err)
	}
	if err := c.Inbound.Delete(ctx, "sdk-hook"); err != nil {
		t.Fatal(err)
	}
}

func TestInboundConfig(t *testing.T) {
	for flag, mutate := range map[string]func(*Config){
		"allowed-ips":           func(c *Config) { c.AllowedIPs = "10.0.0.0/8,nope" },
		"trusted-proxies":       func(c *Config) { c.TrustedProxies = "10.0.0.0/99" },
		"inbound-log-retention": func(c *Config) { c.InboundLogRetention = 0 },
		"inbound-log-max-rows":  func(c *Config) { c.InboundLogMaxRows = 0 },
		"inbound-failure-limit": func(c *Config) { c.InboundFailureLimit = "20" },
	} {
		c := DefaultConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), flag+":") {
			t.Errorf("%s: Validate() = %v", flag, err)
		}
	}
	c := DefaultConfig()
	if c.InboundLogRetention != 168*time.Hour || c.InboundLogMaxRows != 100_000 || c.InboundFailureLimit != "20/1m" {
		t.Fatalf("defaults: retention %s, max rows %d, failure limit %s", c.InboundLogRetention, c.InboundLogMaxRows, c.InboundFailureLimit)
	}
	c.AllowedIPs, c.TrustedProxies = "192.168.1.0/24, 10.0.0.1", "127.0.0.1/32"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
