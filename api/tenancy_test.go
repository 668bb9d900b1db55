package api

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
)

// Tenant keys of the fake stores.
const (
	acmeKey       = "hk_acme_admin"
	acmeIngestKey = "hk_acme_ingest"
	betaKey       = "hk_beta_admin"
)

// tenancyFake records what the handlers ask the store: the Tenancy of
// lists and reads, and the owner of what they create.
type tenancyFake struct {
	*fakeStore
	mu       sync.Mutex
	tenancy  herald.Tenancy
	created  any
	tenants  map[string]*herald.Tenant
	reported herald.TenantID
}

func (f *tenancyFake) saw(t herald.Tenancy) {
	f.mu.Lock()
	f.tenancy = t
	f.mu.Unlock()
}

func (f *tenancyFake) made(v any) {
	f.mu.Lock()
	f.created = v
	f.mu.Unlock()
}

func (f *tenancyFake) ListWebhooks(ctx context.Context, wf herald.WebhookFilter) ([]*herald.Webhook, int, error) {
	f.saw(wf.Tenancy)
	return nil, 0, nil
}

func (f *tenancyFake) CreateWebhook(ctx context.Context, w *herald.Webhook) error {
	w.ID = "wh_new"
	f.made(w)
	return nil
}

func (f *tenancyFake) ListEvents(ctx context.Context, ef herald.EventFilter) ([]*herald.Event, int, error) {
	f.saw(ef.Tenancy)
	return nil, 0, nil
}

func (f *tenancyFake) PublishEvent(ctx context.Context, p herald.PublishParams) (*herald.PublishResult, error) {
	f.made(p)
	return &herald.PublishResult{Event: &herald.Event{ID: "evt_1", TenantID: herald.TenantID(p.TenantID), Type: p.Type}, Created: true}, nil
}

func (f *tenancyFake) ListAgents(ctx context.Context, af herald.AgentFilter) ([]*herald.Agent, int, error) {
	f.saw(af.Tenancy)
	return nil, 0, nil
}

func (f *tenancyFake) SaveAgent(ctx context.Context, p herald.SaveAgentParams) (*herald.Agent, error) {
	f.made(p)
	owner, _ := p.Tenancy.Tenant()
	return &herald.Agent{ID: p.ID, TenantID: herald.TenantID(owner), Status: herald.AgentUnknown}, nil
}

func (f *tenancyFake) ListAPIKeys(ctx context.Context, kf herald.APIKeyFilter) ([]*herald.APIKey, error) {
	f.saw(kf.Tenancy)
	return nil, nil
}

func (f *tenancyFake) CreateAPIKey(ctx context.Context, k *herald.APIKey) error {
	f.made(k)
	return nil
}

func (f *tenancyFake) ListAlerts(ctx context.Context, af herald.AlertFilter) ([]*herald.AlertRule, int, error) {
	f.saw(af.Tenancy)
	return nil, 0, nil
}

func (f *tenancyFake) CreateAlert(ctx context.Context, r *herald.AlertRule) error {
	r.ID = "alr_1"
	f.made(r)
	return nil
}

func (f *tenancyFake) ListInvocations(ctx context.Context, inf herald.InvocationFilter) ([]*herald.Invocation, int, error) {
	f.saw(inf.Tenancy)
	return nil, 0, nil
}

func (f *tenancyFake) ListDeployments(ctx context.Context, df herald.DeploymentFilter) ([]*herald.Deployment, int, error) {
	f.saw(df.Tenancy)
	return nil, 0, nil
}

func (f *tenancyFake) ReportAgentStatus(ctx context.Context, r *herald.AgentReport) (*herald.ReportResult, error) {
	f.mu.Lock()
	f.reported = r.TenantID
	f.mu.Unlock()
	return f.fakeStore.ReportAgentStatus(ctx, r)
}

func (f *tenancyFake) ReportMetrics(ctx context.Context, r *herald.MetricsReport) (*herald.ReportResult, error) {
	f.mu.Lock()
	f.reported = r.TenantID
	f.mu.Unlock()
	return f.fakeStore.ReportMetrics(ctx, r)
}

