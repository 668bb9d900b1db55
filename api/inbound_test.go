package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// inboundFake keeps named inbound webhooks (by tenant and name), their
// log and claims in memory; other calls go to the embedded store.
type inboundFake struct {
	herald.Store
	mu       sync.Mutex
	hooks    map[string]*herald.InboundWebhook
	requests []*herald.InboundRequest
	claims   map[string]bool
}

// hookKey is the key of a tenant's webhook in hooks.
func hookKey(tenant herald.TenantID, name string) string { return string(tenant) + "/" + name }

// refKey is the key of the webhook a Ref reaches (see Tenancy.Owner).
func refKey(ref herald.Ref) (string, bool) {
	owner, ok := ref.Tenancy.Owner()
	return hookKey(herald.TenantID(owner), ref.ID), ok
}

func (f *inboundFake) CreateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hooks[hookKey(w.TenantID, w.Name)] != nil {
		return herald.Errorf(herald.ECONFLICT, "webhook %q exists", w.Name)
	}
	c := *w
	f.hooks[hookKey(w.TenantID, w.Name)] = &c
	return nil
}

func (f *inboundFake) InboundWebhook(ctx context.Context, ref herald.Ref) (*herald.InboundWebhook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := refKey(ref); ok && f.hooks[k] != nil {
		c := *f.hooks[k]
		return &c, nil
	}
	return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
}

func (f *inboundFake) ListInboundWebhooks(ctx context.Context, filter herald.InboundWebhookFilter) ([]*herald.InboundWebhook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*herald.InboundWebhook
	for _, w := range f.hooks {
		if filter.Tenancy.Allows(string(w.TenantID)) {
			c := *w
			out = append(out, &c)
		}
	}
	return out, nil
}

func (f *inboundFake) UpdateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hooks[hookKey(w.TenantID, w.Name)] == nil {
		return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", w.Name)
	}
	c := *w
	f.hooks[hookKey(w.TenantID, w.Name)] = &c
	return nil
}

func (f *inboundFake) DeleteInboundWebhook(ctx context.Context, ref herald.Ref) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := refKey(ref)
	if !ok || f.hooks[k] == nil {
		return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
	}
	delete(f.hooks, k)
	return nil
}

func (f *inboundFake) TouchInboundWebhook(ctx context.Context, p herald.TouchInboundParams) error {
	return nil
}

func (f *inboundFake) RecordInboundRequest(ctx context.Context, r *herald.InboundRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	return nil
}

func (f *inboundFake) ClaimRequestID(ctx context.Context, p herald.ClaimParams) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := p.Scope + "\x00" + p.ID
	if f.claims[k] {
		return false, nil
	}
	f.claims[k] = true
	return true, nil
}

// lastRequest returns the last logged request.
func (f *inboundFake) lastRequest() *herald.InboundRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil
	}
	return f.requests[len(f.requests)-1]
}

// echoInvoker answers every sync call with the message, as the echo
// runtime does.
type echoInvoker struct {
	mu    sync.Mutex
	calls []herald.InvokeParams
}

func (e *echoInvoker) Invoke(ctx context.Context, p herald.InvokeParams) (*herald.Invocation, error) {
	e.mu.Lock()
	e.calls = append(e.calls, p)
	n := len(e.calls)
	e.mu.Unlock()
	if p.Agent == "missing" {
		return nil, herald.Errorf(herald.ENOTFOUND, "agent %q not found", p.Agent)
	}
	inv := &herald.Invocation{ID: "inv_" + string(rune('0'+n)), Agent: p.Agent, Source: p.Source, Mode: p.Mode, Message: p.Message}
	switch {
	case p.Mode == herald.ResponseAsync:
		inv.Status = herald.InvocationQueued
	case p.Agent == "broken":
		inv.Status, inv.Error = herald.InvocationFailed, "exit status 1"
	default:
		inv.Status, inv.Response = herald.InvocationCompleted, p.Message
	}
	return inv, nil
}

func (e *echoInvoker) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls)
}

func newInboundTest(t *testing.T, mutate ...func(*Config)) (*apiTest, *inboundFake, *echoInvoker) {
	t.Helper()
	var fake *inboundFake
	inv := &echoInvoker{}
	a := newAPITest(t, append([]func(*Config){func(c *Config) {
		fake = &inboundFake{Store: c.Store, hooks: map[string]*herald.InboundWebhook{}, claims: map[string]bool{}}
		c.Store, c.Invoker = fake, inv
	}}, mutate...)...)
	return a, fake, inv
}

