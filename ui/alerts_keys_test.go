package ui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// alert stores an alert rule of tenant.
func (e *env) alert(tenant, name string) *herald.AlertRule {
	e.t.Helper()
	rule := herald.NewAlertDefaults()
	rule.TenantID, rule.Name, rule.Metric, rule.Threshold = herald.TenantID(tenant), name, herald.MetricWebhookFailures, 3
	if err := e.store.CreateAlert(context.Background(), rule); err != nil {
		e.t.Fatal(err)
	}
	return rule
}

// Alert rules are made, edited and deleted as the API would; errors sit
// next to their fields; a portal needs manage_webhooks to change them and
// never reaches another tenant's.
func TestAlertPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bHook := e.webhook("b", "", "b-hook")
	bRule := e.alert("b", "b-rule")

	view, _, _ := e.portal("a", herald.PortalInput{})
	token := e.csrf(view, "/ui/alerts")
	if status, _ := e.post(view, "/ui/alerts", url.Values{"csrf": {token}, "metric": {"deliveries-pending"}, "threshold": {"1"}, "window": {"5m"}}); status != http.StatusForbidden {
		t.Fatalf("a view-only create: %d, want 403", status)
	}

	c, _, _ := e.portal("a", herald.PortalInput{Capabilities: []string{herald.CapabilityManageWebhooks}})
	token = e.csrf(c, "/ui/alerts/new")
	form := url.Values{"csrf": {token}, "name": {"Failures"}, "metric": {herald.MetricWebhookFailures}, "agg": {"avg"}, "op": {">="},
		"threshold": {"5"}, "window": {"forever"}, "active": {"on"}}
	status, body := e.post(c, "/ui/alerts", form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="window_error"`) {
		t.Fatalf("a bad window: %d\n%s", status, body)
	}
	form.Set("window", "10m")
	form.Set("webhook_id", bHook.ID) // b's webhook is no webhook of a's
	if status, body = e.post(c, "/ui/alerts", form); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="webhook_id_error"`) || !strings.Contains(body, "does not exist") {
		t.Fatalf("b's webhook: %d\n%s", status, body)
	}
	form.Set("webhook_id", "")
	if status, body = e.post(c, "/ui/alerts", form); status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", status, body)
	}
	rules, _, err := e.store.ListAlerts(ctx, herald.AlertFilter{Tenancy: herald.OnlyTenant("a")})
	if err != nil || len(rules) != 1 {
		t.Fatalf("a's rules: %v %v", rules, err)
	}
	rule := rules[0]
	if rule.Name != "Failures" || rule.Threshold != 5 || time.Duration(rule.Window) != 10*time.Minute || !rule.IsActive || rule.TenantID != "a" {
		t.Fatalf("stored rule = %+v", rule)
	}
	_, body, _ = e.get(c, "/ui/alerts")
	if !strings.Contains(body, `data-alert="`+rule.ID+`"`) || strings.Contains(body, "b-rule") || !strings.Contains(body, ">OK<") {
		t.Fatalf("a's alerts:\n%s", body)
	}

	// Edit keeps the state; Delete needs its confirmation.
	form.Set("threshold", "7")
	form.Del("active")
	if status, body = e.post(c, "/ui/alerts/"+rule.ID, form); status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", status, body)
	}
	if got, err := e.store.Alert(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: rule.ID}); err != nil || got.Threshold != 7 || got.IsActive || got.State != herald.AlertOK {
		t.Fatalf("after the edit: %+v %v", got, err)
	}
	e.post(c, "/ui/alerts/"+rule.ID+"/delete", url.Values{"csrf": {token}})
	if _, err := e.store.Alert(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: rule.ID}); err != nil {
		t.Fatalf("deleted without its confirmation: %v", err)
	}
	if status, _ := e.post(c, "/ui/alerts/"+rule.ID+"/delete", url.Values{"csrf": {token}, "confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("delete: %d", status)
	}

	// b's rule answers 404, like a missing one, to every route.
	for _, p := range []string{"/ui/alerts/" + bRule.ID + "/edit", "/ui/alerts/alr_missing/edit"} {
		if status, _, _ := e.get(c, p); status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, status)
		}
	}
	for _, p := range []string{"/ui/alerts/" + bRule.ID, "/ui/alerts/" + bRule.ID + "/delete"} {
		if status, _ := e.post(c, p, url.Values{"csrf": {token}, "confirm": {"yes"}, "metric": {"deliveries-pending"}, "threshold": {"1"}, "window": {"1m"}}); status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, status)
		}
	}
	if got, err := e.store.Alert(ctx, herald.Ref{Tenancy: herald.OnlyTenant("b"), ID: bRule.ID}); err != nil || got.Metric != herald.MetricWebhookFailures {
		t.Fatalf("b's rule after a's posts: %+v %v", got, err)
	}
	// A post without the CSRF token is refused.
	if status, _ := e.post(c, "/ui/alerts", url.Values{"metric": {"deliveries-pending"}, "threshold": {"1"}, "window": {"1m"}}); status != http.StatusForbidden {
		t.Errorf("a create without its CSRF token: %d", status)
	}
}