func (f *tenancyFake) PutTenant(ctx context.Context, t *herald.Tenant) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, had := f.tenants[t.ID]
	c := *t
	f.tenants[t.ID] = &c
	return !had, nil
}

func (f *tenancyFake) Tenant(ctx context.Context, id string) (*herald.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.tenants[id]; t != nil {
		c := *t
		c.Counts = &herald.TenantCounts{}
		return &c, nil
	}
	return nil, herald.Errorf(herald.ENOTFOUND, "tenant %q not found", id)
}

func (f *tenancyFake) ListTenants(ctx context.Context, tf herald.TenantFilter) ([]*herald.Tenant, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*herald.Tenant
	for _, t := range f.tenants {
		out = append(out, t)
	}
	return out, len(out), nil
}

// newTenancyTest is an API server on a tenancyFake with the platform's
// admin and ingest keys, acme's admin and ingest keys, and beta's admin
// key.
func newTenancyTest(t *testing.T, mutate ...func(*Config)) (*apiTest, *tenancyFake) {
	t.Helper()
	var fake *tenancyFake
	a := newAPITest(t, append([]func(*Config){func(c *Config) {
		base := c.Store.(*fakeStore)
		base.keys[herald.HashAPIKey(acmeKey)] = &herald.APIKey{ID: "key_acme", Scope: herald.ScopeAdmin, TenantID: "acme"}
		base.keys[herald.HashAPIKey(acmeIngestKey)] = &herald.APIKey{ID: "key_acme_i", Scope: herald.ScopeIngest, TenantID: "acme"}
		base.keys[herald.HashAPIKey(betaKey)] = &herald.APIKey{ID: "key_beta", Scope: herald.ScopeAdmin, TenantID: "beta"}
		base.webhooks["wh_acme"] = "acme"
		fake = &tenancyFake{fakeStore: base, tenants: map[string]*herald.Tenant{}}
		c.Store = fake
	}}, mutate...)...)
	return a, fake
}

// The request's tenancy: a platform key reaches every tenant, or the one
// its header or query names; a tenant key reaches its own, and naming
// another is 403.
func TestRequestTenancy(t *testing.T) {
	a, fake := newTenancyTest(t)
	cases := []struct {
		name    string
		path    string
		headers []string
		status  int
		want    herald.Tenancy
	}{
		{"platform key", "/v1/webhooks", bearerOf(adminKey), 200, herald.AnyTenant()},
		{"platform key, query", "/v1/webhooks?tenant_id=acme", bearerOf(adminKey), 200, herald.OnlyTenant("acme")},
		{"platform key, header", "/v1/events", append(bearerOf(adminKey), TenantHeader, "acme"), 200, herald.OnlyTenant("acme")},
		{"platform key, both alike", "/v1/agents?tenant_id=acme", append(bearerOf(adminKey), TenantHeader, "acme"), 200, herald.OnlyTenant("acme")},
		{"platform key, both differ", "/v1/agents?tenant_id=acme", append(bearerOf(adminKey), TenantHeader, "beta"), 400, herald.Tenancy{}},
		{"platform key, bad id", "/v1/keys?tenant_id=-x", bearerOf(adminKey), 400, herald.Tenancy{}},
		{"tenant key", "/v1/alerts", bearerOf(acmeKey), 200, herald.OnlyTenant("acme")},
		{"tenant key, own header", "/v1/invocations", append(bearerOf(acmeKey), TenantHeader, "acme"), 200, herald.OnlyTenant("acme")},
		{"tenant key, own query", "/v1/deployments?tenant_id=acme", bearerOf(acmeKey), 200, herald.OnlyTenant("acme")},
		{"tenant key, other header", "/v1/webhooks", append(bearerOf(acmeKey), TenantHeader, "beta"), 403, herald.Tenancy{}},
		{"tenant key, other query", "/v1/keys?tenant_id=beta", bearerOf(acmeKey), 403, herald.Tenancy{}},
	}
	for _, c := range cases {
		fake.saw(herald.Tenancy{})
		status, out := a.call("GET", c.path, nil, c.headers...)
		if status != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, status, out, c.status)
			continue
		}
		if status == 400 {
			if _, msg := errorCode(out); !strings.HasPrefix(msg, "tenant_id") && !strings.HasPrefix(msg, TenantHeader) {
				t.Errorf("%s: %v does not name the tenant", c.name, out)
			}
		}
		if fake.tenancy != c.want {
			t.Errorf("%s: the store saw %s, want %s", c.name, fake.tenancy, c.want)
		}
	}
}