// send posts raw body to path with headers and returns status, answer
// and the response headers.
func (a *apiTest) send(path, body string, headers ...string) (int, map[string]any, http.Header) {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.srv.URL+path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out, resp.Header
}

func TestInboundManagement(t *testing.T) {
	a, _, _ := newInboundTest(t)
	auth := []string{"Authorization", "Bearer " + adminKey}

	// No key: 401, as every management route.
	if st, _ := a.call("POST", "/api/webhooks", map[string]any{"name": "x", "agent": "default"}); st != 401 {
		t.Fatalf("create without a key: %d", st)
	}
	st, out := a.call("POST", "/api/webhooks", map[string]any{"name": "github-webhook", "agent": "default"}, auth...)
	if st != 201 || !strings.HasPrefix(out["secret"].(string), "whsec_") || out["enabled"] != true || out["provider"] != "generic" || out["response_mode"] != "sync" {
		t.Fatalf("create: %d %v", st, out)
	}
	if st, _ := a.call("POST", "/api/webhooks", map[string]any{"name": "github-webhook", "agent": "default"}, auth...); st != 409 {
		t.Fatalf("duplicate create: %d", st)
	}
	for _, bad := range []map[string]any{
		{"name": "Bad Name", "agent": "a"},
		{"name": "generic", "agent": "a"},
		{"name": "x"},
		{"name": "x", "agent": "a", "provider": "gitlab"},
		{"name": "x", "agent": "a", "provider": "discord"},
		{"name": "x", "agent": "a", "provider": "telegram", "secret": "has spaces"},
		{"name": "x", "agent": "a", "allowed_ips": []string{"10.0.0.0/33"}},
		{"name": "x", "agent": "a", "rate_limit": map[string]any{"requests": 0, "per": "1m"}},
		{"name": "x", "agent": "a", "response_mode": "later"},
	} {
		if st, out := a.call("POST", "/api/webhooks", bad, auth...); st != 400 {
			t.Errorf("create %v: %d %v", bad, st, out)
		}
	}
	// A bad template is a 400 naming the field and position.
	st, out = a.call("POST", "/api/webhooks", map[string]any{"name": "x", "agent": "a", "transform": map[string]any{"message_template": "{{ a }"}}, auth...)
	msg, _ := out["error"].(map[string]any)["message"].(string)
	if st != 400 || !strings.Contains(msg, "transform.message_template") || !strings.Contains(msg, "line 1") {
		t.Fatalf("bad template: %d %v", st, out)
	}
	st, out = a.call("POST", "/api/webhooks", map[string]any{"name": "x", "agent": "a", "filters": map[string]any{"condition": "$.a =="}}, auth...)
	if st != 400 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "filters.condition") {
		t.Fatalf("bad condition: %d %v", st, out)
	}

	st, out = a.call("GET", "/api/webhooks", nil, auth...)
	if st != 200 || len(out["webhooks"].([]any)) != 1 || out["webhooks"].([]any)[0].(map[string]any)["secret"] != nil {
		t.Fatalf("list: %d %v", st, out)
	}
	st, out = a.call("PUT", "/api/webhooks/github-webhook", map[string]any{"agent": "devops", "enabled": false}, auth...)
	if st != 200 || out["agent"] != "devops" || out["enabled"] != false || out["secret"] != nil {
		t.Fatalf("put: %d %v", st, out)
	}
	if st, _ := a.call("PUT", "/api/webhooks/github-webhook", map[string]any{"name": "other", "agent": "a"}, auth...); st != 400 {
		t.Fatalf("rename: %d", st)
	}
	if st, _ := a.call("DELETE", "/api/webhooks/github-webhook", nil, auth...); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := a.call("GET", "/api/webhooks/github-webhook", nil, auth...); st != 404 {
		t.Fatalf("get after delete: %d", st)
	}
}

