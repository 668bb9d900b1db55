package ui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/eventschema"
)

var portalURLRE = regexp.MustCompile(`id="portal_url" value="([^"]+)"`)

func TestTenantsPageMintsPortalLinks(t *testing.T) {
	e := newEnv(t)
	e.webhook("a", "", "a-hook")
	c := e.client()
	e.signIn(c, e.key)
	status, body, _ := e.get(c, "/ui/tenants")
	if status != http.StatusOK || !strings.Contains(body, `data-tenant="a"`) || !strings.Contains(body, `data-tenant="b"`) {
		t.Fatalf("tenants: %d\n%s", status, body)
	}
	token := e.csrf(c, "/ui/tenants")
	status, body = e.post(c, "/ui/tenants/a/portal", url.Values{"csrf": {token}, "expires_in": {"12h"}, "capability": {"manage_webhooks"}})
	m := portalURLRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("mint: %d\n%s", status, body)
	}
	p := e.client()
	if resp, err := p.Get(html.UnescapeString(m[1])); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("open the minted link: %v %v", resp, err)
	}
	if _, body, _ := e.get(p, "/ui/webhooks"); !strings.Contains(body, "a-hook") || !strings.Contains(body, "Create Webhook") {
		t.Fatalf("the minted portal:\n%s", body)
	}
	// The portal, and an operator of a tenant key, reach no tenants page.
	if status, _, _ := e.get(p, "/ui/tenants"); status != http.StatusForbidden {
		t.Errorf("the portal on /ui/tenants: %d", status)
	}
	k := herald.NewAPIKey("a-admin", herald.ScopeAdmin, e.clock.Now())
	k.TenantID = "a"
	if err := e.store.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	tc := e.client()
	e.signIn(tc, k.Key)
	if status, _, _ := e.get(tc, "/ui/tenants"); status != http.StatusForbidden {
		t.Errorf("a tenant operator on /ui/tenants: %d", status)
	}
	if _, body, _ := e.get(tc, "/ui/webhooks"); !strings.Contains(body, "a-hook") || strings.Contains(body, `href="/ui/tenants"`) {
		t.Errorf("a tenant operator's webhooks:\n%s", body)
	}
	// A bad option shows as a message.
	status, body = e.post(c, "/ui/tenants/a/portal", url.Values{"csrf": {token}, "expires_in": {"30d"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "expires_in") {
		t.Errorf("expires_in 30d: %d\n%s", status, body)
	}
}

func TestPortalEventTypesLimitPicker(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.portal("a", herald.PortalInput{Capabilities: []string{herald.CapabilityManageWebhooks}, EventTypes: []string{"agent.message", "user.message"}})
	_, body, _ := e.get(c, "/ui/webhooks/new")
	picked := regexp.MustCompile(`name="event_type" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(picked) != 2 || picked[0][1] != "agent.message" || picked[1][1] != "user.message" {
		t.Fatalf("the picker offers %v", picked)
	}
	// The operator's picker offers the catalogue and the types seen.
	if _, err := e.store.EnsureEventTypes(context.Background(), herald.EnsureEventTypesParams{Types: eventschema.Builtin(), Now: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishEvent(context.Background(), herald.PublishParams{Type: "order.shipped", Data: []byte(`{}`), Now: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	o := e.client()
	e.signIn(o, e.key)
	_, body, _ = e.get(o, "/ui/webhooks/new")
	for _, want := range []string{`value="agent.action"`, `value="order.shipped"`, `value="30"`, `value="3"`, `id="verify_ssl" name="verify_ssl" checked`, `id="active" name="active" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("the operator's form lacks %s", want)
		}
	}
}
