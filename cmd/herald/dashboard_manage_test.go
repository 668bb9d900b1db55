package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
)

// openBrowser starts headless Chromium for a test against ts, signed in
// with its admin key, or skips the test when there is no Chromium.
func openBrowser(t *testing.T, ts *testServer) *browser {
	t.Helper()
	b := newBrowser(t, ts.URL())
	b.signIn(ts.key, `a[href="/ui/webhooks/new"]`)
	return b
}

// TestDashboardManageInBrowser drives the Inbound webhooks, Alerts and API
// keys pages in headless Chromium against a real server: an inbound
// webhook made with the form takes a real request, which its request log
// and invocations show; an alert rule is made; an API key is shown once,
// works against the API, and is refused once revoked. It saves
// inbound.png in its artifact directory (go test -artifacts).
func TestDashboardManageInBrowser(t *testing.T) {
	ts := startServer(t)
	ts.echoAgent("echo-bot")
	b := openBrowser(t, ts)

	// 1. Create an inbound webhook whose condition lets critical alerts
	// through, and whose template makes the message.
	b.run("open the Create form",
		chromedp.Navigate(b.base+"/ui/inbound"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/inbound/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/ui/inbound/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "monitoring"),
		chromedp.SendKeys(chromedp.CSS("#agent"), "echo-bot"),
		chromedp.SendKeys(chromedp.CSS("#description"), "Alerts from monitoring"),
		chromedp.SendKeys(chromedp.CSS("#condition"), "$.severity == 'critical'"),
		chromedp.SendKeys(chromedp.CSS("#message_template"), "Alert: {{alert_name}}"),
		chromedp.SendKeys(chromedp.CSS("#context_mapping"), "service: $.service"),
	)
	b.fits360("the Create inbound webhook form")
	b.run("submit the form",
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#inbound_secret")),
	)
	secret := get(b, "read the secret", chromedp.Value(chromedp.CSS("#inbound_secret")))
	if !strings.HasPrefix(secret, herald.SecretPrefix) {
		t.Fatalf("the page shows secret %q", secret)
	}
	if got := b.text("#inbound_url"); got != ts.URL()+"/api/webhooks/monitoring" {
		t.Fatalf("the page shows URL %q", got)
	}

	// 2. A real request to it, and one that the condition filters out.
	status, out, _ := ts.postRaw("/api/webhooks/monitoring", `{"alert_name": "disk full", "severity": "critical", "service": "db"}`,
		"Content-Type", "application/json", "X-Webhook-Secret", secret)
	if status != http.StatusOK || out["response"] != "Alert: disk full" {
		t.Fatalf("the inbound request: %d %v", status, out)
	}
	if status, out, _ = ts.postRaw("/api/webhooks/monitoring", `{"alert_name": "cpu", "severity": "info"}`,
		"Content-Type", "application/json", "X-Webhook-Secret", secret); status != http.StatusOK || out["filtered"] != true {
		t.Fatalf("the filtered request: %d %v", status, out)
	}
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#request_log")))
	if b.exists("#inbound_secret") {
		t.Fatal("the secret is shown again after a reload")
	}
	rows := eval[[]string](b, "read the request log", `[...document.querySelectorAll("#request_log tbody tr")].map(r => r.textContent.replace(/\s+/g, " ").trim())`)
	if len(rows) != 2 || !strings.Contains(rows[0], "filtered") || !strings.Contains(rows[0], "condition") ||
		!strings.Contains(rows[1], "accepted") || !strings.Contains(rows[1], "inv_") {
		t.Fatalf("the request log reads %q", rows)
	}
	if got := b.text("#invocations tbody tr"); !strings.Contains(got, "completed") {
		t.Fatalf("the invocation reads %q", got)
	}
	b.shot("inbound.png")
	b.fits360("an inbound webhook's page")

	// 3. An alert rule.
	b.run("create an alert rule",
		chromedp.Navigate(b.base+"/ui/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/alerts/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/ui/alerts/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#metric")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Backlog"),
		chromedp.SendKeys(chromedp.CSS("#metric"), herald.MetricDeliveriesPending),
		chromedp.SetValue(chromedp.CSS("#threshold"), "10"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("table tbody tr")),
	)
	if got := b.text("table tbody tr"); !strings.Contains(got, "Backlog") || !strings.Contains(got, "deliveries-pending >= 10") || !strings.Contains(got, "OK") {
		t.Fatalf("the alert row reads %q", got)
	}
	var alerts struct{ Items []herald.AlertRule }
	ts.must(http.StatusOK, "GET", "/v1/alerts", nil, &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0].Threshold != 10 || alerts.Items[0].Metric != herald.MetricDeliveriesPending {
		t.Fatalf("the API's alerts: %+v", alerts.Items)
	}
	b.fits360("the alerts list")

	// 4. An API key: shown once, it works, and once revoked it is refused.
	b.run("create a key",
		chromedp.Navigate(b.base+"/ui/keys"),
		chromedp.WaitVisible(chromedp.CSS("#key_name")),
		chromedp.SendKeys(chromedp.CSS("#key_name"), "ci"),
		chromedp.SetValue(chromedp.CSS("#key_scope"), herald.ScopeAdmin),
		chromedp.Click(chromedp.CSS(`form[action="/ui/keys"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new_key")),
	)
	key := get(b, "read the key", chromedp.Value(chromedp.CSS("#new_key")))
	if status, _, _ := ts.sendRaw("GET", "/v1/webhooks", "", "Authorization", "Bearer "+key); status != http.StatusOK {
		t.Fatalf("the new key on GET /v1/webhooks: %d", status)
	}
	b.fits360("the API keys page")
	b.run("reload the keys", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table")))
	if b.exists("#new_key") {
		t.Fatal("the key is shown again after a reload")
	}
	var keys struct{ Items []herald.APIKey }
	ts.must(http.StatusOK, "GET", "/v1/keys", nil, &keys)
	var id string
	for _, k := range keys.Items {
		if k.Name == "ci" {
			id = k.ID
		}
	}
	row := `tr[data-key="` + id + `"]`
	b.run("revoke the key",
		chromedp.Click(chromedp.CSS(row+` input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(row+` button`)),
		chromedp.WaitVisible(chromedp.CSS(".message.notice")),
	)
	if got := b.text(row); !strings.Contains(got, "Revoked") {
		t.Fatalf("the revoked key's row reads %q", got)
	}
	// The node that revoked it forgets the keys it looked up: the key is
	// refused at once.
	if status, _, _ := ts.sendRaw("GET", "/v1/webhooks", "", "Authorization", "Bearer "+key); status != http.StatusUnauthorized {
		t.Fatalf("the revoked key on GET /v1/webhooks: %d, want 401", status)
	}
}