var newKeyRE = regexp.MustCompile(`id="new_key" value="([^"]+)"`)

// Operators make keys, shown once, and revoke them; a tenant's operator
// sees and makes that tenant's keys only; no portal reaches the page.
func TestKeyPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	e.signIn(c, e.key)
	token := e.csrf(c, "/ui/keys")
	status, body := e.post(c, "/ui/keys", url.Values{"csrf": {token}, "name": {"ci"}, "scope": {"root"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="key_scope_error"`) {
		t.Fatalf("a bad scope: %d\n%s", status, body)
	}
	if status, _ = e.post(c, "/ui/keys", url.Values{"name": {"ci"}, "scope": {"admin"}}); status != http.StatusForbidden {
		t.Fatalf("a create without its CSRF token: %d", status)
	}
	if status, _ = e.post(c, "/ui/keys", url.Values{"csrf": {token}, "name": {"ci"}, "scope": {"admin"}, "tenant_id": {"a"}}); status != http.StatusSeeOther {
		t.Fatalf("create: %d", status)
	}
	_, body, _ = e.get(c, "/ui/keys")
	m := newKeyRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the key is not shown:\n%s", body)
	}
	key, err := e.store.APIKeyByHash(ctx, herald.HashAPIKey(html.UnescapeString(m[1])))
	if err != nil || key.Name != "ci" || key.TenantID != "a" || key.Scope != herald.ScopeAdmin {
		t.Fatalf("the shown key: %+v %v", key, err)
	}
	if _, body, _ = e.get(c, "/ui/keys"); strings.Contains(body, `id="new_key"`) || !strings.Contains(body, key.Prefix) {
		t.Fatalf("after a reload:\n%s", body)
	}

	// The tenant's operator sees a's keys only, and makes keys of a only.
	tc := e.client()
	e.signIn(tc, html.UnescapeString(m[1]))
	_, body, _ = e.get(tc, "/ui/keys")
	if !strings.Contains(body, `data-key="`+key.ID+`"`) || strings.Count(body, "data-key=") != 1 {
		t.Fatalf("a's operator's keys:\n%s", body)
	}
	ttoken := e.csrf(tc, "/ui/keys")
	if status, _ = e.post(tc, "/ui/keys", url.Values{"csrf": {ttoken}, "name": {"other"}, "tenant_id": {"b"}}); status != http.StatusSeeOther {
		t.Fatalf("a's operator's create: %d", status)
	}
	keys, err := e.store.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: herald.AnyTenant()})
	if err != nil {
		t.Fatal(err)
	}
	var platformID string
	for _, k := range keys {
		if k.Name == "other" && (k.TenantID != "a" || k.Scope != herald.ScopeIngest) {
			t.Fatalf("a's operator made %+v", k)
		}
		if k.TenantID == "" {
			platformID = k.ID
		}
	}
	if status, _ = e.post(tc, "/ui/keys/"+platformID+"/revoke", url.Values{"csrf": {ttoken}, "confirm": {"yes"}}); status != http.StatusNotFound {
		t.Fatalf("a's operator revoking the platform key: %d", status)
	}

	// Revoke needs its confirmation.
	e.post(c, "/ui/keys/"+key.ID+"/revoke", url.Values{"csrf": {token}})
	if _, err := e.store.APIKeyByHash(ctx, key.Hash); err != nil {
		t.Fatalf("revoked without its confirmation: %v", err)
	}
	if status, _ = e.post(c, "/ui/keys/"+key.ID+"/revoke", url.Values{"csrf": {token}, "confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", status)
	}
	if _, err := e.store.APIKeyByHash(ctx, key.Hash); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after revoke: %v", err)
	}

	// No portal reaches the keys, whatever its capabilities.
	p, _, _ := e.portal("a", herald.PortalInput{Capabilities: herald.Capabilities[1:]})
	if status, _, _ := e.get(p, "/ui/keys"); status != http.StatusForbidden {
		t.Errorf("a portal on /ui/keys: %d", status)
	}
	if status, _ := e.post(p, "/ui/keys", url.Values{"csrf": {e.csrf(p, "/ui/webhooks")}, "name": {"x"}}); status != http.StatusForbidden {
		t.Errorf("a portal's forged create: %d", status)
	}
	if _, body, _ := e.get(p, "/ui/webhooks"); strings.Contains(body, `href="/ui/keys"`) {
		t.Errorf("a portal's nav links the keys")
	}
}