// The platform's routes refuse tenant keys.
func TestPlatformRoutes(t *testing.T) {
	a, _ := newTenancyTest(t)
	for _, r := range [][2]string{
		{"GET", "/v1/tenants"}, {"PUT", "/v1/tenants/acme"}, {"GET", "/v1/tenants/acme"}, {"DELETE", "/v1/tenants/acme"},
		{"GET", "/v1/inbound/secrets/generic"}, {"PUT", "/v1/inbound/secrets/generic"}, {"DELETE", "/v1/inbound/secrets/generic"},
	} {
		status, out := a.call(r[0], r[1], map[string]any{}, bearerOf(acmeKey)...)
		if code, _ := errorCode(out); status != 403 || code != herald.EFORBIDDEN {
			t.Errorf("%s %s with a tenant key: %d %v", r[0], r[1], status, out)
		}
	}

	// PUT creates (201), then updates (200) what the body gives.
	admin := bearerOf(adminKey)
	status, out := a.call("PUT", "/v1/tenants/acme", map[string]any{"name": "Acme", "metadata": map[string]any{"plan": "pro"}}, admin...)
	if status != 201 || out["id"] != "acme" || out["name"] != "Acme" || out["metadata"].(map[string]any)["plan"] != "pro" {
		t.Fatalf("create: %d %v", status, out)
	}
	status, out = a.call("PUT", "/v1/tenants/acme", map[string]any{"name": "Acme Inc"}, admin...)
	if status != 200 || out["name"] != "Acme Inc" || out["metadata"].(map[string]any)["plan"] != "pro" {
		t.Fatalf("update: %d %v", status, out)
	}
	status, out = a.call("PUT", "/v1/tenants/bad%20id", map[string]any{}, admin...)
	if code, msg := errorCode(out); status != 400 || code != herald.EINVALID || !strings.HasPrefix(msg, "id:") {
		t.Fatalf("bad id: %d %v", status, out)
	}
	status, out = a.call("PUT", "/v1/tenants/beta", map[string]any{"metadata": []int{1}}, admin...)
	if code, msg := errorCode(out); status != 400 || code != herald.EINVALID || !strings.HasPrefix(msg, "metadata") {
		t.Fatalf("bad metadata: %d %v", status, out)
	}
	status, out = a.call("GET", "/v1/tenants/acme", nil, admin...)
	if status != 200 || out["counts"] == nil {
		t.Fatalf("get: %d %v", status, out)
	}
	status, out = a.call("GET", "/v1/tenants?limit=10", nil, admin...)
	if items, _ := out["items"].([]any); status != 200 || len(items) != 1 || out["total"] != 1.0 || out["limit"] != 10.0 {
		t.Fatalf("list: %d %v", status, out)
	}
}

