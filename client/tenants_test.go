package client

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/heraldhq/herald"
)

const tenantJSON = `{"id":"acme","name":"Acme Corp","metadata":{"plan":"pro"},
"created_at":"2026-01-15T11:45:00Z","updated_at":"2026-01-16T11:45:00Z"`

func TestTenants(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, 201, tenantJSON+`}`)
	tn, created, err := f.client().Tenants.Put(ctx, "acme", TenantInput{Name: Ptr("Acme Corp"), Metadata: map[string]any{"plan": "pro"}})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "PUT", "/v1/tenants/acme", `{"name":"Acme Corp","metadata":{"plan":"pro"}}`)
	if !created || tn.ID != "acme" || tn.Name != "Acme Corp" || string(tn.Metadata) != `{"plan":"pro"}` || tn.UpdatedAt.IsZero() {
		t.Errorf("put = %v %+v", created, tn)
	}

	// An update answers 200; fields left nil are not sent.
	f = newFake(t, 200, tenantJSON+`}`)
	if _, created, err = f.client().Tenants.Put(ctx, "acme:eu@1", TenantInput{Metadata: json.RawMessage(`{"a":1}`)}); err != nil || created {
		t.Fatalf("update: %v, created %v", err, created)
	}
	f.only(t).expect(t, "PUT", "/v1/tenants/acme:eu@1", `{"metadata":{"a":1}}`)

	f = newFake(t, 200, tenantJSON+`,"counts":{"webhooks":3,"agents":1}}`)
	tn, err = f.client().Tenants.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/tenants/acme", "")
	if tn.Counts == nil || tn.Counts.Webhooks != 3 || tn.Counts.Agents != 1 {
		t.Errorf("get = %+v", tn)
	}

	f = newFake(t, 200, `{"items":[`+tenantJSON+`}],"total":4,"skip":3,"limit":1}`)
	list, err := f.client().Tenants.List(ctx, ListOptions{Skip: 3, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/tenants?limit=1&skip=3", "")
	if len(list.Items) != 1 || list.Items[0].ID != "acme" || list.Total != 4 {
		t.Errorf("list = %+v", list)
	}

	f = newFake(t, 204, "")
	if err := f.client().Tenants.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "DELETE", "/v1/tenants/acme", "")

	f = newFake(t, 403, `{"error":{"code":"forbidden","message":"tenants: needs a platform admin key"}}`)
	if _, err := f.client().Tenants.Get(ctx, "acme"); !IsForbidden(err) {
		t.Errorf("a tenant key's 403: %v", err)
	}
	if _, _, err := f.client().Tenants.Put(ctx, "..", TenantInput{}); err == nil {
		t.Error("a dot-dot tenant id was sent")
	}
}

// TestWithTenant checks that a scoped client sends X-Herald-Tenant on
// every request, and that an unscoped one sends none.
func TestWithTenant(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, 200, `{"items":[],"total":0,"skip":0,"limit":50}`)
	scoped := f.client(WithTenant("acme"))
	if scoped.Tenant() != "acme" {
		t.Errorf("Tenant() = %q", scoped.Tenant())
	}
	if _, err := scoped.Webhooks.List(ctx, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.only(t).Header.Get(TenantHeader); got != "acme" {
		t.Errorf("%s = %q, want acme", TenantHeader, got)
	}

	f = newFake(t, 200, `{"items":[]}`)
	if _, err := f.client().Agents.List(ctx, AgentFilter{}); err != nil {
		t.Fatal(err)
	}
	if h, ok := f.only(t).Header[TenantHeader]; ok {
		t.Errorf("an unscoped client sent %s: %q", TenantHeader, h)
	}
	if got := scoped.ForTenant("").Tenant(); got != "" {
		t.Errorf("ForTenant(\"\") is scoped to %q", got)
	}

	// ForTenant keeps the key and the user agent, and scopes the copy
	// alone.
	f = newFake(t, 202, `{"id":"evt_1","type":"agent.started","created":1,"timestamp":"","deliveries":1}`)
	base := New(f.URL, "hk_admin", WithUserAgent("platform/2"))
	globex := base.ForTenant("globex")
	if _, err := globex.Events.Send(ctx, EventInput{Type: "agent.started"}); err != nil {
		t.Fatal(err)
	}
	r := f.only(t)
	if r.Header.Get(TenantHeader) != "globex" || r.Header.Get("Authorization") != "Bearer hk_admin" || r.Header.Get("User-Agent") != "platform/2" {
		t.Errorf("ForTenant request headers: %v", r.Header)
	}
	if base.Tenant() != "" {
		t.Errorf("ForTenant changed the original: %q", base.Tenant())
	}
}

// TestTenantInBodies checks the tenant_id the services send for a
// platform key: an event's, a key's and a report's.
func TestTenantInBodies(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, 202, `{"id":"evt_1","type":"agent.started","created":1,"timestamp":"","deliveries":2}`)
	if _, err := f.client().Events.Send(ctx, EventInput{TenantID: "acme", Type: "agent.started", Data: map[string]any{"agent_id": "a1"}}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/events", `{"tenant_id":"acme","type":"agent.started","data":{"agent_id":"a1"}}`)

	f = newFake(t, 201, `{"id":"key_1","name":"acme","scope":"admin","tenant_id":"acme","prefix":"hk_a","created_at":"2026-01-15T11:45:00Z","key":"hk_abc"}`)
	k, err := f.client().Keys.CreateForTenant(ctx, "acme", "acme", herald.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/keys", `{"name":"acme","scope":"admin","tenant_id":"acme"}`)
	if k.TenantID != "acme" {
		t.Errorf("key tenant = %q", k.TenantID)
	}

	f = newFake(t, 202, ingestJSON)
	if _, err := f.client().Ingest.AgentStatus(ctx, herald.AgentReport{TenantID: "acme", AgentID: "a1", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/ingest/agent-status", `{"tenant_id":"acme","agent_id":"a1","status":"running"}`)

	f = newFake(t, 202, ingestJSON)
	if _, err := f.client().Ingest.Metrics(ctx, herald.MetricsReport{TenantID: "acme", AgentID: "a1", Metrics: map[string]float64{"cpu": 1}}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/ingest/metrics", `{"tenant_id":"acme","agent_id":"a1","metrics":{"cpu":1}}`)

	// A platform webhook's firehose setting, and a null tenant_id read
	// back as the platform's.
	f = newFake(t, 201, `{"id":"wh_1","tenant_id":null,"all_tenants":true,"url":"https://ops.example.com/h","events":["*"]}`)
	wh, err := f.client().Webhooks.Create(ctx, herald.WebhookInput{URL: Ptr("https://ops.example.com/h"), Events: []string{"*"}, AllTenants: Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/webhooks", `{"all_tenants":true,"events":["*"],"url":"https://ops.example.com/h"}`)
	if wh.TenantID != "" || !wh.AllTenants {
		t.Errorf("webhook = %+v", wh)
	}
}
