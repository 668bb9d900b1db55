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

// webhookSecretRE reads the shown-once secret of a webhook's page.
var webhookSecretRE = regexp.MustCompile(`id="signing_secret" value="([^"]+)"`)

// TestRotateSecretShowsItOnce rotates a webhook's secret from its page:
// the new secret is shown on the next load alone, and the old one keeps
// signing for the grace period chosen.
func TestRotateSecretShowsItOnce(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("a", "", "rotated")
	c := e.client()
	e.signIn(c, e.key)
	page := "/ui/webhooks/" + wh.ID
	token := e.csrf(c, page)
	if status, _ := e.post(c, page+"/secret/rotate", url.Values{"csrf": {token}, "grace_period": {"2d"}}); status != http.StatusUnprocessableEntity {
		t.Fatalf("a grace period the form does not offer: %d, want 422", status)
	}
	status, _ := e.post(c, page+"/secret/rotate", url.Values{"csrf": {token}, "grace_period": {"24h"}})
	if status != http.StatusSeeOther {
		t.Fatalf("rotate: %d", status)
	}
	got, err := e.store.Webhook(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret == wh.Secret || !strings.HasPrefix(got.Secret, herald.SecretPrefix) {
		t.Fatalf("the secret after rotating is %q (before %q)", got.Secret, wh.Secret)
	}
	got.ShowSecrets(e.clock.Now(), true)
	if got.PreviousSecretExpiresAt == nil || got.PreviousSecretExpiresAt.Sub(e.clock.Now()) < 23*time.Hour {
		t.Fatalf("the old secret expires at %v, want in 24h", got.PreviousSecretExpiresAt)
	}
	_, body, _ := e.get(c, page+"?notice=x")
	if m := webhookSecretRE.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != got.Secret {
		t.Fatalf("the page after rotating does not show the new secret %q:\n%s", got.Secret, body)
	}
	if _, body, _ = e.get(c, page); webhookSecretRE.MatchString(body) {
		t.Fatal("the new secret is shown again after a reload")
	}
}

// TestRecoverAndReplayNeedRetry starts recover, resend-missing and replay
// operations from the pages, which a portal link without retry may not.
func TestRecoverAndReplayNeedRetry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wh := e.webhook("a", "", "hook")
	pub, err := e.store.PublishEvent(ctx, herald.PublishParams{TenantID: "a", ID: "evt_1", Type: "agent.status", Data: []byte(`{}`), Now: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	ev := pub.Event

	view, _, _ := e.portal("a", herald.PortalInput{})
	token := e.csrf(view, "/ui/webhooks/"+wh.ID)
	for _, path := range []string{"/ui/webhooks/" + wh.ID + "/recover", "/ui/webhooks/" + wh.ID + "/replay-missing", "/ui/events/" + ev.ID + "/replay"} {
		if status, _ := e.post(view, path, url.Values{"csrf": {token}, "since": {"24h"}}); status != http.StatusForbidden {
			t.Errorf("view-only POST %s: %d, want 403", path, status)
		}
	}
	if _, body, _ := e.get(view, "/ui/webhooks/"+wh.ID); strings.Contains(body, "Recover failed deliveries") {
		t.Error("a view-only portal shows the Recover form")
	}

	c, _, _ := e.portal("a", herald.PortalInput{Capabilities: []string{herald.CapabilityRetry}})
	token = e.csrf(c, "/ui/webhooks/"+wh.ID)
	status, _ := e.post(c, "/ui/webhooks/"+wh.ID+"/replay-missing", url.Values{"csrf": {token}, "since": {"24h"}})
	if status != http.StatusSeeOther {
		t.Fatalf("resend missing: %d", status)
	}
	if status, _ := e.post(c, "/ui/webhooks/"+wh.ID+"/recover", url.Values{"csrf": {token}, "since": {"24h"}}); status != http.StatusSeeOther {
		t.Fatalf("recover: %d", status)
	}
	if status, _ := e.post(c, "/ui/events/"+ev.ID+"/replay", url.Values{"csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("replay: %d", status)
	}
	ops, _, err := e.store.ListOperations(ctx, herald.OperationFilter{Tenancy: herald.OnlyTenant("a"), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range ops {
		kinds[o.Kind] = true
	}
	if len(ops) != 3 || !kinds[herald.OperationRecover] || !kinds[herald.OperationReplay] || !kinds[herald.OperationReplayMissing] {
		t.Fatalf("operations: %+v", ops)
	}
	// Tenant b's portal reaches neither a's webhook nor a's event.
	other, _, _ := e.portal("b", herald.PortalInput{Capabilities: []string{herald.CapabilityRetry}})
	token = e.csrf(other, "/ui/webhooks")
	for _, path := range []string{"/ui/webhooks/" + wh.ID + "/recover", "/ui/events/" + ev.ID + "/replay"} {
		if status, _ := e.post(other, path, url.Values{"csrf": {token}, "since": {"24h"}}); status != http.StatusNotFound {
			t.Errorf("tenant b's POST %s: %d, want 404", path, status)
		}
	}
}

// TestStoragePage shows the tables' sizes to a platform operator alone.
func TestStoragePage(t *testing.T) {
	e := newEnv(t)
	e.webhook("a", "", "counted")
	c := e.client()
	e.signIn(c, e.key)
	status, body, _ := e.get(c, "/ui/storage")
	if status != http.StatusOK || !strings.Contains(body, `<th scope="row">webhooks</th><td>1</td>`) || !strings.Contains(body, "sqlite") {
		t.Fatalf("storage page: %d\n%s", status, body)
	}
	portal, _, _ := e.portal("a", herald.PortalInput{Capabilities: herald.Capabilities[1:]})
	if status, _, _ := e.get(portal, "/ui/storage"); status != http.StatusForbidden {
		t.Fatalf("a portal's storage page: %d, want 403", status)
	}
}
