package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var (
	rowRE  = regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
)

// rowsOf returns the text of the cells of every body row of the page's
// first table.
func rowsOf(body string) [][]string {
	start := strings.Index(body, "<tbody>")
	end := strings.Index(body, "</tbody>")
	if start < 0 || end < start {
		return nil
	}
	var out [][]string
	for _, m := range rowRE.FindAllStringSubmatch(body[start:end], -1) {
		var row []string
		for _, c := range cellRE.FindAllStringSubmatch(m[1], -1) {
			row = append(row, strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(c[1], ""))))
		}
		out = append(out, row)
	}
	return out
}

// publish publishes an event of type typ for tenant with data.
func (e *env) publish(tenant, id, typ string, data any) *herald.PublishResult {
	e.t.Helper()
	b, _ := json.Marshal(data)
	res, err := e.store.PublishEvent(context.Background(), herald.PublishParams{TenantID: tenant, ID: id, Type: typ, Data: b, Now: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// report applies an agent-status report.
func (e *env) report(r herald.AgentReport) {
	e.t.Helper()
	if _, err := e.store.ReportAgentStatus(context.Background(), &r); err != nil {
		e.t.Fatal(err)
	}
}

// wantStatus fails unless GET path answers status, and returns the body.
func (e *env) wantStatus(c *http.Client, path string, status int) string {
	e.t.Helper()
	got, body, _ := e.get(c, path)
	if got != status {
		e.t.Fatalf("GET %s: %d, want %d\n%s", path, got, status, body)
	}
	return body
}

func TestEventsPageConfinedAndPaged(t *testing.T) {
	e := newEnv(t)
	hook := e.webhook("a", "", "a-orders")
	hook.Events = []string{"order.created"}
	if err := e.store.UpdateWebhook(context.Background(), hook); err != nil {
		t.Fatal(err)
	}
	// Tenant a: 30 events, the even ones order.created (delivered to its
	// hook), the odd ones order.paid (no webhook); each a second apart.
	for i := range 30 {
		typ := "order.created"
		if i%2 == 1 {
			typ = "order.paid"
		}
		e.publish("a", fmt.Sprintf("evt_a%02d", i), typ, map[string]any{"n": i})
		e.clock.add(time.Second)
	}
	sameA := e.publish("a", "evt_same", "order.created", map[string]any{"owner": "tenant-a"})
	e.publish("b", "evt_same", "order.created", map[string]any{"owner": "tenant-b"})
	e.publish("b", "evt_b_only", "secret.thing", map[string]any{"owner": "tenant-b"})

	c, _, _ := e.portal("a", herald.PortalInput{})
	body := e.wantStatus(c, "/ui/events", http.StatusOK)
	rows := rowsOf(body)
	if len(rows) != 25 || !strings.Contains(body, "1–25 of 31") || !strings.Contains(body, `href="/ui/events?skip=25"`) {
		t.Fatalf("first page of a's events: %d rows\n%s", len(rows), body)
	}
	if strings.Contains(body, "tenant-b") || strings.Contains(body, "secret.thing") || strings.Contains(body, `<th scope="col">Tenant</th>`) {
		t.Fatalf("a's portal lists b's events or a tenant column:\n%s", body)
	}
	// Newest first: evt_same, then evt_a29 down; the created ones have a
	// delivery, the paid ones none.
	if want := []string{"order.created", "1", "evt_same"}; fmt.Sprint(rows[0][1:]) != fmt.Sprint(want) {
		t.Errorf("first row: %q, want %q", rows[0][1:], want)
	}
	if want := []string{"order.paid", "0", "evt_a29"}; fmt.Sprint(rows[1][1:]) != fmt.Sprint(want) {
		t.Errorf("second row: %q, want %q", rows[1][1:], want)
	}
	if want := []string{"order.created", "1", "evt_a28"}; fmt.Sprint(rows[2][1:]) != fmt.Sprint(want) {
		t.Errorf("third row: %q, want %q", rows[2][1:], want)
	}
	rows = rowsOf(e.wantStatus(c, "/ui/events?skip=25", http.StatusOK))
	if len(rows) != 6 || rows[5][3] != "evt_a00" {
		t.Errorf("second page: %q", rows)
	}
	rows = rowsOf(e.wantStatus(c, "/ui/events?type=order.paid", http.StatusOK))
	if len(rows) != 15 {
		t.Errorf("order.paid: %d rows, want 15", len(rows))
	}
	for _, r := range rows {
		if r[1] != "order.paid" || r[2] != "0" {
			t.Errorf("order.paid row %q", r)
		}
	}
	if body := e.wantStatus(c, "/ui/events?type=secret.thing", http.StatusOK); !strings.Contains(body, "No events.") {
		t.Errorf("b's type from a's portal:\n%s", body)
	}

	// One event: a's evt_same, its payload and its delivery; b's id is a
	// 404 as a missing one is, ?tenant=b notwithstanding.
	body = e.wantStatus(c, "/ui/events/evt_same?tenant=b", http.StatusOK)
	d := sameA.Deliveries[0]
	if !strings.Contains(body, "&#34;owner&#34;: &#34;tenant-a&#34;") || strings.Contains(body, "tenant-b") ||
		!strings.Contains(body, fmt.Sprintf(`href="/ui/webhooks/%s/deliveries/%s"`, hook.ID, d.ID)) {
		t.Fatalf("a's evt_same:\n%s", body)
	}
	b404 := e.wantStatus(c, "/ui/events/evt_b_only", http.StatusNotFound)
	missing := e.wantStatus(c, "/ui/events/evt_nothing", http.StatusNotFound)
	if b404 != strings.ReplaceAll(missing, "evt_nothing", "evt_b_only") {
		t.Errorf("b's event answers otherwise than a missing one:\n%s\n%s", b404, missing)
	}

	// The operator sees every tenant's, with their tenant, and opens b's
	// evt_same by its link.
	op := e.client()
	e.signIn(op, e.key)
	body = e.wantStatus(op, "/ui/events", http.StatusOK)
	if !strings.Contains(body, `<th scope="col">Tenant</th>`) || !strings.Contains(body, "1–25 of 33") || !strings.Contains(body, `href="/ui/events/evt_same?tenant=b"`) {
		t.Fatalf("operator's events:\n%s", body)
	}
	if body := e.wantStatus(op, "/ui/events/evt_same?tenant=b", http.StatusOK); !strings.Contains(body, "tenant-b") || strings.Contains(body, "tenant-a") {
		t.Errorf("operator's b evt_same:\n%s", body)
	}

	// A portal confined to one agent has no events page.
	ag, _, _ := e.portal("a", herald.PortalInput{AgentID: "bot-1"})
	e.wantStatus(ag, "/ui/events", http.StatusForbidden)
	e.wantStatus(ag, "/ui/events/evt_same", http.StatusForbidden)
}

func TestAgentsPageConfinedAndPaged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	for i := range 26 {
		e.report(herald.AgentReport{TenantID: "a", AgentID: fmt.Sprintf("bot-%d", i), Status: herald.AgentRunning, NodeID: "node-a", Now: t0.Add(time.Duration(i) * time.Second)})
	}
	e.report(herald.AgentReport{TenantID: "b", AgentID: "bot-1", Status: "crashed", Error: "b secret error", Now: t0})
	e.report(herald.AgentReport{TenantID: "b", AgentID: "b-only", Status: herald.AgentRunning, Now: t0})
	// a's bot-1: 30 log lines, a second apart; cpu at 3h, 30m and 10m ago;
	// (and 55 at 48h ago); a deployment started then completed.
	for i := range 30 {
		e.report(herald.AgentReport{TenantID: "a", AgentID: "bot-1", Status: herald.AgentRunning, NodeID: "node-a", Error: "disk full",
			Now: t0.Add(time.Minute + time.Duration(i)*time.Second), Logs: []herald.LogEntry{{Level: []string{"info", "warn", "error"}[i%3], Message: fmt.Sprintf("line %02d", i)}}})
	}
	now := t0.Add(time.Hour)
	e.clock.add(time.Hour)
	for _, m := range []struct {
		ago time.Duration
		cpu float64
	}{{48 * time.Hour, 55}, {3 * time.Hour, 90}, {30 * time.Minute, 10}, {10 * time.Minute, 20}} {
		if _, err := e.store.ReportMetrics(ctx, &herald.MetricsReport{TenantID: "a", AgentID: "bot-1", Metrics: map[string]float64{"cpu": m.cpu},
			Timestamp: now.Add(-m.ago), Now: now.Add(-m.ago)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []string{"started", "completed"} {
		if _, err := e.store.ReportDeployment(ctx, &herald.DeploymentReport{TenantID: "a", DeploymentID: "dep-1", AgentID: "bot-1",
			Status: st, Version: "v2", Now: now}); err != nil {
			t.Fatal(err)
		}
	}

	c, _, _ := e.portal("a", herald.PortalInput{})
	body := e.wantStatus(c, "/ui/agents", http.StatusOK)
	if rows := rowsOf(body); len(rows) != 25 || !strings.Contains(body, "1–25 of 26") {
		t.Fatalf("first page of a's agents: %d rows\n%s", len(rows), body)
	}
	if strings.Contains(body, "b secret error") || strings.Contains(body, "b-only") || strings.Contains(body, `<th scope="col">Tenant</th>`) {
		t.Fatalf("a's portal lists b's agents or a tenant column:\n%s", body)
	}
	if rows := rowsOf(e.wantStatus(c, "/ui/agents?skip=25", http.StatusOK)); len(rows) != 1 {
		t.Errorf("second page: %q", rows)
	}
	b404 := e.wantStatus(c, "/ui/agents/b-only", http.StatusNotFound)
	missing := e.wantStatus(c, "/ui/agents/nobody", http.StatusNotFound)
	if b404 != strings.ReplaceAll(missing, "nobody", "b-only") {
		t.Errorf("b's agent answers otherwise than a missing one:\n%s\n%s", b404, missing)
	}

	// a's bot-1, ?tenant=b notwithstanding: its facts, a cpu chart of the
	// last 24h (3 points), its newest 25 log lines, its deployment.
	body = e.wantStatus(c, "/ui/agents/bot-1?tenant=b", http.StatusOK)
	if strings.Contains(body, "b secret error") || !strings.Contains(body, "disk full") || !strings.Contains(body, "node-a") || !strings.Contains(body, "cpu = 20") {
		t.Fatalf("a's bot-1:\n%s", body)
	}
	if !strings.Contains(body, `role="img" aria-label="cpu: 3 points`) || !strings.Contains(body, "<polyline") ||
		!strings.Contains(body, `<a href="/ui/agents/bot-1?range=24h" aria-current="page">Last 24 hours</a>`) {
		t.Errorf("bot-1's 24h chart:\n%s", body)
	}
	if strings.Contains(body, "style=") {
		t.Errorf("the agent page has an inline style")
	}
	logs := rowsOf(body[strings.Index(body, `id="logs_h"`):])
	if len(logs) != 25 || fmt.Sprint(logs[0][1:]) != "[error line 29]" || fmt.Sprint(logs[24][1:]) != "[error line 05]" || !strings.Contains(body, "1–25 of 30") {
		t.Errorf("first page of bot-1's log: %q", logs)
	}
	if !strings.Contains(body, "dep-1 · v2") || !strings.Contains(body, "<td>started</td>") || !strings.Contains(body, "<td>completed</td>") {
		t.Errorf("bot-1's deployment:\n%s", body)
	}
	body = e.wantStatus(c, "/ui/agents/bot-1?skip=25", http.StatusOK)
	if logs := rowsOf(body[strings.Index(body, `id="logs_h"`):]); len(logs) != 5 || logs[4][2] != "line 00" {
		t.Errorf("second page of bot-1's log: %q", logs)
	}
	if strings.Contains(body, "<td>55</td>") {
		t.Errorf("the 24h chart holds the 48h-old point")
	}
	if body := e.wantStatus(c, "/ui/agents/bot-1?range=7d", http.StatusOK); !strings.Contains(body, "<td>55</td>") {
		t.Errorf("the 7d chart lacks the 48h-old point")
	}
	if !strings.Contains(body, "the average over 12m;") {
		t.Errorf("the 24h charts do not say their step")
	}
	if body := e.wantStatus(c, "/ui/agents/bot-1?range=1h", http.StatusOK); !strings.Contains(body, `aria-label="cpu: 2 points`) || !strings.Contains(body, "the average over 30s;") {
		t.Errorf("1h chart")
	}
	e.wantStatus(c, "/ui/agents/bot-1?range=2y", http.StatusUnprocessableEntity)

	// A portal confined to bot-1 sees bot-1 alone.
	ag, _, _ := e.portal("a", herald.PortalInput{AgentID: "bot-1"})
	body = e.wantStatus(ag, "/ui/agents", http.StatusOK)
	if rows := rowsOf(body); len(rows) != 1 || rows[0][0] != "bot-1" || !strings.Contains(body, "1–1 of 1") {
		t.Errorf("bot-1's portal lists %q", rows)
	}
	e.wantStatus(ag, "/ui/agents/bot-1", http.StatusOK)
	e.wantStatus(ag, "/ui/agents/bot-2", http.StatusNotFound)
	// An agent that has not reported yet: an empty list.
	none, _, _ := e.portal("a", herald.PortalInput{AgentID: "bot-new"})
	if body := e.wantStatus(none, "/ui/agents", http.StatusOK); !strings.Contains(body, "No agents.") {
		t.Errorf("a portal of an agent not reported yet:\n%s", body)
	}

	// The operator sees both tenants' and opens b's bot-1 by its link.
	op := e.client()
	e.signIn(op, e.key)
	body = e.wantStatus(op, "/ui/agents", http.StatusOK)
	if !strings.Contains(body, "1–25 of 28") || !strings.Contains(body, `<th scope="col">Tenant</th>`) {
		t.Fatalf("operator's agents:\n%s", body)
	}
	if body := e.wantStatus(op, "/ui/agents?skip=25", http.StatusOK); !strings.Contains(body, `href="/ui/agents/bot-1?tenant=b"`) {
		t.Fatalf("operator's second page of agents:\n%s", body)
	}
	if body := e.wantStatus(op, "/ui/agents/bot-1?tenant=b", http.StatusOK); !strings.Contains(body, "b secret error") || strings.Contains(body, "disk full") {
		t.Errorf("operator's view of b's bot-1:\n%s", body)
	}
}

// TestAgentChartsReadEveryChunk stores more metric points than one store
// call returns and checks that the charts hold every report's.
func TestAgentChartsReadEveryChunk(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	const reports = 40 // of 256 metrics each: 10240 points
	for i := range reports {
		m := map[string]float64{}
		for j := range herald.MaxMetricsPerReport {
			m[fmt.Sprintf("m%03d", j)] = float64(i)
		}
		at := now.Add(-time.Duration(reports-i) * time.Minute)
		if _, err := e.store.ReportMetrics(context.Background(), &herald.MetricsReport{TenantID: "a", AgentID: "big", Metrics: m, Timestamp: at, Now: at}); err != nil {
			t.Fatal(err)
		}
	}
	c, _, _ := e.portal("a", herald.PortalInput{})
	body := e.wantStatus(c, "/ui/agents/big?range=1h", http.StatusOK)
	for _, name := range []string{"m000", "m255"} {
		if want := fmt.Sprintf(`aria-label="%s: %d points`, name, reports); !strings.Contains(body, want) {
			t.Errorf("the chart of %s lacks %s", name, want)
		}
	}
	if strings.Count(body, `role="img"`) != herald.MaxMetricsPerReport || !strings.Contains(body, "<td>39</td>") {
		t.Errorf("%d charts, want %d, with the last report's values", strings.Count(body, `role="img"`), herald.MaxMetricsPerReport)
	}
}
