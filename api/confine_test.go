package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/invoke"
	"github.com/heraldhq/herald/runtime"
	"github.com/heraldhq/herald/sqlite"
)

// confineTest is the API on a real SQLite store, with an invoker, and the
// platform's admin key.
type confineTest struct {
	*apiTest
	db    *sqlite.DB
	admin string
}

func newConfineTest(t *testing.T) *confineTest {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k := herald.NewAPIKey("admin", herald.ScopeAdmin, time.Now())
	if err := db.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(New(Config{
		Store: db, URLPolicy: herald.URLPolicy{AllowHTTP: true}, Logger: quiet,
		Invoker: &invoke.Service{Store: db, Runtime: &runtime.Invoker{}, Logger: quiet},
	}))
	t.Cleanup(srv.Close)
	return &confineTest{apiTest: &apiTest{t: t, srv: srv}, db: db, admin: k.Key}
}

// as calls the API with key and fails the test unless it answers want.
func (c *confineTest) as(key string, want int, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	status, out := c.call(method, path, body, append(bearerOf(key), headers...)...)
	if status != want {
		c.t.Fatalf("%s %s: %d %v, want %d", method, path, status, out, want)
	}
	return out
}

// tenantRows are the ids of what one tenant made through the API.
type tenantRows struct {
	key, keyID, webhook, event, delivery, deployment, alert, invocation string
}

// populate makes, with tenant's own admin key, a webhook, an event and its
// delivery, an agent "bot" with a deployment, an alert rule, an inbound
// webhook "github" and an invocation of bot through it.
func (c *confineTest) populate(tenant string) tenantRows {
	c.t.Helper()
	c.as(c.admin, 201, "PUT", "/v1/tenants/"+tenant, map[string]any{"name": tenant})
	out := c.as(c.admin, 201, "POST", "/v1/keys", map[string]any{"name": tenant, "scope": "admin", "tenant_id": tenant})
	rows := tenantRows{key: out["key"].(string), keyID: out["id"].(string)}
	key := rows.key
	rows.webhook = c.as(key, 201, "POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/" + tenant, "events": []string{"*"}})["id"].(string)
	rows.event = c.as(key, 202, "POST", "/v1/events", map[string]any{"type": "order.created", "id": "evt-1"})["id"].(string)
	deliveries := c.as(key, 200, "GET", "/v1/webhooks/"+rows.webhook+"/deliveries", nil)["items"].([]any)
	rows.delivery = deliveries[0].(map[string]any)["id"].(string)
	c.as(key, 201, "POST", "/v1/agents", map[string]any{"id": "bot", "runtime": map[string]any{"type": "echo"}})
	rows.deployment = "dep-" + tenant
	c.as(key, 202, "POST", "/ingest/deployment", map[string]any{"deployment_id": rows.deployment, "agent_id": "bot", "status": "created"})
	rows.alert = c.as(key, 201, "POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "webhook_id": rows.webhook})["id"].(string)
	c.as(key, 201, "POST", "/api/webhooks", map[string]any{"name": "github", "agent": "bot", "provider": "generic"})
	status, answer, _ := c.send("/api/tenants/"+tenant+"/webhooks/github/trigger", `{"message": "hello `+tenant+`"}`, "Authorization", "Bearer "+key)
	if status != 200 || answer["response"] != "hello "+tenant {
		c.t.Fatalf("trigger of %s: %d %v", tenant, status, answer)
	}
	rows.invocation = answer["request_id"].(string)
	return rows
}