// What a request creates belongs to the key's tenant, or for a platform
// key to the body's tenant_id, else the header's, else the platform.
func TestOwnerOfCreated(t *testing.T) {
	a, fake := newTenancyTest(t)
	hook := func(extra map[string]any) map[string]any {
		b := map[string]any{"url": "https://example.com/hook", "events": []string{"*"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name    string
		body    map[string]any
		headers []string
		status  int
		owner   herald.TenantID
		field   string
	}{
		{"platform", hook(nil), bearerOf(adminKey), 201, "", ""},
		{"platform, body", hook(map[string]any{"tenant_id": "acme"}), bearerOf(adminKey), 201, "acme", ""},
		{"platform, null body", hook(map[string]any{"tenant_id": nil}), bearerOf(adminKey), 201, "", ""},
		{"platform, header", hook(nil), append(bearerOf(adminKey), TenantHeader, "acme"), 201, "acme", ""},
		{"platform, body and header differ", hook(map[string]any{"tenant_id": "beta"}), append(bearerOf(adminKey), TenantHeader, "acme"), 400, "", "tenant_id"},
		{"platform, bad body", hook(map[string]any{"tenant_id": "a b"}), bearerOf(adminKey), 400, "", "tenant_id"},
		{"tenant", hook(nil), bearerOf(acmeKey), 201, "acme", ""},
		{"tenant, own body", hook(map[string]any{"tenant_id": "acme"}), bearerOf(acmeKey), 201, "acme", ""},
		{"tenant, other body", hook(map[string]any{"tenant_id": "beta"}), bearerOf(acmeKey), 403, "", "tenant_id"},
		{"firehose", hook(map[string]any{"all_tenants": true}), bearerOf(adminKey), 201, "", ""},
		{"tenant firehose", hook(map[string]any{"all_tenants": true}), bearerOf(acmeKey), 400, "", "all_tenants"},
		{"tenant firehose by admin", hook(map[string]any{"all_tenants": true, "tenant_id": "acme"}), bearerOf(adminKey), 400, "", "all_tenants"},
	}
	for _, c := range cases {
		fake.made(nil)
		status, out := a.call("POST", "/v1/webhooks", c.body, c.headers...)
		if status != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, status, out, c.status)
			continue
		}
		if c.field != "" {
			if _, msg := errorCode(out); !strings.HasPrefix(msg, c.field+":") {
				t.Errorf("%s: %v does not name %s", c.name, out, c.field)
			}
			if fake.created != nil {
				t.Errorf("%s: created %+v", c.name, fake.created)
			}
			continue
		}
		wh, _ := fake.created.(*herald.Webhook)
		if wh == nil || wh.TenantID != c.owner || wh.AllTenants != (c.body["all_tenants"] == true) {
			t.Errorf("%s: created %+v, want the owner %q", c.name, wh, c.owner)
		}
		if want := any(nil); c.owner != "" {
			want = string(c.owner)
			if out["tenant_id"] != want {
				t.Errorf("%s: answered tenant_id %v", c.name, out["tenant_id"])
			}
		} else if out["tenant_id"] != want {
			t.Errorf("%s: answered tenant_id %v, want null", c.name, out["tenant_id"])
		}
	}

	// Events, keys, agents and alerts take their owner the same way.
	if status, _ := a.call("POST", "/v1/events", map[string]any{"type": "a.b", "tenant_id": "beta"}, bearerOf(acmeKey)...); status != 403 {
		t.Errorf("event for another tenant: %d", status)
	}
	if status, _ := a.call("POST", "/v1/events", map[string]any{"type": "a.b"}, bearerOf(acmeKey)...); status != 202 || fake.created.(herald.PublishParams).TenantID != "acme" {
		t.Errorf("event of a tenant key: %d %+v", status, fake.created)
	}
	if status, _ := a.call("POST", "/v1/events", map[string]any{"type": "a.b", "tenant_id": "beta"}, bearerOf(adminKey)...); status != 202 || fake.created.(herald.PublishParams).TenantID != "beta" {
		t.Errorf("event for a tenant: %d %+v", status, fake.created)
	}
	if status, _ := a.call("POST", "/v1/keys", map[string]any{"name": "k", "scope": "admin", "tenant_id": "beta"}, bearerOf(acmeKey)...); status != 403 {
		t.Errorf("key for another tenant: %d", status)
	}
	if status, out := a.call("POST", "/v1/keys", map[string]any{"name": "k", "scope": "ingest", "tenant_id": "acme"}, bearerOf(adminKey)...); status != 201 || out["tenant_id"] != "acme" || fake.created.(*herald.APIKey).TenantID != "acme" {
		t.Errorf("key for a tenant: %d %v", status, out)
	}
	if status, out := a.call("POST", "/v1/agents", map[string]any{"id": "default", "tenant_id": "acme"}, bearerOf(adminKey)...); status != 201 || out["tenant_id"] != "acme" {
		t.Errorf("agent for a tenant: %d %v", status, out)
	}
	if status, out := a.call("PATCH", "/v1/agents/default", map[string]any{"name": "D"}, bearerOf(acmeKey)...); status != 200 || fake.created.(herald.SaveAgentParams).Tenancy != herald.OnlyTenant("acme") {
		t.Errorf("agent update of a tenant key: %d %v", status, out)
	}
	if status, out := a.call("PATCH", "/v1/agents/default", map[string]any{"name": "D"}, bearerOf(adminKey)...); status != 200 || fake.created.(herald.SaveAgentParams).Tenancy != herald.Platform() {
		t.Errorf("agent update of the platform key: %d %v", status, out)
	}
	if status, out := a.call("POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "webhook_id": "wh_acme"}, bearerOf(acmeKey)...); status != 201 || fake.created.(*herald.AlertRule).TenantID != "acme" {
		t.Errorf("alert of a tenant key on its webhook: %d %v", status, out)
	}
	// An alert's webhook must be its tenant's.
	for _, c := range []struct {
		key, body string
		webhook   string
	}{{acmeKey, "", "wh_1"}, {adminKey, "", "wh_acme"}, {betaKey, "", "wh_acme"}, {adminKey, "beta", "wh_acme"}} {
		body := map[string]any{"metric": "webhook-failures", "webhook_id": c.webhook}
		if c.body != "" {
			body["tenant_id"] = c.body
		}
		status, out := a.call("POST", "/v1/alerts", body, bearerOf(c.key)...)
		if _, msg := errorCode(out); status != 400 || !strings.HasPrefix(msg, "webhook_id:") {
			t.Errorf("alert of %s on %s: %d %v", c.key, c.webhook, status, out)
		}
	}
}