func TestInboundReceive(t *testing.T) {
	a, fake, inv := newInboundTest(t)
	auth := []string{"Authorization", "Bearer " + adminKey}
	a.call("POST", "/api/webhooks", map[string]any{
		"name": "alert-webhook", "agent": "default", "secret": "my-secret",
		"transform": map[string]any{
			"message_template": "Alert from {{source}}: {{message}}",
			"context_mapping":  map[string]string{"severity": "$.severity", "service": "$.service_name"},
		},
		"filters": map[string]any{"include": []string{"*.critical", "*.warning"}, "exclude": []string{"*.debug"}},
	}, auth...)

	body := `{"event_type": "db.critical", "message": "disk full", "severity": "critical", "service_name": "db"}`
	st, out, _ := a.send("/api/webhooks/alert-webhook", body, "X-Webhook-Secret", "my-secret")
	if st != 200 || out["response"] != "Alert from webhook:alert-webhook: disk full" || out["context"].(map[string]any)["service"] != "db" || out["request_id"] == nil {
		t.Fatalf("receive: %d %v", st, out)
	}
	if r := fake.lastRequest(); r.Verdict != herald.VerdictAccepted || r.InvocationID == "" || r.EventType != "db.critical" || r.SourceIP != "127.0.0.1" {
		t.Fatalf("logged %+v", r)
	}
	// Bearer and HMAC signature work too.
	if st, _, _ := a.send("/api/webhooks/alert-webhook", body, "Authorization", "Bearer my-secret"); st != 200 {
		t.Fatalf("bearer: %d", st)
	}
	mac := hmac.New(sha256.New, []byte("my-secret"))
	mac.Write([]byte(body))
	if st, _, _ := a.send("/api/webhooks/alert-webhook", body, "X-Webhook-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil))); st != 200 {
		t.Fatalf("signature: %d", st)
	}
	if st, _, _ := a.send("/api/webhooks/alert-webhook", body, "X-Webhook-Secret", "wrong-secret"); st != 401 {
		t.Fatalf("wrong secret: %d", st)
	}
	if r := fake.lastRequest(); r.Verdict != herald.VerdictRejected || r.Status != 401 || r.Headers["x-webhook-secret"] != "" || r.Body != "" {
		t.Fatalf("logged %+v", r)
	}
	if st, _, _ := a.send("/api/webhooks/nope", body, "X-Webhook-Secret", "my-secret"); st != 404 {
		t.Fatalf("unknown: %d", st)
	}
	n := inv.count()
	st, out, _ = a.send("/api/webhooks/alert-webhook", `{"event_type": "db.debug"}`, "X-Webhook-Secret", "my-secret")
	if st != 200 || out["filtered"] != true || !strings.Contains(out["reason"].(string), "exclude") {
		t.Fatalf("filtered: %d %v", st, out)
	}
	st, out, _ = a.send("/api/webhooks/alert-webhook", `{"message": "hi"}`, "X-Event-Type", "x.info", "X-Webhook-Secret", "my-secret")
	if st != 200 || out["filtered"] != true || inv.count() != n {
		t.Fatalf("not included: %d %v", st, out)
	}
	if r := fake.lastRequest(); r.Verdict != herald.VerdictFiltered {
		t.Fatalf("logged %+v", r)
	}

	// Duplicates by X-Request-Id.
	n = inv.count()
	for i := 0; i < 2; i++ {
		st, out, _ = a.send("/api/webhooks/alert-webhook", body, "X-Webhook-Secret", "my-secret", "X-Request-Id", "r-1")
	}
	if st != 200 || out["duplicate"] != true || inv.count() != n+1 {
		t.Fatalf("duplicate: %d %v, %d invocations", st, out, inv.count()-n)
	}

	// Trigger takes the message as is, and async answers 202.
	st, out, _ = a.send("/api/webhooks/alert-webhook/trigger", `{"message": "run", "context": {"k": 1}, "response_mode": "async"}`, "X-Webhook-Secret", "my-secret")
	if st != 202 || out["status_url"] == nil {
		t.Fatalf("trigger: %d %v", st, out)
	}
	if last := inv.calls[len(inv.calls)-1]; last.Source != "trigger:alert-webhook" || last.Message != "run" || last.Mode != "async" {
		t.Fatalf("trigger params %+v", last)
	}

	// An admin key may trigger too, but not post payloads.
	if st, _, _ := a.send("/api/webhooks/alert-webhook/trigger", `{"message": "run"}`, "Authorization", "Bearer "+adminKey); st != 200 {
		t.Fatalf("trigger with the admin key: %d", st)
	}
	if st, _, _ := a.send("/api/webhooks/alert-webhook", body, "Authorization", "Bearer "+adminKey); st != 401 {
		t.Fatalf("payload with the admin key: %d", st)
	}

	// A body over the limit is 413.
	if st, _, _ := a.send("/api/webhooks/alert-webhook", `{"a":"`+strings.Repeat("x", 5000)+`"}`, "X-Webhook-Secret", "my-secret"); st != 413 {
		t.Fatalf("large: %d", st)
	}
	// A failing runtime is 502.
	a.call("PUT", "/api/webhooks/alert-webhook", map[string]any{"agent": "broken"}, auth...)
	if st, out, _ := a.send("/api/webhooks/alert-webhook", `{"message":"x"}`, "X-Webhook-Secret", "my-secret"); st != 502 || out["success"] != false {
		t.Fatalf("broken: %d %v", st, out)
	}
	a.call("PUT", "/api/webhooks/alert-webhook", map[string]any{"agent": "missing"}, auth...)
	if st, _, _ := a.send("/api/webhooks/alert-webhook", `{"message":"x"}`, "X-Webhook-Secret", "my-secret"); st != 404 {
		t.Fatalf("missing agent: %d", st)
	}
}

