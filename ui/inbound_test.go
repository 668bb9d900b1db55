package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// inbound stores an inbound webhook of tenant called name for agent.
func (e *env) inbound(tenant, name, agent string) *herald.InboundWebhook {
	e.t.Helper()
	wh := herald.NewInboundWebhook()
	wh.TenantID, wh.Name, wh.Agent, wh.Secret = herald.TenantID(tenant), name, agent, herald.GenerateSecret()
	wh.CreatedAt, wh.UpdatedAt = e.clock.Now(), e.clock.Now()
	if err := e.store.CreateInboundWebhook(context.Background(), wh); err != nil {
		e.t.Fatal(err)
	}
	return wh
}

// location is the Location of a redirect answer to a form post.
func (e *env) postLocation(c *http.Client, path string, form url.Values) (int, string) {
	e.t.Helper()
	resp, err := c.PostForm(e.srv.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

var secretRE = regexp.MustCompile(`id="inbound_secret" value="([^"]+)"`)

// An operator creates a tenant's inbound webhook with every setting; its
// validation errors sit next to their fields; the secret shows once; an
// edit keeps it; the request log and the invocations page newest first;
// Delete needs its confirmation.
func TestInboundWebhookPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	e.signIn(c, e.key)
	token := e.csrf(c, "/ui/inbound/new")
	form := url.Values{"csrf": {token}, "tenant_id": {"a"}, "name": {"Bad Name"}, "agent": {"bot"}, "provider": {""},
		"description": {"alerts from monitoring"}, "active": {"on"}, "response_mode": {"async"}, "include": {"alert.*, *.critical"},
		"exclude": {"test.*"}, "condition": {"$.severity == 'critical'"}, "message_template": {"Alert: {{alert_name}}"},
		"context_mapping": {"service: $.labels.service"}, "allowed_ips": {"10.0.0.0/8, 127.0.0.1"},
		"rate_limit_requests": {"10"}, "rate_limit_per": {"1m"}, "bot_token": {""}}
	status, body := e.post(c, "/ui/inbound", form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="name_error"`) || !strings.Contains(body, `aria-describedby="name_help name_error"`) {
		t.Fatalf("a bad name: %d\n%s", status, body)
	}
	form.Set("name", "alerts")
	form.Set("condition", "$.severity ==")
	if status, body = e.post(c, "/ui/inbound", form); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="condition_error"`) {
		t.Fatalf("a bad condition: %d\n%s", status, body)
	}
	form.Set("condition", "$.severity == 'critical'")
	status, loc := e.postLocation(c, "/ui/inbound", form)
	if status != http.StatusSeeOther || loc != "/ui/inbound/w/alerts?tenant=a" {
		t.Fatalf("create: %d %q", status, loc)
	}
	wh, err := e.store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: "alerts"})
	if err != nil {
		t.Fatal(err)
	}
	if wh.Agent != "bot" || wh.Provider != herald.ProviderGeneric || wh.ResponseMode != herald.ResponseAsync || !wh.Enabled ||
		strings.Join(wh.Filters.Include, ",") != "alert.*,*.critical" || wh.Filters.Condition != "$.severity == 'critical'" ||
		wh.Transform.ContextMapping["service"] != "$.labels.service" || len(wh.AllowedIPs) != 2 || wh.RateLimit == nil ||
		wh.RateLimit.Requests != 10 || time.Duration(wh.RateLimit.Per) != time.Minute || !strings.HasPrefix(wh.Secret, herald.SecretPrefix) {
		t.Fatalf("stored = %+v", wh)
	}
	_, body, _ = e.get(c, loc)
	if m := secretRE.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != wh.Secret {
		t.Fatalf("the secret is not shown after creation:\n%s", body)
	}
	if _, body, _ = e.get(c, loc); strings.Contains(body, `id="inbound_secret"`) || !strings.Contains(body, "/api/tenants/a/webhooks/alerts") {
		t.Fatalf("the secret again, or no URL:\n%s", body)
	}

	// Edit: a bad allowed IP is refused next to its field; a good edit
	// keeps the secret.
	edit := "/ui/inbound/w/alerts?tenant=a"
	_, body, _ = e.get(c, "/ui/inbound/w/alerts/edit?tenant=a")
	if !strings.Contains(body, `value="alert.*, *.critical"`) || !strings.Contains(body, `action="/ui/inbound/w/alerts?tenant=a"`) {
		t.Fatalf("edit form:\n%s", body)
	}
	form.Del("name")
	form.Set("allowed_ips", "10.0.0.0/8, nowhere")
	if status, body = e.post(c, edit, form); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="allowed_ips_error"`) || !strings.Contains(body, "nowhere") {
		t.Fatalf("a bad IP: %d\n%s", status, body)
	}
	form.Set("allowed_ips", "")
	form.Set("response_mode", "sync")
	form.Del("active")
	if status, body = e.post(c, edit, form); status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", status, body)
	}
	got, err := e.store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: "alerts"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != wh.Secret || got.Enabled || got.ResponseMode != herald.ResponseSync || len(got.AllowedIPs) != 0 {
		t.Fatalf("after the edit: %+v", got)
	}

	// The request log and the invocations, newest first, a page at a time.
	t0 := e.clock.Now()
	for i := 0; i < 30; i++ {
		if err := e.store.RecordInboundRequest(ctx, &herald.InboundRequest{TenantID: "a", Webhook: "alerts", At: t0.Add(time.Duration(i) * time.Second),
			Verdict: herald.VerdictFiltered, Reason: fmt.Sprintf("reason-%02d", i), Status: 200}); err != nil {
			t.Fatal(err)
		}
		inv := &herald.Invocation{ID: herald.NewID(herald.PrefixInvocation, t0.Add(time.Duration(i)*time.Second)), TenantID: "a", Agent: "bot",
			Source: "webhook:alerts", Mode: herald.ResponseSync, Status: herald.InvocationCompleted, Context: []byte(`{}`),
			CreatedAt: t0.Add(time.Duration(i) * time.Second), ReplyStatus: ""}
		if err := e.store.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv}); err != nil {
			t.Fatal(err)
		}
	}
	_, body, _ = e.get(c, edit)
	if n := strings.Count(body, "data-request="); n != 25 || !strings.Contains(body, "reason-29") || strings.Contains(body, "reason-04") ||
		strings.Index(body, "reason-29") > strings.Index(body, "reason-28") || strings.Count(body, "data-invocation=") != 25 || !strings.Contains(body, "of 30") {
		t.Fatalf("the first page has %d requests:\n%s", n, body)
	}
	_, body, _ = e.get(c, edit+"&req_skip=25&inv_skip=25")
	if n := strings.Count(body, "data-request="); n != 5 || !strings.Contains(body, "reason-04") || strings.Count(body, "data-invocation=") != 5 {
		t.Fatalf("the second page has %d requests:\n%s", n, body)
	}

	// Delete needs its confirmation box.
	token = e.csrf(c, edit)
	e.post(c, "/ui/inbound/w/alerts/delete?tenant=a", url.Values{"csrf": {token}})
	if _, err := e.store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: "alerts"}); err != nil {
		t.Fatalf("deleted without its confirmation: %v", err)
	}
	if status, _ := e.post(c, "/ui/inbound/w/alerts/delete?tenant=a", url.Values{"csrf": {token}, "confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("delete: %d", status)
	}
	if _, err := e.store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: "alerts"}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
}

// A portal of tenant a never sees nor changes tenant b's inbound webhooks:
// they answer 404 as a missing one does, and a view-only portal's forged
// posts are refused.
func TestInboundConfinementAndCapabilities(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.inbound("a", "shared", "bot")
	e.inbound("b", "shared", "bot")
	e.inbound("b", "bonly", "bot")

	view, _, _ := e.portal("a", herald.PortalInput{})
	_, body, _ := e.get(view, "/ui/inbound")
	if !strings.Contains(body, `data-inbound="shared"`) || strings.Contains(body, "bonly") || strings.Contains(body, "Create inbound webhook") {
		t.Fatalf("a's view-only list:\n%s", body)
	}
	missing, missingBody, _ := e.get(view, "/ui/inbound/w/ghost")
	for _, path := range []string{"/ui/inbound/w/bonly", "/ui/inbound/w/shared?tenant=b"} {
		status, body, _ := e.get(view, path)
		name := strings.TrimPrefix(strings.Split(path, "?")[0], "/ui/inbound/w/")
		if status != http.StatusNotFound || status != missing || strings.ReplaceAll(body, name, "ghost") != missingBody {
			t.Errorf("a's portal on %s: %d\n%s", path, status, body)
		}
	}
	token := e.csrf(view, "/ui/inbound")
	for _, path := range []string{"/ui/inbound", "/ui/inbound/w/shared", "/ui/inbound/w/shared/delete"} {
		if status, _ := e.post(view, path, url.Values{"csrf": {token}, "name": {"forged"}, "agent": {"bot"}, "confirm": {"yes"}}); status != http.StatusForbidden {
			t.Errorf("a view-only POST %s: %d, want 403", path, status)
		}
	}
	if status, _, _ := e.get(view, "/ui/inbound/new"); status != http.StatusForbidden {
		t.Errorf("a view-only portal's Create form: %d", status)
	}

	manage, _, _ := e.portal("a", herald.PortalInput{Capabilities: []string{herald.CapabilityManageInbound}})
	token = e.csrf(manage, "/ui/inbound")
	for _, path := range []string{"/ui/inbound/w/bonly/delete", "/ui/inbound/w/shared/delete?tenant=b", "/ui/inbound/w/bonly?tenant=b"} {
		if status, _ := e.post(manage, path, url.Values{"csrf": {token}, "confirm": {"yes"}, "agent": {"x"}}); status != http.StatusNotFound {
			t.Errorf("a's POST %s: %d, want 404", path, status)
		}
	}
	if status, _, _ := e.get(manage, "/ui/inbound/w/bonly/edit?tenant=b"); status != http.StatusNotFound {
		t.Errorf("a's Edit form of b's webhook: %d", status)
	}
	for _, name := range []string{"shared", "bonly"} {
		if got, err := e.store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant("b"), ID: name}); err != nil || got.Agent != "bot" {
			t.Errorf("b's %s after a's posts: %+v %v", name, got, err)
		}
	}
	// A portal's webhook is its own tenant's, whatever tenant_id it posts;
	// the secret it made is not shown without view_secrets.
	status, loc := e.postLocation(manage, "/ui/inbound", url.Values{"csrf": {token}, "tenant_id": {"b"}, "name": {"mine"}, "agent": {"bot"}, "active": {"on"}})
	if status != http.StatusSeeOther {
		t.Fatalf("a's create: %d", status)
	}
	if _, err := e.store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant("a"), ID: "mine"}); err != nil {
		t.Fatalf("a's webhook: %v", err)
	}
	if _, body, _ := e.get(manage, loc); strings.Contains(body, `id="inbound_secret"`) || !strings.Contains(body, "not shown on this link") {
		t.Errorf("the secret without view_secrets:\n%s", body)
	}
	// A portal confined to one agent reaches that agent's webhooks only.
	e.inbound("a", "other-agent", "bot-2")
	agent, _, _ := e.portal("a", herald.PortalInput{AgentID: "bot"})
	if _, body, _ := e.get(agent, "/ui/inbound"); !strings.Contains(body, `data-inbound="shared"`) || strings.Contains(body, "other-agent") {
		t.Errorf("bot's portal lists:\n%s", body)
	}
	if status, _, _ := e.get(agent, "/ui/inbound/w/other-agent"); status != http.StatusNotFound {
		t.Errorf("bot's portal on bot-2's webhook: %d", status)
	}
	// The CSRF token is required.
	if status, _ := e.post(manage, "/ui/inbound", url.Values{"name": {"nocsrf"}, "agent": {"bot"}}); status != http.StatusForbidden {
		t.Errorf("a create without its CSRF token: %d", status)
	}
}