// TestConfinement makes the same rows for two tenants, through the API
// with their own keys, and checks that one tenant's key never reads,
// changes or counts the other's, that the platform's key reaches both,
// and that deleting a tenant takes its rows and keys.
func TestConfinement(t *testing.T) {
	c := newConfineTest(t)
	acme, beta := c.populate("acme"), c.populate("beta")
	key := acme.key

	// Beta's rows answer 404 to acme's key, whatever the route.
	for _, r := range [][2]string{
		{"GET", "/v1/webhooks/" + beta.webhook},
		{"PATCH", "/v1/webhooks/" + beta.webhook},
		{"DELETE", "/v1/webhooks/" + beta.webhook},
		{"POST", "/v1/webhooks/" + beta.webhook + "/test"},
		{"POST", "/v1/webhooks/" + beta.webhook + "/secret/rotate"},
		{"GET", "/v1/webhooks/" + beta.webhook + "/health"},
		{"GET", "/v1/webhooks/" + beta.webhook + "/deliveries"},
		{"GET", "/v1/webhooks/" + beta.webhook + "/deliveries/" + beta.delivery},
		{"GET", "/v1/webhooks/" + acme.webhook + "/deliveries/" + beta.delivery},
		{"POST", "/v1/webhooks/" + beta.webhook + "/deliveries/" + beta.delivery + "/retry"},
		{"GET", "/v1/deployments/" + beta.deployment},
		{"GET", "/v1/alerts/" + beta.alert},
		{"PATCH", "/v1/alerts/" + beta.alert},
		{"DELETE", "/v1/alerts/" + beta.alert},
		{"GET", "/v1/invocations/" + beta.invocation},
		{"DELETE", "/v1/keys/" + beta.keyID},
	} {
		status, out := c.call(r[0], r[1], map[string]any{}, bearerOf(key)...)
		if code, _ := errorCode(out); status != 404 || code != herald.ENOTFOUND {
			t.Errorf("%s %s with acme's key: %d %v, want 404", r[0], r[1], status, out)
		}
	}
	// The names both tenants use are acme's own for acme's key.
	if out := c.as(key, 200, "GET", "/v1/events/evt-1", nil); out["tenant_id"] != "acme" {
		t.Errorf("acme's evt-1: %v", out)
	}
	if out := c.as(key, 200, "GET", "/v1/agents/bot", nil); out["tenant_id"] != "acme" {
		t.Errorf("acme's bot: %v", out)
	}
	if out := c.as(key, 200, "GET", "/api/webhooks/github", nil); out["tenant_id"] != "acme" {
		t.Errorf("acme's github: %v", out)
	}
	if out := c.as(key, 200, "GET", "/v1/agents/bot/logs", nil); out["agent_id"] != "bot" {
		t.Errorf("acme's bot's logs: %v", out)
	}
	// Lists hold acme's rows only; the platform's key lists both, or one
	// tenant's when it names it.
	for _, path := range []string{"/v1/webhooks", "/v1/alerts", "/v1/invocations", "/v1/deployments", "/v1/keys", "/api/webhooks"} {
		mine := c.as(key, 200, "GET", path, nil)
		all := c.as(c.admin, 200, "GET", path, nil)
		scoped := c.as(c.admin, 200, "GET", path+"?tenant_id=beta", nil)
		header := c.as(c.admin, 200, "GET", path, nil, TenantHeader, "beta")
		for _, item := range mine["items"].([]any) {
			if item.(map[string]any)["tenant_id"] != "acme" {
				t.Errorf("%s with acme's key lists %v", path, item)
			}
		}
		for _, item := range scoped["items"].([]any) {
			if item.(map[string]any)["tenant_id"] != "beta" {
				t.Errorf("%s?tenant_id=beta lists %v", path, item)
			}
		}
		if mine["total"].(float64) < 1 || all["total"].(float64) < 2*mine["total"].(float64) || header["total"] != scoped["total"] {
			t.Errorf("%s totals: acme %v, all %v, beta %v (header %v)", path, mine["total"], all["total"], scoped["total"], header["total"])
		}
	}
	events := c.as(key, 200, "GET", "/v1/events", nil)["items"].([]any)
	for _, ev := range events {
		if ev.(map[string]any)["tenant_id"] != "acme" {
			t.Errorf("acme's events list %v", ev)
		}
	}
	if n := len(events); n < 3 {
		t.Errorf("acme has %d events", n)
	}

	// A tenant key names no other tenant, and manages no tenants.
	c.as(key, 403, "GET", "/v1/webhooks", nil, TenantHeader, "beta")
	c.as(key, 403, "POST", "/v1/events", map[string]any{"type": "x.y", "tenant_id": "beta"})
	c.as(key, 403, "POST", "/v1/keys", map[string]any{"name": "k", "tenant_id": "beta"})
	c.as(key, 403, "GET", "/v1/tenants", nil)
	c.as(key, 403, "GET", "/v1/inbound/secrets/generic", nil)
	c.as(key, 400, "POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"*"}, "all_tenants": true})

	// The platform's key reads a tenant's row by id, and the tenant with
	// its counts.
	if out := c.as(c.admin, 200, "GET", "/v1/webhooks/"+beta.webhook, nil); out["tenant_id"] != "beta" {
		t.Errorf("beta's webhook by the platform: %v", out)
	}
	if out := c.as(c.admin, 200, "GET", "/v1/tenants/acme", nil); fmt.Sprint(out["counts"]) != "map[agents:1 webhooks:1]" {
		t.Errorf("acme's counts: %v", out)
	}

	// Deleting beta takes its rows and its key.
	c.as(c.admin, 204, "DELETE", "/v1/tenants/beta", nil)
	c.as(beta.key, 401, "GET", "/v1/webhooks", nil)
	c.as(c.admin, 404, "GET", "/v1/webhooks/"+beta.webhook, nil)
	c.as(c.admin, 404, "GET", "/v1/alerts/"+beta.alert, nil)
	c.as(c.admin, 404, "GET", "/v1/invocations/"+beta.invocation, nil)
	c.as(c.admin, 404, "GET", "/v1/tenants/beta", nil)
	if out := c.as(c.admin, 200, "GET", "/api/webhooks?tenant_id=beta", nil); out["total"] != 0.0 {
		t.Errorf("beta's inbound webhooks after the delete: %v", out)
	}
	c.as(key, 200, "GET", "/v1/webhooks/"+acme.webhook, nil)
	if out := c.as(key, 200, "GET", "/v1/webhooks/"+acme.webhook+"/health", nil); out["webhook_id"] != acme.webhook {
		t.Errorf("acme's health: %v", out)
	}
	if out := c.as(key, 200, "POST", "/v1/webhooks/"+acme.webhook+"/secret/rotate", map[string]any{"grace_period": "1h"}); out["tenant_id"] != "acme" || out["secret"] == "" {
		t.Errorf("acme's rotation: %v", out)
	}
}
