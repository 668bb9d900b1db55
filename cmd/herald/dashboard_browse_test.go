package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardBrowseInBrowser drives the Agents and Events pages in
// headless Chromium against a real server: an agent's status, log lines,
// metrics and deployment ingested through the API appear in the agents list
// and on the agent's page (its charts, with their table of values, and its
// log), and an event's page shows its payload. It saves agent.png in its
// artifact directory (go test -artifacts).
func TestDashboardBrowseInBrowser(t *testing.T) {
	needChromium(t)
	ts := startServer(t)
	now := time.Now().UTC()
	ts.report("/ingest/agent-status", map[string]any{"agent_id": "support-bot", "status": "running", "node_id": "node-7",
		"logs": []any{"booted", map[string]any{"level": "error", "message": "upstream timed out after 30s"}}})
	for i, v := range []float64{12, 30, 22, 48, 35, 41} {
		ts.report("/ingest/metrics", map[string]any{"agent_id": "support-bot", "timestamp": now.Add(time.Duration(i-6) * 20 * time.Minute),
			"metrics": map[string]any{"cpu_percent": v, "memory_mb": 200 + 10*v}})
	}
	for _, st := range []string{"started", "completed"} {
		ts.report("/ingest/deployment", map[string]any{"deployment_id": "dep-42", "agent_id": "support-bot", "status": st, "version": "v1.4.0"})
	}

	b := newBrowser(t, ts.URL())
	b.signIn(ts.key, `a[href="/ui/agents"]`)

	// The agents list, from the nav.
	b.run("open the agents", chromedp.Click(chromedp.CSS(`nav a[href="/ui/agents"]`)), chromedp.WaitVisible(chromedp.CSS("table tbody tr")))
	if got := b.text("table tbody tr"); !strings.Contains(got, "support-bot") || !strings.Contains(got, "running") ||
		!strings.Contains(got, "node-7") || !strings.Contains(got, "cpu_percent = 41") {
		t.Fatalf("the agents row reads %q", got)
	}
	b.fits360("the agents list")

	// The agent's page: a chart per metric, its values as a table, the
	// log newest first, the deployment's history.
	b.run("open the agent", chromedp.Click(chromedp.CSS(`table tbody tr a[href^="/ui/agents/support-bot"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg[role=img]`)))
	labels := eval[[]string](b, "read the charts", `[...document.querySelectorAll("svg[role=img]")].map(s => s.getAttribute("aria-label"))`)
	if len(labels) != 2 || !strings.HasPrefix(labels[0], "cpu_percent: 6 points") || !strings.HasPrefix(labels[1], "memory_mb: 6 points") {
		t.Fatalf("the charts are %q", labels)
	}
	if n := eval[int](b, "count the chart's points", `document.querySelector("svg[role=img] polyline").points.numberOfItems`); n != 6 {
		t.Fatalf("the cpu line has %d points, want 6", n)
	}
	b.run("open the cpu values", chromedp.Click(chromedp.CSS(`.chart-data summary`)), chromedp.WaitVisible(chromedp.CSS(`.chart-data table`)))
	if got := b.text(".chart-data table"); !strings.Contains(got, "48") || !strings.Contains(got, "12") {
		t.Fatalf("the cpu values read %q", got)
	}
	if got := b.text("table.logs tbody tr"); !strings.Contains(got, "error") || !strings.Contains(got, "upstream timed out after 30s") {
		t.Fatalf("the newest log line reads %q", got)
	}
	if got := b.text("table.logs"); !strings.Contains(got, "booted") {
		t.Fatalf("the log reads %q", got)
	}
	if got := b.text("section.deployment"); !strings.Contains(got, "dep-42") || !strings.Contains(got, "started") || !strings.Contains(got, "completed") {
		t.Fatalf("the deployment reads %q", got)
	}
	b.shot("agent.png")
	b.fits360("the agent page")
	href := get(b, "read the last hour's link", chromedp.AttributeValue(chromedp.CSS(`nav.ranges a[href*="range=1h"]`), "href"))
	b.run("pick the last hour", chromedp.Navigate(b.base+href.Value),
		chromedp.WaitVisible(chromedp.CSS(`nav.ranges a[aria-current=page][href*="range=1h"]`)))
	// The points 40 and 20 minutes old; the one of an hour ago is past.
	labels = eval[[]string](b, "read the 1h charts", `[...document.querySelectorAll("svg[role=img]")].map(s => s.getAttribute("aria-label"))`)
	if len(labels) != 2 || !strings.HasPrefix(labels[0], "cpu_percent: 2 points") {
		t.Fatalf("the last hour's charts are %q", labels)
	}

	// An event the report published, and its payload.
	b.run("open the agent.started events", chromedp.Navigate(b.base+"/ui/events?type=agent.started"), chromedp.WaitVisible(chromedp.CSS("table tbody tr")))
	b.fits360("the events list")
	b.run("open the event", chromedp.Click(chromedp.CSS("table tbody tr a")), chromedp.WaitVisible(chromedp.CSS("#event_payload")))
	if got := b.text("#event_payload"); !strings.Contains(got, `"agent_id": "support-bot"`) || !strings.Contains(got, `"node_id": "node-7"`) {
		t.Fatalf("the event's payload reads %q", got)
	}
	if dir := os.Getenv("HERALD_DOCS_SHOTS"); dir != "" {
		png, err := os.ReadFile(filepath.Join(b.shots, "agent.png"))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "agent.png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
