package ui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/ui"
)

// stamp writes t as the dashboard does.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func TestDeliveryChartsAndHealth(t *testing.T) {
	e := newEnv(t)
	// The server's default --disable-after, so the page shows when the
	// failing streak would turn the webhook off.
	u := ui.New(ui.Config{Store: e.store, Clock: e.clock, URLPolicy: herald.URLPolicy{AllowHTTP: true}, SessionTTL: time.Hour,
		DisableAfter: herald.DefaultDisableAfter})
	mux := http.NewServeMux()
	u.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	ctx := context.Background()
	wh := e.webhook("", "", "orders")
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	code := 500
	for i, a := range []struct {
		ms int64
		ok bool
	}{{120, true}, {800, false}, {900, false}} {
		at := now.Add(time.Duration(i-5) * time.Minute)
		res, err := e.store.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: []byte(`{}`), WebhookID: wh.ID, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		status := herald.DeliveryFailed
		if a.ok {
			status, code = herald.DeliverySuccess, 200
		}
		if _, err := e.store.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: res.Deliveries[0].ID, Status: status,
			Attempt: &herald.Attempt{StartedAt: at, DurationMS: a.ms, Success: a.ok, StatusCode: &code}}); err != nil {
			t.Fatal(err)
		}
		code = 500
	}
	c := e.client()
	e.signIn(c, e.key)

	status, body, _ := e.get(c, "/ui/webhooks/"+wh.ID+"?chart=1h")
	if status != http.StatusOK {
		t.Fatalf("webhook page: %d\n%s", status, body)
	}
	failingSince := now.Add(-4 * time.Minute)
	for _, want := range []string{
		`<svg class="delivery-chart-svg"`,
		`role="img" aria-label="Deliveries per 1 minute, last hour: 1 succeeded, 2 failed, 0 pending; p95 attempt latency up to 900 ms."`,
		`<a href="/ui/webhooks/` + wh.ID + `?chart=1h#delivery_chart" aria-current="page">Last hour</a>`,
		`<tr><th scope="row">1h</th><td>33.3%</td><td>3</td><td>1</td><td>2</td></tr>`,
		`<tr><th scope="row">7d</th><td>33.3%</td><td>3</td><td>1</td><td>2</td></tr>`,
		`<dd id="health_p50">800 ms</dd>`,
		`<dd id="health_p95">900 ms</dd>`,
		`<dd id="health_failing_since"><span class="bad">` + stamp(failingSince) + `</span></dd>`,
		`<dd id="health_failed_deliveries">2</dd>`,
		`<dd id="health_disable_at">` + stamp(failingSince.Add(herald.DefaultDisableAfter)) + `, if every attempt fails until then and 10 or more deliveries have failed</dd>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("webhook page lacks %s", want)
		}
	}
	if strings.Contains(body, "style=") {
		t.Error("webhook page has an inline style")
	}

	// Every delivery over 7d; a bad window is named.
	_, body, _ = e.get(c, "/ui/deliveries?chart=7d")
	if want := `aria-label="Deliveries per 2 hours, last 7 days: 1 succeeded, 2 failed, 0 pending; p95 attempt latency up to 900 ms."`; !strings.Contains(body, want) {
		t.Errorf("deliveries page lacks %s", want)
	}
	if status, body, _ := e.get(c, "/ui/deliveries?chart=2h"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "chart: must be 1h, 24h or 7d") {
		t.Errorf("?chart=2h: %d", status)
	}

	// Tenant b's session counts none of the platform's deliveries.
	k := herald.NewAPIKey("b", herald.ScopeAdmin, now)
	k.TenantID = "b"
	if err := e.store.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	tb := e.client()
	e.signIn(tb, k.Key)
	_, body, _ = e.get(tb, "/ui/deliveries")
	if want := `aria-label="Deliveries per 15 minutes, last 24 hours: 0 succeeded, 0 failed, 0 pending."`; !strings.Contains(body, want) {
		t.Errorf("tenant b's deliveries page lacks %s", want)
	}
	if status, _, _ := e.get(tb, "/ui/webhooks/"+wh.ID); status != http.StatusNotFound {
		t.Errorf("the platform's webhook for tenant b: %d, want 404", status)
	}

	// Turned off: the reason and time instead of the disable time.
	if _, _, err := e.store.DisableWebhook(ctx, herald.DisableParams{Ref: herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID},
		Reason: herald.DisabledGone, Now: now}); err != nil {
		t.Fatal(err)
	}
	_, body, _ = e.get(c, "/ui/webhooks/"+wh.ID)
	if want := `<dd id="health_disabled">Gone: the endpoint answered 410 Gone, at ` + stamp(now) + `</dd>`; !strings.Contains(body, want) {
		t.Errorf("disabled webhook's page lacks %s", want)
	}
	if strings.Contains(body, "health_disable_at") {
		t.Error("a disabled webhook's page shows when it would be disabled")
	}
}