// An ingest report's tenant comes from the credential; a platform API key
// may name one.
func TestIngestTenant(t *testing.T) {
	a, fake := newTenancyTest(t, func(c *Config) { c.JWTTenantClaim = "org" })
	report := func(tenant string) map[string]any {
		r := map[string]any{"agent_id": "a1", "status": "running"}
		if tenant != "" {
			r["tenant_id"] = tenant
		}
		return r
	}
	jwtOf := func(claims jwt.MapClaims) []string { return bearerOf(hs256(t, live(claims))) }
	cases := []struct {
		name    string
		body    map[string]any
		headers []string
		status  int
		tenant  herald.TenantID
	}{
		{"platform ingest key", report(""), bearerOf(ingestKey), 202, ""},
		{"platform ingest key, body", report("acme"), bearerOf(ingestKey), 202, "acme"},
		{"platform ingest key, header", report(""), append(bearerOf(ingestKey), TenantHeader, "acme"), 202, "acme"},
		{"platform admin key, body", report("beta"), bearerOf(adminKey), 202, "beta"},
		{"tenant ingest key", report(""), bearerOf(acmeIngestKey), 202, "acme"},
		{"tenant ingest key, own body", report("acme"), bearerOf(acmeIngestKey), 202, "acme"},
		{"tenant ingest key, other body", report("beta"), bearerOf(acmeIngestKey), 403, ""},
		{"tenant admin key, other header", report(""), append(bearerOf(acmeKey), TenantHeader, "beta"), 403, ""},
		{"tenant jwt", report(""), jwtOf(jwt.MapClaims{"org": "acme"}), 202, "acme"},
		{"tenant jwt, own body", report("acme"), jwtOf(jwt.MapClaims{"org": "acme"}), 202, "acme"},
		{"tenant jwt, other body", report("beta"), jwtOf(jwt.MapClaims{"org": "acme"}), 403, ""},
		{"tenant jwt, default claim ignored", report(""), jwtOf(jwt.MapClaims{"tenant_id": "acme"}), 202, ""},
		{"platform jwt", report(""), jwtOf(nil), 202, ""},
		{"platform jwt, body", report("acme"), jwtOf(nil), 403, ""},
		{"platform jwt, header", report(""), append(jwtOf(nil), TenantHeader, "acme"), 403, ""},
		{"jwt, claim not a string", report(""), jwtOf(jwt.MapClaims{"org": 7}), 401, ""},
		{"jwt, claim not an id", report(""), jwtOf(jwt.MapClaims{"org": "a b"}), 401, ""},
	}
	for _, c := range cases {
		fake.reported = "unset"
		status, out := a.call("POST", "/ingest/agent-status", c.body, c.headers...)
		if status != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, status, out, c.status)
			continue
		}
		if status == 202 && fake.reported != c.tenant {
			t.Errorf("%s: reported for %q, want %q", c.name, fake.reported, c.tenant)
		}
		if status != 202 && fake.reported != "unset" {
			t.Errorf("%s: reached the store", c.name)
		}
	}
	// Metrics take the tenant the same way.
	if status, _ := a.call("POST", "/ingest/metrics", map[string]any{"agent_id": "a1", "metrics": map[string]float64{"cpu": 1}}, jwtOf(jwt.MapClaims{"org": "acme"})...); status != 202 || fake.reported != "acme" {
		t.Errorf("metrics of a tenant jwt: %d %q", status, fake.reported)
	}
}

