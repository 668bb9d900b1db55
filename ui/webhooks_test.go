package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

func TestEditWebhook(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("a", "", "before")
	c := e.client()
	e.signIn(c, e.key)
	status, body, _ := e.get(c, "/ui/webhooks/"+wh.ID+"/edit")
	if status != http.StatusOK || !strings.Contains(body, `value="before"`) || !strings.Contains(body, `value="30"`) {
		t.Fatalf("edit form: %d\n%s", status, body)
	}
	token := e.csrf(c, "/ui/webhooks/"+wh.ID+"/edit")
	form := url.Values{"csrf": {token}, "name": {"after"}, "url": {"http://127.0.0.1:9/after"}, "events": {"user.message"},
		"event_type": {"agent.message"}, "description": {"changed"}, "active": {"on"}, "headers": {"X-One: 1\nX-Two: 2"},
		"timeout_seconds": {"301"}, "max_retries": {"2"}, "signature_format": {"hex"}, "signature_header": {"X-Sig"}, "retry_schedule": {"1s,2s"}}
	// A timeout over 300 is refused, its error under the Timeout field.
	status, body = e.post(c, "/ui/webhooks/"+wh.ID, form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="timeout_seconds_error"`) || !strings.Contains(body, "from 1 to 300") {
		t.Fatalf("timeout 301: %d\n%s", status, body)
	}
	form.Set("timeout_seconds", "45")
	if status, body = e.post(c, "/ui/webhooks/"+wh.ID, form); status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", status, body)
	}
	got, err := e.store.Webhook(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "after" || got.TimeoutSeconds != 45 || got.MaxRetries != 2 || got.Headers["X-Two"] != "2" || got.SignatureFormat != "hex" ||
		got.SignatureHeader != "X-Sig" || len(got.RetrySchedule) != 2 || strings.Join(got.Events, ",") != "agent.message,user.message" ||
		got.VerifySSL || got.TenantID != "a" || got.Secret != wh.Secret {
		t.Fatalf("saved webhook = %+v", got)
	}
}

func TestDeleteNeedsConfirmation(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("", "", "doomed")
	c := e.client()
	e.signIn(c, e.key)
	token := e.csrf(c, "/ui/webhooks/"+wh.ID)
	e.post(c, "/ui/webhooks/"+wh.ID+"/delete", url.Values{"csrf": {token}})
	if _, err := e.store.Webhook(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID}); err != nil {
		t.Fatalf("deleted without its confirmation: %v", err)
	}
	if status, _ := e.post(c, "/ui/webhooks/"+wh.ID+"/delete", url.Values{"csrf": {token}, "confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("delete: %d", status)
	}
	if _, err := e.store.Webhook(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
}

func TestRetryNeedsCapability(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("a", "", "retried")
	res, err := e.store.PublishEvent(context.Background(), herald.PublishParams{TenantID: "a", Type: "agent.status", Data: []byte(`{}`), Now: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	code := 500
	d := res.Deliveries[0]
	if _, err := e.store.RecordAttempt(context.Background(), herald.AttemptResult{DeliveryID: d.ID, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: e.clock.Now(), StatusCode: &code, Error: "HTTP 500"}}); err != nil {
		t.Fatal(err)
	}
	path := "/ui/webhooks/" + wh.ID + "/deliveries/" + d.ID

	c, _, _ := e.portal("a", herald.PortalInput{})
	_, body, _ := e.get(c, path)
	if !strings.Contains(body, "HTTP 500") || strings.Contains(body, ">Retry<") {
		t.Fatalf("a view-only delivery page:\n%s", body)
	}
	if status, _ := e.post(c, path+"/retry", url.Values{"csrf": {e.csrf(c, "/ui/webhooks")}}); status != http.StatusForbidden {
		t.Fatalf("retry without the capability: %d", status)
	}

	c, _, _ = e.portal("a", herald.PortalInput{Capabilities: []string{herald.CapabilityRetry}})
	if status, _ := e.post(c, path+"/retry", url.Values{"csrf": {e.csrf(c, path)}}); status != http.StatusSeeOther {
		t.Fatalf("retry: %d", status)
	}
	got, err := e.store.Delivery(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: d.ID})
	if err != nil || got.Status != herald.DeliveryPending {
		t.Fatalf("after retry: %+v, %v", got, err)
	}
}

// The list's Disable and Enable do what PATCH does: off records the reason
// manual, which the list shows, on clears it and starts a fresh window,
// and each publishes its operational event for the platform's webhooks.
func TestToggleRecordsReasonAndEvents(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("a", "", "toggled")
	c := e.client()
	e.signIn(c, e.key)
	ctx := context.Background()
	ref := herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID}

	token := e.csrf(c, "/ui/webhooks")
	if status, body := e.post(c, "/ui/webhooks/"+wh.ID+"/disable", url.Values{"csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", status, body)
	}
	got, err := e.store.Webhook(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.IsActive || got.DisabledReason != herald.DisabledManual || got.DisabledAt == nil {
		t.Fatalf("after Disable: %+v", got)
	}
	if _, body, _ := e.get(c, "/ui/webhooks"); !strings.Contains(body, "Disabled (manual)") {
		t.Errorf("the list does not show the reason:\n%s", body)
	}

	token = e.csrf(c, "/ui/webhooks")
	if status, body := e.post(c, "/ui/webhooks/"+wh.ID+"/enable", url.Values{"csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("enable: %d\n%s", status, body)
	}
	if got, err = e.store.Webhook(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if !got.IsActive || got.DisabledReason != "" || got.DisabledAt != nil || got.EnabledAt == nil {
		t.Fatalf("after Enable: %+v", got)
	}

	evs, _, err := e.store.ListEvents(ctx, herald.EventFilter{Tenancy: herald.Platform(), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	if !slices.Contains(types, herald.EventWebhookDisabled) || !slices.Contains(types, herald.EventWebhookEnabled) {
		t.Fatalf("the platform's events are %v, want webhook.disabled and webhook.enabled", types)
	}
}