func TestInboundGuards(t *testing.T) {
	a, _, _ := newInboundTest(t)
	auth := []string{"Authorization", "Bearer " + adminKey}
	a.call("POST", "/api/webhooks", map[string]any{"name": "fenced", "agent": "default", "secret": "my-secret", "allowed_ips": []string{"10.0.0.0/8"}}, auth...)
	a.call("POST", "/api/webhooks", map[string]any{"name": "limited", "agent": "default", "secret": "my-secret", "rate_limit": map[string]any{"requests": 2, "per": "1h"}}, auth...)
	if st, _, _ := a.send("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "my-secret"); st != 403 {
		t.Fatalf("allowlist: %d", st)
	}
	// X-Forwarded-For is ignored from an untrusted peer.
	if st, _, _ := a.send("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "my-secret", "X-Forwarded-For", "10.1.2.3"); st != 403 {
		t.Fatalf("spoofed XFF: %d", st)
	}
	for i := 0; i < 2; i++ {
		if st, _, _ := a.send("/api/webhooks/limited", `{}`, "X-Webhook-Secret", "my-secret"); st != 200 {
			t.Fatalf("limited %d: %d", i, st)
		}
	}
	st, _, h := a.send("/api/webhooks/limited", `{}`, "X-Webhook-Secret", "my-secret")
	if st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("rate limit: %d %v", st, h)
	}

	// From a trusted proxy, the right-most untrusted address counts.
	b, _, _ := newInboundTest(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	b.call("POST", "/api/webhooks", map[string]any{"name": "fenced", "agent": "default", "secret": "my-secret", "allowed_ips": []string{"10.0.0.0/8"}}, auth...)
	if st, _, _ := b.send("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "my-secret", "X-Forwarded-For", "192.168.1.1, 10.1.2.3, 127.0.0.5"); st != 200 {
		t.Fatalf("trusted XFF: %d", st)
	}
	if st, _, _ := b.send("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "my-secret", "X-Forwarded-For", "10.1.2.3, 192.168.1.1"); st != 403 {
		t.Fatalf("trusted XFF, outside: %d", st)
	}

	// The server-wide allowlist applies on top.
	c, _, _ := newInboundTest(t, func(c *Config) {
		c.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	})
	c.call("POST", "/api/webhooks", map[string]any{"name": "open", "agent": "default", "secret": "my-secret"}, auth...)
	if st, _, _ := c.send("/api/webhooks/open", `{}`, "X-Webhook-Secret", "my-secret"); st != 403 {
		t.Fatalf("global allowlist: %d", st)
	}
}

func TestTokenBucket(t *testing.T) {
	now := time.Unix(0, 0)
	var c inboundCache
	wh := &herald.InboundWebhook{Name: "limited", RateLimit: &herald.RateLimit{Requests: 2, Per: herald.Duration(10 * time.Second)}}
	for i := 0; i < 2; i++ {
		if ok, _ := c.allow(wh, now); !ok {
			t.Fatal("burst refused")
		}
	}
	ok, wait := c.allow(wh, now)
	if ok || wait != 5*time.Second {
		t.Fatalf("empty bucket: %v %s", ok, wait)
	}
	if ok, _ := c.allow(wh, now.Add(5*time.Second)); !ok {
		t.Fatal("refill refused")
	}
}