// A tenant's named inbound webhooks are received under
// /api/tenants/{tenant}/webhooks/{name}, apart from the platform's of the
// same name, and invoke that tenant's agents; their management is
// confined as every other route.
func TestInboundTenants(t *testing.T) {
	a, fake, inv := newInboundTest(t)
	fake.Store.(*fakeStore).keys[herald.HashAPIKey(acmeKey)] = &herald.APIKey{ID: "key_acme", Scope: herald.ScopeAdmin, TenantID: "acme"}
	fake.Store.(*fakeStore).keys[herald.HashAPIKey(betaKey)] = &herald.APIKey{ID: "key_beta", Scope: herald.ScopeAdmin, TenantID: "beta"}
	admin, acme, beta := bearerOf(adminKey), bearerOf(acmeKey), bearerOf(betaKey)
	if st, out := a.call("POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "default", "secret": "platform-secret"}, admin...); st != 201 || out["tenant_id"] != nil {
		t.Fatalf("platform create: %d %v", st, out)
	}
	if st, out := a.call("POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "bot", "secret": "acme-secret"}, acme...); st != 201 || out["tenant_id"] != "acme" {
		t.Fatalf("acme create: %d %v", st, out)
	}
	if st, _ := a.call("POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "bot", "tenant_id": "acme"}, admin...); st != 409 {
		t.Fatalf("duplicate name within acme: %d", st)
	}
	if st, _ := a.call("POST", "/api/webhooks", map[string]any{"name": "other", "agent": "bot", "tenant_id": "beta"}, acme...); st != 403 {
		t.Fatalf("create for another tenant: %d", st)
	}

	body := `{"message": "hi"}`
	st, out, _ := a.send("/api/tenants/acme/webhooks/hook", body, "X-Webhook-Secret", "acme-secret")
	last := inv.calls[len(inv.calls)-1]
	if st != 200 || last.TenantID != "acme" || last.Agent != "bot" || last.Source != "webhook:hook" {
		t.Fatalf("tenant receive: %d %v, invoked %+v", st, out, last)
	}
	if r := fake.lastRequest(); r.TenantID != "acme" || r.Webhook != "hook" || r.Verdict != herald.VerdictAccepted {
		t.Fatalf("logged %+v", r)
	}
	st, _, _ = a.send("/api/webhooks/hook", body, "X-Webhook-Secret", "platform-secret")
	if last := inv.calls[len(inv.calls)-1]; st != 200 || last.TenantID != "" || last.Agent != "default" {
		t.Fatalf("platform receive: %d, invoked %+v", st, last)
	}
	if st, _, _ := a.send("/api/webhooks/hook", body, "X-Webhook-Secret", "acme-secret"); st != 401 {
		t.Fatalf("acme's secret on the platform's webhook: %d", st)
	}
	for _, path := range []string{"/api/tenants/beta/webhooks/hook", "/api/tenants/a%20b/webhooks/hook", "/api/tenants/acme/webhooks/nope"} {
		if st, out, _ := a.send(path, body, "X-Webhook-Secret", "acme-secret"); st != 404 {
			t.Errorf("%s: %d %v", path, st, out)
		}
	}
	// Claimed delivery ids are per tenant.
	for _, path := range []string{"/api/webhooks/hook", "/api/tenants/acme/webhooks/hook"} {
		secret := map[bool]string{true: "acme-secret", false: "platform-secret"}[strings.Contains(path, "acme")]
		if st, out, _ := a.send(path, body, "X-Webhook-Secret", secret, "X-Request-Id", "r-1"); st != 200 || out["duplicate"] != nil {
			t.Fatalf("%s first r-1: %d %v", path, st, out)
		}
		if st, out, _ := a.send(path, body, "X-Webhook-Secret", secret, "X-Request-Id", "r-1"); st != 200 || out["duplicate"] != true {
			t.Fatalf("%s second r-1: %d %v", path, st, out)
		}
	}
	// /trigger takes an admin key of the platform or of the webhook's
	// tenant.
	for key, want := range map[string]int{adminKey: 200, acmeKey: 200, betaKey: 401} {
		if st, out, _ := a.send("/api/tenants/acme/webhooks/hook/trigger", body, "Authorization", "Bearer "+key); st != want {
			t.Errorf("trigger with %s: %d %v, want %d", key, st, out, want)
		}
	}
	if last := inv.calls[len(inv.calls)-1]; last.TenantID != "acme" || last.Source != "trigger:hook" {
		t.Fatalf("trigger invoked %+v", last)
	}

	// Management: each key sees its own; a platform key the platform's
	// unless it names a tenant.
	agentOf := func(headers []string, path string) any {
		st, out := a.call("GET", path, nil, headers...)
		if st != 200 {
			return st
		}
		return out["agent"]
	}
	if got := agentOf(acme, "/api/webhooks/hook"); got != "bot" {
		t.Errorf("acme's hook: %v", got)
	}
	if got := agentOf(admin, "/api/webhooks/hook"); got != "default" {
		t.Errorf("the platform's hook: %v", got)
	}
	if got := agentOf(admin, "/api/webhooks/hook?tenant_id=acme"); got != "bot" {
		t.Errorf("acme's hook by query: %v", got)
	}
	if got := agentOf(beta, "/api/webhooks/hook"); got != 404 {
		t.Errorf("beta reads acme's hook: %v", got)
	}
	if st, out := a.call("GET", "/api/webhooks", nil, acme...); st != 200 || out["total"] != 1.0 {
		t.Errorf("acme's list: %d %v", st, out)
	}
	if st, out := a.call("GET", "/api/webhooks", nil, admin...); st != 200 || out["total"] != 2.0 {
		t.Errorf("the platform's list: %d %v", st, out)
	}
	if st, _ := a.call("PUT", "/api/webhooks/hook", map[string]any{"agent": "x", "tenant_id": "beta"}, acme...); st != 403 {
		t.Errorf("put naming another tenant: %d", st)
	}
	if st, out := a.call("PUT", "/api/webhooks/hook", map[string]any{"agent": "bot2", "tenant_id": "acme"}, admin...); st != 200 || out["tenant_id"] != "acme" || out["agent"] != "bot2" {
		t.Errorf("put of acme's by the platform: %d %v", st, out)
	}
	if got := agentOf(admin, "/api/webhooks/hook"); got != "default" {
		t.Errorf("the platform's hook after acme's put: %v", got)
	}
	if st, _ := a.call("GET", "/api/webhooks/generic/requests", nil, acme...); st != 404 {
		t.Errorf("acme reads the generic endpoint's log: %d", st)
	}
	if st, _ := a.call("DELETE", "/api/webhooks/hook", nil, beta...); st != 404 {
		t.Errorf("beta deletes acme's hook: %d", st)
	}
	if st, _ := a.call("DELETE", "/api/webhooks/hook", nil, acme...); st != 204 {
		t.Errorf("acme deletes its hook: %d", st)
	}
	if got := agentOf(admin, "/api/webhooks/hook"); got != "default" {
		t.Errorf("the platform's hook after acme's delete: %v", got)
	}
}
