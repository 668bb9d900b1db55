package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fitsNarrow checks that the sections sels of the current page stay
// within a 360-px-wide viewport (a wide table scrolls inside its box).
func fitsNarrow(b *browser, what string, sels ...string) {
	b.t.Helper()
	b.run("narrow the viewport", chromedp.EmulateViewport(360, 740))
	defer b.run("restore the viewport", chromedp.EmulateViewport(1280, 900))
	for _, sel := range sels {
		right := eval[float64](b, "measure "+sel, `document.querySelector(`+jsString(sel)+`).getBoundingClientRect().right`)
		if right > 360 {
			b.t.Errorf("%s: %s reaches %.0f px on a 360-px screen", what, sel, right)
		}
		if w := eval[float64](b, "measure the chart", `document.querySelector("svg.delivery-chart-svg").getBoundingClientRect().right`); w > 360 {
			b.t.Errorf("%s: the chart reaches %.0f px on a 360-px screen", what, w)
		}
	}
}

// TestDashboardChartsInBrowser sends real deliveries to a receiver on
// 127.0.0.1 that answers 200 twice and then 500, and checks in headless
// Chromium that the webhook's page draws them (bars by outcome, latency
// lines, a table of the figures) with its health figures, that the window
// links redraw it, and that it fits a 360-px screen. It saves charts.png
// in its artifact directory (go test -artifacts).
func TestDashboardChartsInBrowser(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, ts.URL())
	rc := newReceiver(t, statuses(200, 200, 500))
	wh := ts.createWebhook(map[string]any{"url": rc.URL + "/hook", "events": []string{"agent.*"}, "name": "Charted", "max_retries": 0})
	for i := range 6 {
		eventID, n := ts.publish("agent.message", map[string]any{"content": "message", "n": i})
		if n != 1 {
			t.Fatalf("event %d went to %d webhooks", i, n)
		}
		d := ts.waitDelivery(wh.ID, ts.deliveryOf(eventID).ID, 30*time.Second)
		if want := map[bool]string{true: "success", false: "failed"}[i < 2]; d.Status != want {
			t.Fatalf("delivery %d is %s, want %s", i, d.Status, want)
		}
	}

	b.run("sign in",
		chromedp.Navigate(b.base+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS("#api_key")),
		chromedp.SendKeys(chromedp.CSS("#api_key"), ts.key),
		chromedp.Submit(chromedp.CSS("#api_key")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/webhooks/new"]`)),
	)
	if got := b.text(`tr[data-webhook="` + wh.ID + `"]`); !strings.Contains(got, "33%") || !strings.Contains(got, "6") {
		t.Errorf("the webhooks list row reads %q, want 6 deliveries at 33%%", got)
	}
	b.run("open the webhook's last hour",
		chromedp.Navigate(b.base+"/ui/webhooks/"+wh.ID+"?chart=1h"),
		chromedp.WaitVisible(chromedp.CSS("svg.delivery-chart-svg")),
	)
	label := get(b, "read the chart's label", chromedp.AttributeValue(chromedp.CSS("svg.delivery-chart-svg"), "aria-label")).Value
	if !strings.HasPrefix(label, "Deliveries per 1 minute, last hour: 2 succeeded, 4 failed, 0 pending; p95 attempt latency up to ") {
		t.Errorf("the chart's label is %q", label)
	}
	if role := get(b, "read the chart's role", chromedp.AttributeValue(chromedp.CSS("svg.delivery-chart-svg"), "role")).Value; role != "img" {
		t.Errorf("the chart's role is %q", role)
	}
	// The bars' heights add up to 6 deliveries: 2 green, 4 red, each
	// bar the full height of the axis's share; the lines are drawn.
	failedH := eval[float64](b, "measure the failed bars", `[...document.querySelectorAll("svg.delivery-chart-svg rect.bar-failed")].reduce((s, r) => s + r.height.baseVal.value, 0)`)
	okH := eval[float64](b, "measure the succeeded bars", `[...document.querySelectorAll("svg.delivery-chart-svg rect.bar-succeeded")].reduce((s, r) => s + r.height.baseVal.value, 0)`)
	if okH <= 0 || failedH < 1.99*okH || failedH > 2.01*okH {
		t.Errorf("bars: succeeded %.1f and failed %.1f units high, want 1:2", okH, failedH)
	}
	for _, sel := range []string{"svg.delivery-chart-svg g.line-p50 path", "svg.delivery-chart-svg g.line-p95 path", ".chart-legend", "#delivery_chart details table th[scope=col]"} {
		if !b.exists(sel) {
			t.Errorf("the page has no %s", sel)
		}
	}
	if fill := eval[string](b, "read a bar's fill", `getComputedStyle(document.querySelector("svg.delivery-chart-svg rect.bar-failed")).fill`); fill != "rgb(198, 40, 40)" {
		t.Errorf("a failed bar is filled %q: is ui.css applied?", fill)
	}
	b.run("open the figures", chromedp.Click(chromedp.CSS("#delivery_chart summary")), chromedp.WaitVisible(chromedp.CSS("#delivery_chart details tbody tr")))
	sums := eval[string](b, "add up the figures", `(() => { let ok = 0, failed = 0, pending = 0; document.querySelectorAll("#delivery_chart details tbody tr").forEach(tr => { ok += +tr.cells[1].textContent; failed += +tr.cells[2].textContent; pending += +tr.cells[3].textContent; }); return ok + "/" + failed + "/" + pending; })()`)
	if sums != "2/4/0" {
		t.Errorf("the table's figures add up to %s, want 2/4/0", sums)
	}

	// Health: 6 attempts over each window, 2 succeeded; a streak of 4.
	if got := b.text("#health tbody tr"); !strings.Contains(got, "1h") || !strings.Contains(got, "33.3%") {
		t.Errorf("the health's 1h row reads %q", got)
	}
	if got := b.text("#health_failed_deliveries"); got != "4" {
		t.Errorf("failed deliveries in the streak: %q, want 4", got)
	}
	if got := b.text("#health_failing_since"); !strings.HasSuffix(got, "UTC") {
		t.Errorf("failing since %q", got)
	}
	if got := b.text("#health_disable_at"); !strings.Contains(got, "UTC, if every attempt fails until then") {
		t.Errorf("would be disabled %q", got)
	}
	for _, id := range []string{"#health_p50", "#health_p95"} {
		if got := b.text(id); !strings.HasSuffix(got, " ms") {
			t.Errorf("%s reads %q", id, got)
		}
	}
	b.shot("charts.png")
	fitsNarrow(b, "the webhook page", "#delivery_chart", "#health")

	// The 7-day link redraws it with 2-hour bars; so does the deliveries
	// page.
	b.run("choose 7 days",
		chromedp.Click(chromedp.CSS(`nav.chart-windows a[href*="chart=7d"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.chart-windows a[href*="chart=7d"][aria-current=page]`)),
	)
	if got := b.text(".chart-bucket"); !strings.Contains(got, "Last 7 days, one bar per 2 hours") || !strings.Contains(got, "2 succeeded, 4 failed, 0 pending") {
		t.Errorf("the 7-day chart reads %q", got)
	}
	b.run("open every delivery", chromedp.Navigate(b.base+"/ui/deliveries"), chromedp.WaitVisible(chromedp.CSS("svg.delivery-chart-svg")))
	label = get(b, "read the deliveries chart's label", chromedp.AttributeValue(chromedp.CSS("svg.delivery-chart-svg"), "aria-label")).Value
	if !strings.HasPrefix(label, "Deliveries per 15 minutes, last 24 hours: 2 succeeded, 4 failed, 0 pending") {
		t.Errorf("the deliveries page's chart label is %q", label)
	}
	fitsNarrow(b, "the deliveries page", "#delivery_chart")
	if got := eval[int](b, "ask for a bad window", `fetch("/ui/deliveries?chart=2h").then(r => r.status)`); got != http.StatusUnprocessableEntity {
		t.Errorf("?chart=2h answered %d", got)
	}
}
