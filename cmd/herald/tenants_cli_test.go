package main

import (
	"io"
	"strings"
	"testing"
)

const cliTenantJSON = `{"id":"acme","name":"Acme Corp","metadata":{"plan":"pro"},
"created_at":"2026-01-15T11:45:00Z","updated_at":"2026-01-16T11:45:00Z"`

// TestCLITenantsCreate creates a tenant: it looks first, so that create
// never overwrites one, and refuses a bad id before any request.
func TestCLITenantsCreate(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"PUT /v1/tenants/acme": {201, cliTenantJSON + `}`}})
	out, _, err := api.run(t, "tenants", "create", "acme", "--name", "Acme Corp", "--metadata", `{"plan": "pro"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(api.got) != 2 {
		t.Fatalf("requests: %+v", api.got)
	}
	api.got[0].expect(t, "GET", "/v1/tenants/acme", "")
	api.got[1].expect(t, "PUT", "/v1/tenants/acme", `{"name":"Acme Corp","metadata":{"plan":"pro"}}`)
	for _, want := range []string{"Created tenant acme.", "Name:      Acme Corp", `Metadata:  {"plan":"pro"}`,
		"herald keys create --name NAME --scope admin --tenant acme"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}

	api = newStubAPI(t, map[string]stubAnswer{"GET /v1/tenants/acme": {200, cliTenantJSON + `}`}})
	if _, _, err := api.run(t, "tenants", "create", "acme"); err == nil || !strings.Contains(err.Error(), "tenant acme exists already") ||
		!strings.Contains(err.Error(), "herald tenants update acme") {
		t.Errorf("existing tenant: %v", err)
	}
	api.only(t) // no PUT

	api = newStubAPI(t, nil)
	for _, args := range [][]string{
		{"tenants", "create", "acme/eu"},
		{"tenants", "create", "acme", "--metadata", `["not", "an object"]`},
	} {
		if _, _, err := api.run(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if len(api.got) != 0 {
		t.Errorf("requests sent for bad input: %+v", api.got)
	}
}

// TestCLITenantsUpdateKeepsTheRest changes one field and sends the other
// as it was, as PUT replaces both.
func TestCLITenantsUpdateKeepsTheRest(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/tenants/acme": {200, cliTenantJSON + `,"counts":{"webhooks":3,"agents":1}}`},
		"PUT /v1/tenants/acme": {200, strings.Replace(cliTenantJSON, "Acme Corp", "Acme Inc.", 1) + `}`},
	})
	out, _, err := api.run(t, "tenants", "update", "acme", "--name", "Acme Inc.")
	if err != nil {
		t.Fatal(err)
	}
	if len(api.got) != 2 {
		t.Fatalf("requests: %+v", api.got)
	}
	api.got[1].expect(t, "PUT", "/v1/tenants/acme", `{"name":"Acme Inc.","metadata":{"plan":"pro"}}`)
	if !strings.Contains(out, "Acme Inc.") {
		t.Errorf("output:\n%s", out)
	}

	api.got = nil
	if _, _, err := api.run(t, "tenants", "update", "acme", "--metadata", "{}"); err != nil {
		t.Fatal(err)
	}
	api.got[1].expect(t, "PUT", "/v1/tenants/acme", `{"name":"Acme Corp","metadata":{}}`)

	api.got = nil
	if _, _, err := api.run(t, "tenants", "update", "acme"); err == nil || !strings.Contains(err.Error(), "nothing to update") {
		t.Errorf("no flags: %v", err)
	}
	if _, _, err := api.run(t, "tenants", "update", "globex", "--name", "G"); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("unknown tenant: %v", err)
	}
	for _, r := range api.got {
		if r.Method == "PUT" {
			t.Errorf("update of an unknown tenant sent %s %s", r.Method, r.URI)
		}
	}
}

func TestCLITenantsGetListDelete(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/tenants/acme": {200, cliTenantJSON + `,"counts":{"webhooks":3,"agents":1}}`},
		"GET /v1/tenants": {200, `{"items":[` + cliTenantJSON + `},{"id":"globex","name":"","metadata":{},
"created_at":"2026-01-17T00:00:00Z","updated_at":"2026-01-17T00:00:00Z"}],"total":5,"skip":0,"limit":2}`},
		"DELETE /v1/tenants/acme": {204, ""},
	})
	out, _, err := api.run(t, "tenants", "get", "acme")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/tenants/acme", "")
	for _, want := range []string{"ID:        acme", "Webhooks:  3", "Agents:    1", "Created:   2026-01-15T11:45:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("get output does not contain %q:\n%s", want, out)
		}
	}

	api.got = nil
	out, errOut, err := api.run(t, "tenants", "list", "--limit", "2")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/tenants?limit=2", "")
	want := `ID      NAME       CREATED               UPDATED               METADATA
