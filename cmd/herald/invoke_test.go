package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// eventReceiver is an outbound webhook receiver on 127.0.0.1 that keeps
// every event it gets.
type eventReceiver struct {
	URL    string
	mu     sync.Mutex
	events []receivedEvent
}

// receivedEvent is one delivered event: its type and data.
type receivedEvent struct {
	Event string         `json:"event"`
	Data  map[string]any `json:"data"`
}

func startEventReceiver(t *testing.T) *eventReceiver {
	rc := &eventReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev receivedEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.mu.Lock()
		rc.events = append(rc.events, ev)
		rc.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// waitFor waits up to 20s for an event of type typ whose data field key
// is value, and returns its data.
func (rc *eventReceiver) waitFor(t *testing.T, typ, key string, value any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		for _, ev := range rc.events {
			if ev.Event == typ && reflect.DeepEqual(ev.Data[key], value) {
				rc.mu.Unlock()
				return ev.Data
			}
		}
		rc.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s event with %s=%v within 20s", typ, key, value)
	return nil
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkKeys fails the test unless data has exactly the fields want.
func checkKeys(t *testing.T, typ string, data map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keys(data); !reflect.DeepEqual(got, want) {
		t.Errorf("%s fields %v, want %v (data %v)", typ, got, want, data)
	}
}

// postGeneric posts body to /api/webhooks/generic with the secret (none
// when "") and returns the status and the decoded answer.
func postGeneric(t *testing.T, ts *testServer, secret, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL()+"/api/webhooks/generic", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Webhook-Secret", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d %q: %v", resp.StatusCode, raw, err)
	}
	return resp.StatusCode, out
}

// curlSeed runs one of seed 002's curl examples against ts: args are the
// example's arguments after the URL, as the seed writes them. It returns
// the status and the decoded answer. Without curl it sends the same
// request with net/http: the headers given, and for -d with no
// Content-Type, curl's application/x-www-form-urlencoded.
func curlSeed(t *testing.T, ts *testServer, args ...string) (int, map[string]any) {
	t.Helper()
	url := ts.URL() + "/api/webhooks/generic"
	var raw []byte
	var status int
	if path, err := exec.LookPath("curl"); err == nil {
		full := append([]string{"-s", "-w", "\n%{http_code}", "-X", "POST", url}, args...)
		out, err := exec.Command(path, full...).Output()
		if err != nil {
			t.Fatalf("curl %q: %v", full, err)
		}
		i := bytes.LastIndexByte(out, '\n')
		raw = out[:i]
		if status, err = strconv.Atoi(string(out[i+1:])); err != nil {
			t.Fatalf("curl output %q", out)
		}
	} else {
		req, _ := http.NewRequest("POST", url, nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(args); i += 2 {
			switch args[i] {
			case "-H":
				k, v, _ := strings.Cut(args[i+1], ":")
				req.Header.Set(k, strings.TrimSpace(v))
			case "-d":
				req.Body = io.NopCloser(strings.NewReader(args[i+1]))
				req.ContentLength = int64(len(args[i+1]))
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ = io.ReadAll(resp.Body)
		status = resp.StatusCode
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d %q: %v", status, raw, err)
	}
	return status, out
}

// errorCode is the error.code of a generic webhook answer.
func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// waitInvocation polls the status URL (with the admin key) until the
// invocation is no longer queued or running.
func waitInvocation(t *testing.T, ts *testServer, statusURL string) *herald.Invocation {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var inv herald.Invocation
		ts.must(200, "GET", statusURL, nil, &inv)
		if inv.Status != herald.InvocationQueued && inv.Status != herald.InvocationRunning {
			return &inv
		}
		if time.Now().After(deadline) {
			t.Fatalf("invocation %s still %s after 20s", inv.ID, inv.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGenericWebhook(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := startEventReceiver(t)
		ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"agent.*", "user.*"}, "max_retries": 0})

		// The default agent exists from the first start, with the echo runtime.
		var def herald.Agent
		ts.must(200, "GET", "/v1/agents/default", nil, &def)
		if def.Runtime == nil || def.Runtime.Type != herald.RuntimeEcho {
			t.Fatalf("default agent: %+v", def)
		}

		// No secret configured: every request is refused, saying how to set one.
		status, out := postGeneric(t, ts, "anything", `{"agent": "default", "message": "x"}`)
		if msg, _ := out["error"].(map[string]any)["message"].(string); status != 401 || out["success"] != false ||
			!strings.Contains(msg, "herald inbound secret set generic") {
			t.Fatalf("without a secret: %d %v", status, out)
		}
		ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "your-secret"}, nil)

		// Seed 002's example, verbatim.
		status, out = curlSeed(t, ts,
			"-H", "Content-Type: application/json",
			"-H", "X-Webhook-Secret: your-secret",
			"-d", `{
    "agent": "default",
    "message": "Process this data",
    "context": {
      "source": "external_service",
      "event_id": "12345"
    }
  }`)
		reqID, _ := out["request_id"].(string)
		if status != 200 || out["success"] != true || out["agent"] != "default" || out["response"] != "Process this data" ||
			!reflect.DeepEqual(out["context"], map[string]any{"source": "external_service", "event_id": "12345"}) ||
			!strings.HasPrefix(reqID, herald.PrefixInvocation) {
			t.Fatalf("seed example: %d %v", status, out)
		}

		// Wrong or missing secret, unknown agent, malformed bodies.
		for _, tc := range []struct {
			secret, body string
			status       int
			inMessage    string
		}{
			{"wrong", `{"agent": "default", "message": "x"}`, 401, "secret"},
			{"", `{"agent": "default", "message": "x"}`, 401, "secret"},
			{"your-secret", `{"agent": "nobody", "message": "x"}`, 404, "nobody"},
			{"your-secret", `{"message": "x"}`, 400, "agent"},
			{"your-secret", `{"agent": "default"}`, 400, "message"},
			{"your-secret", `{"agent": "default", "message": "x", "response_mode": "later"}`, 400, "response_mode"},
			{"your-secret", `{"agent": "default", "message": "x", "context": [1]}`, 400, "context"},
			{"your-secret", `{"agent": "default", "message": "x", "pad": "` + strings.Repeat("x", 2<<20) + `"}`, 413, "body"},
		} {
			status, out := postGeneric(t, ts, tc.secret, tc.body)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if status != tc.status || out["success"] != false || !strings.Contains(msg, tc.inMessage) {
				t.Errorf("%.60s with secret %q: %d %v, want %d naming %s", tc.body, tc.secret, status, out, tc.status, tc.inMessage)
			}
		}

		// Async: 202 at once, then the invocation completes.
		status, out = postGeneric(t, ts, "your-secret", `{"agent": "default", "message": "later", "response_mode": "async"}`)
		statusURL, _ := out["status_url"].(string)
		if status != 202 || out["success"] != true || statusURL != "/v1/invocations/"+out["request_id"].(string) {
			t.Fatalf("async: %d %v", status, out)
		}
		if inv := waitInvocation(t, ts, statusURL); inv.Status != herald.InvocationCompleted || inv.Response != "later" || inv.Mode != herald.ResponseAsync {
			t.Fatalf("async invocation: %+v", inv)
		}

		// http runtimes: one that fails, one too slow, one with actions.
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "model overloaded", 500)
		}))
		defer failing.Close()
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}))
		defer slow.Close()
		acting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"response": "on it", "actions": [{"action": "WARP_EXECUTE", "content": "{\"identifier\":\"a1\"}"}]}`)
		}))
		defer acting.Close()
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "flaky", "runtime": map[string]any{"type": "http", "url": failing.URL}}, nil)
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "sleepy", "runtime": map[string]any{"type": "http", "url": slow.URL, "timeout_seconds": 1}}, nil)
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "doer", "name": "Doer", "runtime": map[string]any{"type": "http", "url": acting.URL}}, nil)
		ts.must(409, "POST", "/v1/agents", map[string]any{"id": "doer"}, nil)
		ts.must(400, "POST", "/v1/agents", map[string]any{"id": "bad", "runtime": map[string]any{"type": "exec", "command": []string{"relative"}}}, nil)
		var doer herald.Agent
		ts.must(200, "PATCH", "/v1/agents/doer", map[string]any{"name": "The Doer"}, &doer)
		if doer.Name != "The Doer" || doer.Runtime == nil || doer.Runtime.URL != acting.URL {
			t.Fatalf("patched agent: %+v", doer)
		}

		status, out = postGeneric(t, ts, "your-secret", `{"agent": "flaky", "message": "x"}`)
		if status != 502 || out["success"] != false || errorCode(out) == "" {
			t.Errorf("failing runtime: %d %v", status, out)
		}
		failedID, _ := out["request_id"].(string)
		status, out = postGeneric(t, ts, "your-secret", `{"agent": "sleepy", "message": "x"}`)
		if status != 504 || out["success"] != false || errorCode(out) != herald.ETIMEOUT {
			t.Errorf("slow runtime: %d %v", status, out)
		}
		timeoutID, _ := out["request_id"].(string)
		status, out = postGeneric(t, ts, "your-secret", `{"agent": "doer", "message": "do it"}`)
		if status != 200 || out["response"] != "on it" {
			t.Errorf("acting runtime: %d %v", status, out)
		}
		doneID, _ := out["request_id"].(string)

		// The events, with exactly the documented fields.
		data := rc.waitFor(t, "user.message", "content", "Process this data")
		checkKeys(t, "user.message", data, "agent_id", "agent", "user", "room", "content")
		if !reflect.DeepEqual(data["agent"], map[string]any{"id": "default", "name": def.Name}) || data["user"] != nil || data["room"] != nil {
			t.Errorf("user.message data %v", data)
		}
		data = rc.waitFor(t, "agent.invoked", "request_id", reqID)
		checkKeys(t, "agent.invoked", data, "agent_id", "agent", "request_id")
		data = rc.waitFor(t, "agent.completed", "request_id", reqID)
		checkKeys(t, "agent.completed", data, "agent_id", "agent", "request_id", "duration", "response")
		if data["agent"] != "default" || !reflect.DeepEqual(data["response"], map[string]any{"message": "Process this data"}) {
			t.Errorf("agent.completed data %v", data)
		}
		data = rc.waitFor(t, "agent.message", "content", "on it")
		checkKeys(t, "agent.message", data, "agent_id", "agent", "room", "content")
		if !reflect.DeepEqual(data["agent"], map[string]any{"id": "doer", "name": "The Doer"}) {
			t.Errorf("agent.message data %v", data)
		}
		data = rc.waitFor(t, "agent.action", "action", "WARP_EXECUTE")
		checkKeys(t, "agent.action", data, "agent_id", "agent", "room", "action", "content")
		if data["content"] != `{"identifier":"a1"}` {
			t.Errorf("agent.action data %v", data)
		}
		data = rc.waitFor(t, "agent.failed", "request_id", failedID)
		checkKeys(t, "agent.failed", data, "agent_id", "agent", "request_id", "error")
		if data["agent"] != "flaky" || !strings.Contains(fmt.Sprint(data["error"]), "500") {
			t.Errorf("agent.failed data %v", data)
		}
		data = rc.waitFor(t, "agent.timeout", "request_id", timeoutID)
		checkKeys(t, "agent.timeout", data, "agent_id", "agent", "request_id", "timeout")
		if data["timeout"] != float64(1) {
			t.Errorf("agent.timeout data %v", data)
		}
		rc.waitFor(t, "agent.completed", "request_id", doneID)

		// The records.
		var page struct {
			Items []*herald.Invocation `json:"items"`
			Total int                  `json:"total"`
		}
		ts.must(200, "GET", "/v1/invocations?agent=default", nil, &page)
		if page.Total != 2 || len(page.Items) != 2 {
			t.Errorf("invocations of default: %d %+v", page.Total, page.Items)
		}
		ts.must(200, "GET", "/v1/invocations?status=timeout", nil, &page)
		if page.Total != 1 || page.Items[0].ID != timeoutID {
			t.Errorf("timed out invocations: %d %+v", page.Total, page.Items)
		}
		ts.must(400, "GET", "/v1/invocations?status=nope", nil, nil)
		ts.must(404, "GET", "/v1/invocations/inv_nope", nil, nil)

		// Seed 002's second example, with no Content-Type, and the secret
		// it uses.
		ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "my-secret-key"}, nil)
		status, out = curlSeed(t, ts, "-H", "X-Webhook-Secret: my-secret-key", "-d", `{"agent": "default", "message": "Hello"}`)
		if status != 200 || out["response"] != "Hello" {
			t.Errorf("second seed example: %d %v", status, out)
		}
		ts.must(404, "PUT", "/v1/inbound/secrets/slack", map[string]any{"secret": "x"}, nil)
		ts.must(400, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": ""}, nil)
		ts.must(204, "DELETE", "/v1/inbound/secrets/generic", nil, nil)
		if status, _ := postGeneric(t, ts, "my-secret-key", `{"agent": "default", "message": "x"}`); status != 401 {
			t.Errorf("after the secret was removed: %d, want 401", status)
		}
	})
}

// TestAsyncInvocationsSurviveRestart queues invocations on an api-only
// node (which runs no jobs), stops it, and starts a full node on the same
// data: each invocation runs exactly once, and not again on a further
// restart.
func TestAsyncInvocationsSurviveRestart(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	rt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req herald.InvocationRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		calls[req.InvocationID]++
		mu.Unlock()
		io.WriteString(w, "done "+req.Message)
	}))
	defer rt.Close()

	dir := t.TempDir()
	ts := startServer(t, func(c *Config) { c.DataDir, c.Role = dir, "api" })
	key := ts.key
	ts.must(201, "POST", "/v1/agents", map[string]any{"id": "bot", "runtime": map[string]any{"type": "http", "url": rt.URL, "max_concurrency": 2}}, nil)
	ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "s3cret"}, nil)
	var urls []string
	for i := range 5 {
		status, out := postGeneric(t, ts, "s3cret", fmt.Sprintf(`{"agent": "bot", "message": "m%d", "response_mode": "async"}`, i))
		if status != 202 {
			t.Fatalf("async %d: %d %v", i, status, out)
		}
		urls = append(urls, out["status_url"].(string))
	}
	time.Sleep(200 * time.Millisecond)
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(calls) != 0 {
		t.Fatalf("an api node ran invocations: %v", calls)
	}
	mu.Unlock()

	for round := range 2 {
		ts = startServer(t, func(c *Config) { c.DataDir = dir })
		ts.key = key
		for i, u := range urls {
			inv := waitInvocation(t, ts, u)
			if inv.Status != herald.InvocationCompleted || inv.Response != fmt.Sprintf("done m%d", i) {
				t.Fatalf("round %d: invocation %+v", round, inv)
			}
		}
		time.Sleep(300 * time.Millisecond)
		if err := ts.Close(); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != len(urls) {
		t.Errorf("runtime saw %d invocations, want %d: %v", len(calls), len(urls), calls)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("invocation %s ran %d times", id, n)
		}
	}
}

// TestExecRuntime runs an agent whose runtime is a script: refused unless
// the server allows exec runtimes, then invoked through the generic webhook
// with the request on stdin and the answer on stdout.
func TestExecRuntime(t *testing.T) {
	script := filepath.Join(t.TempDir(), "agent.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nread -r req\nprintf '{\"response\": \"script got %s\", \"actions\": []}' \"$(printf '%s' \"$req\" | wc -c | tr -d ' ')\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	agent := map[string]any{"id": "scripted", "runtime": map[string]any{"type": "exec", "command": []string{script}, "timeout_seconds": 10}}

	locked := startServer(t)
	status, body := locked.do("POST", "/v1/agents", agent)
	if status != 400 || !strings.Contains(string(body), "runtime.type") || !strings.Contains(string(body), "--allow-exec-runtime") {
		t.Fatalf("exec runtime without --allow-exec-runtime: %d %s", status, body)
	}

	ts := startServer(t, func(c *Config) { c.AllowExecRuntime = true })
	ts.must(201, "POST", "/v1/agents", agent, nil)
	ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]string{"secret": "s3cret"}, nil)
	status, out := postGeneric(t, ts, "s3cret", `{"agent": "scripted", "message": "hello"}`)
	resp, _ := out["response"].(string)
	if status != 200 || !strings.HasPrefix(resp, "script got ") || resp == "script got 0" {
		t.Fatalf("exec runtime: %d %v", status, out)
	}
	// The generic endpoint's requests are in the log under its name.
	var log struct{ Items []herald.InboundRequest }
	ts.must(200, "GET", "/api/webhooks/generic/requests?verdict=accepted", nil, &log)
	if len(log.Items) != 1 || log.Items[0].InvocationID != out["request_id"] {
		t.Fatalf("generic request log: %+v", log.Items)
	}
}