acme    Acme Corp  2026-01-15T11:45:00Z  2026-01-16T11:45:00Z  {"plan":"pro"}
globex  -          2026-01-17T00:00:00Z  2026-01-17T00:00:00Z  {}
`
	if out != want {
		t.Errorf("list:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "Showing 1-2 of 5; next page: --skip 2") {
		t.Errorf("no page footer: %q", errOut)
	}

	api.got = nil
	if out, _, err = api.run(t, "tenants", "delete", "acme"); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "DELETE", "/v1/tenants/acme", "")
	if out != "Deleted tenant acme and everything it owned.\n" {
		t.Errorf("delete output %q", out)
	}
}

// TestCLITenantsIgnoreTheTenantScope: the tenants commands name their
// tenant as the argument, so they never send X-Herald-Tenant, and an
// explicit --tenant is refused.
func TestCLITenantsIgnoreTheTenantScope(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"GET /v1/tenants": {200, `{"items":[],"total":0}`}})
	if _, _, err := api.run(t, "tenants", "list", "--tenant", "acme"); err == nil || !strings.Contains(err.Error(), "--tenant does not apply") {
		t.Errorf("--tenant: %v", err)
	}
	if r := runWithEnv(t, api, map[string]string{"HERALD_TENANT": "acme"}, "tenants", "list"); r.Tenant != "" {
		t.Errorf("HERALD_TENANT sent on tenants list: %q", r.Tenant)
	}
}

// runWithEnv runs the CLI against api with the environment env (the other
// HERALD_* variables cleared), and returns its one request.
func runWithEnv(t *testing.T, api *stubAPI, env map[string]string, args ...string) stubRequest {
	t.Helper()
	api.got = nil
	for _, k := range []string{"HERALD_URL", "HERALD_API_KEY", "HERALD_DATA_DIR", "HERALD_TENANT"} {
		t.Setenv(k, env[k])
	}
	root := newCLITestRoot()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs(normalizeBoolFlags(root, append(args, "--server", api.URL, "--api-key", "hk_test")))
	if err := root.Execute(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return api.only(t)
}

// TestCLITenantFlag scopes commands to a tenant with --tenant or
// HERALD_TENANT (the flag wins), and refuses a bad tenant id unsent.
func TestCLITenantFlag(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/webhooks": {200, `{"items":[],"total":0,"skip":0,"limit":50}`},
		"POST /v1/events":  {202, `{"id":"evt_1","type":"agent.started","created":1,"timestamp":"","deliveries":1}`},
	})
	if r := runWithEnv(t, api, nil, "webhooks", "list", "--tenant", "acme"); r.Tenant != "acme" {
		t.Errorf("--tenant: X-Herald-Tenant = %q", r.Tenant)
	}
	if r := runWithEnv(t, api, map[string]string{"HERALD_TENANT": "globex"}, "webhooks", "list"); r.Tenant != "globex" {
		t.Errorf("HERALD_TENANT: X-Herald-Tenant = %q", r.Tenant)
	}
	if r := runWithEnv(t, api, map[string]string{"HERALD_TENANT": "globex"}, "--tenant", "acme", "events", "send", "agent.started"); r.Tenant != "acme" {
		t.Errorf("--tenant over HERALD_TENANT: X-Herald-Tenant = %q", r.Tenant)
	}
	if r := runWithEnv(t, api, nil, "webhooks", "list"); r.Tenant != "" {
		t.Errorf("no tenant: X-Herald-Tenant = %q", r.Tenant)
	}

	api.got = nil
	if _, _, err := api.run(t, "webhooks", "list", "--tenant", "acme eu"); err == nil || !strings.Contains(err.Error(), "--tenant") {
		t.Errorf("bad --tenant: %v", err)
	}
	if len(api.got) != 0 {
		t.Errorf("a request was sent with a bad --tenant: %+v", api.got)
	}
}

// TestCLIKeysCreateForTenant makes a tenant's key: its tenant_id is in the
// body, and the answer says whose it is.
func TestCLIKeysCreateForTenant(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"POST /v1/keys": {201, `{"id":"key_7","name":"acme-admin","scope":"admin","tenant_id":"acme","prefix":"hk_acme",
"created_at":"2026-01-15T11:45:00Z","key":"hk_acmeSECRET"}`},
	})
	out, _, err := api.run(t, "keys", "create", "--name", "acme-admin", "--scope", "admin", "--tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	r := api.only(t)
	r.expect(t, "POST", "/v1/keys", `{"name":"acme-admin","scope":"admin","tenant_id":"acme"}`)
	if r.Tenant != "acme" {
		t.Errorf("X-Herald-Tenant = %q", r.Tenant)
	}
	if !strings.Contains(out, `Created admin key "acme-admin" (key_7) of tenant acme.`) || !strings.Contains(out, "\n    hk_acmeSECRET\n") {
		t.Errorf("output:\n%s", out)
	}
}

// TestCLIForbiddenTenantHint: a tenant key naming another tenant is told
// why, not that it needs an admin key.
func TestCLIForbiddenTenantHint(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/webhooks": {403, `{"error":{"code":"forbidden","message":"tenant_id: this key may act for tenant \"acme\" only"}}`},
	})
	_, _, err := api.run(t, "webhooks", "list", "--tenant", "globex")
	if err == nil || !strings.Contains(err.Error(), `may not act for tenant "globex"`) || strings.Contains(err.Error(), "needs an admin key") {
		t.Errorf("err = %v", err)
	}
}

// TestCLITenantColumn shows a TENANT column only when the rows listed
// belong to more than one tenant, the platform's ("-") counting as one.
func TestCLITenantColumn(t *testing.T) {
	row := func(id, tenant string) string {
		return strings.Replace(strings.Replace(cliWebhookJSON, `"id":"wh_1"`, `"id":"`+id+`","tenant_id":`+tenant, 1), `"name":"ops"`, `"name":"`+id+`"`, 1) + `}`
	}
	for _, tc := range []struct {
		rows    []string
		columns bool
		cells   []string
	}{
		{[]string{row("wh_1", "null"), row("wh_2", "null")}, false, nil},
		{[]string{row("wh_1", `"acme"`), row("wh_2", `"acme"`)}, false, nil},
		{[]string{row("wh_1", `"acme"`), row("wh_2", "null"), row("wh_3", `"globex"`)}, true, []string{"acme    wh_1", "-       wh_2", "globex  wh_3"}},
	} {
		api := newStubAPI(t, map[string]stubAnswer{"GET /v1/webhooks": {200, `{"items":[` + strings.Join(tc.rows, ",") + `],"total":3,"skip":0,"limit":50}`}})
		out, _, err := api.run(t, "webhooks", "list")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasPrefix(out, "TENANT"); got != tc.columns {
			t.Errorf("TENANT column %v, want %v:\n%s", got, tc.columns, out)
		}
		for _, c := range tc.cells {
			if !strings.Contains(out, c) {
				t.Errorf("no %q in:\n%s", c, out)
			}
		}
		if tc.columns {
			assertAligned(t, out, "TENANT", "ID", "NAME", "URL", "EVENTS")
		}
	}

	api := newStubAPI(t, map[string]stubAnswer{"GET /v1/keys": {200, `{"items":[` + keyJSON + `,"tenant_id":"acme"},` +
		strings.Replace(keyJSON, "key_1", "key_2", 1) + `,"tenant_id":null}]}`}})
	out, _, err := api.run(t, "keys", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "TENANT  ID") || !strings.Contains(out, "acme    key_1") || !strings.Contains(out, "-       key_2") {
		t.Errorf("keys list:\n%s", out)
	}
}
