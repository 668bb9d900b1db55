package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// TestAlertsAPI creates, lists, reads, updates and deletes alert rules
// over HTTP.
func TestAlertsAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		wh := ts.createWebhook(map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"alert.*"}})

		var rule herald.AlertRule
		ts.must(201, "POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "threshold": 5}, &rule)
		if !strings.HasPrefix(rule.ID, herald.PrefixAlert) || rule.Op != ">=" || rule.Agg != "avg" || time.Duration(rule.Window) != 5*time.Minute ||
			!rule.IsActive || rule.State != "ok" || rule.Name != "webhook-failures" || rule.Threshold != 5 || rule.CreatedAt.IsZero() {
			t.Fatalf("created with defaults: %+v", rule)
		}
		var cpu herald.AlertRule
		ts.must(201, "POST", "/v1/alerts", map[string]any{
			"name": "hot cpu", "metric": "cpu", "agg": "max", "op": ">", "threshold": 0.9, "window": "10m",
			"agent_id": "a1", "webhook_id": wh.ID,
		}, &cpu)
		if cpu.Agg != "max" || cpu.Op != ">" || time.Duration(cpu.Window) != 10*time.Minute || cpu.WebhookID != wh.ID || cpu.AgentID != "a1" {
			t.Fatalf("created: %+v", cpu)
		}
		for body, field := range map[string]string{
			`{"threshold": 5}`: "metric",
			`{"metric": "webhook-failures", "webhook_id": "wh_01nosuchwebhook"}`: "webhook_id",
			`{"metric": "webhook-failures", "op": "~"}`:                          "op",
			`{"metric": "cpu", "agg": "median"}`:                                 "agg",
			`{"metric": "cpu", "window": "1ms"}`:                                 "window",
			`{"metric": "cpu", "window": "soon"}`:                                "soon",
			`{"metric": "cpu", "colour": "red"}`:                                 "colour",
		} {
			var raw json.RawMessage = []byte(body)
			status, out := ts.do("POST", "/v1/alerts", raw)
			if code, msg := errorOf(t, out); status != 400 || code != "invalid" || !strings.Contains(msg, field) {
				t.Errorf("%s: %d %s %q, want 400 naming %s", body, status, code, msg, field)
			}
		}

		var list struct {
			Items []herald.AlertRule `json:"items"`
			Total int                `json:"total"`
			Limit int                `json:"limit"`
		}
		ts.must(200, "GET", "/v1/alerts", nil, &list)
		if list.Total != 2 || len(list.Items) != 2 || list.Limit != herald.DefaultLimit {
			t.Fatalf("list: %+v", list)
		}
		ts.must(200, "GET", "/v1/alerts?limit=1&skip=1", nil, &list)
		if list.Total != 2 || len(list.Items) != 1 {
			t.Fatalf("paged list: %+v", list)
		}

		var got herald.AlertRule
		ts.must(200, "GET", "/v1/alerts/"+cpu.ID, nil, &got)
		if got.Name != "hot cpu" || got.Threshold != 0.9 {
			t.Fatalf("get: %+v", got)
		}
		var updated herald.AlertRule
		ts.must(200, "PATCH", "/v1/alerts/"+cpu.ID, map[string]any{"threshold": 0.8, "is_active": false}, &updated)
		if updated.Threshold != 0.8 || updated.IsActive || updated.Name != "hot cpu" || updated.Agg != "max" || updated.WebhookID != wh.ID {
			t.Fatalf("patched: %+v", updated)
		}
		ts.must(200, "GET", "/v1/alerts/"+cpu.ID, nil, &got)
		if got.Threshold != 0.8 || got.IsActive {
			t.Fatalf("patch not stored: %+v", got)
		}
		status, out := ts.do("PATCH", "/v1/alerts/"+cpu.ID, map[string]any{"webhook_id": "wh_01gone"})
		if code, msg := errorOf(t, out); status != 400 || code != "invalid" || !strings.Contains(msg, "webhook_id") {
			t.Fatalf("patch to a missing webhook: %d %s", status, out)
		}
		var cleared herald.AlertRule
		ts.must(200, "PATCH", "/v1/alerts/"+cpu.ID, map[string]any{"webhook_id": ""}, &cleared)
		if cleared.WebhookID != "" || cleared.Threshold != 0.8 {
			t.Fatalf("webhook_id not cleared: %+v", cleared)
		}
		ts.must(204, "DELETE", "/v1/alerts/"+cpu.ID, nil, nil)
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			if status, _ := ts.do(m, "/v1/alerts/"+cpu.ID, map[string]any{}); status != 404 {
				t.Errorf("%s of a deleted rule: %d", m, status)
			}
		}
	})
}

// TestAlertsSDKAndCLI drives c.Alerts and "herald alerts" against a real
// server.
func TestAlertsSDKAndCLI(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := client.New(ts.URL(), ts.key)
	wh := ts.createWebhook(map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"alert.*"}})

	rule, err := c.Alerts.Create(ctx, herald.AlertInput{Metric: client.Ptr("deliveries-pending"), Threshold: client.Ptr(100.0)})
	if err != nil || rule.Op != ">=" || rule.ID == "" {
		t.Fatalf("create: %+v %v", rule, err)
	}
	if _, err := c.Alerts.Create(ctx, herald.AlertInput{Metric: client.Ptr("cpu"), WebhookID: client.Ptr("wh_01gone")}); !client.IsInvalid(err) || !strings.Contains(err.Error(), "webhook_id") {
		t.Fatalf("create with a missing webhook: %v", err)
	}
	w := herald.Duration(time.Hour)
	rule, err = c.Alerts.Update(ctx, rule.ID, herald.AlertInput{Window: &w})
	if err != nil || time.Duration(rule.Window) != time.Hour || rule.Threshold != 100 {
		t.Fatalf("update: %+v %v", rule, err)
	}
	list, err := c.Alerts.List(ctx, client.ListOptions{})
	if err != nil || list.Total != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if got, err := c.Alerts.Get(ctx, rule.ID); err != nil || got.Metric != "deliveries-pending" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if err := c.Alerts.Delete(ctx, rule.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Alerts.Get(ctx, rule.ID); !client.IsNotFound(err) {
		t.Fatalf("get deleted: %v", err)
	}

	run := func(args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		cmd := newRootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--server", ts.URL(), "--data-dir", ts.Config.DataDir}, args...))
		err := cmd.ExecuteContext(ctx)
		return out.String(), err
	}
	out, err := run("alerts", "create", "--metric", "webhook-failures", "--threshold", "5", "--window", "1h",
		"--webhook", wh.ID, "--op", ">", "--name", "failing hook", "-o", "json")
	if err != nil {
		t.Fatalf("alerts create: %v\n%s", err, out)
	}
	var created herald.AlertRule
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Op != ">" || created.WebhookID != wh.ID || time.Duration(created.Window) != time.Hour {
		t.Fatalf("created: %+v %v\n%s", created, err, out)
	}
	out, err = run("alerts", "create", "--metric", "cpu", "--agg", "max", "--threshold", "0.9", "--agent", "a1")
	if err != nil || !strings.Contains(out, "max(cpu) >= 0.9 over 5m") {
		t.Fatalf("alerts create table: %v\n%s", err, out)
	}
	if out, err := run("alerts", "create", "--metric", "cpu", "--threshold", "1", "--webhook", "wh_01gone"); err == nil || !strings.Contains(err.Error(), "webhook_id") {
		t.Fatalf("alerts create with a missing webhook: %v\n%s", err, out)
	}
	out, err = run("alerts", "list")
	if err != nil || !strings.Contains(out, "failing hook") || !strings.Contains(out, "webhook-failures > 5 over 1h") {
		t.Fatalf("alerts list: %v\n%s", err, out)
	}
	assertAligned(t, out, "ID", "NAME", "CONDITION", "ACTIVE", "STATE")
	if out, err := run("alerts", "update", created.ID); err == nil || !strings.Contains(err.Error(), "nothing to update") {
		t.Fatalf("alerts update without flags: %v\n%s", err, out)
	}
	out, err = run("alerts", "update", created.ID, "--threshold", "10", "--active=false")
	if err != nil || !strings.Contains(out, "webhook-failures > 10") || !strings.Contains(out, "Active:") {
		t.Fatalf("alerts update: %v\n%s", err, out)
	}
	if out, err := run("alerts", "get", created.ID); err != nil || !strings.Contains(out, "failing hook") || !strings.Contains(out, "no") {
		t.Fatalf("alerts get: %v\n%s", err, out)
	}
	if out, err := run("alerts", "delete", created.ID); err != nil || !strings.Contains(out, "Deleted alert rule") {
		t.Fatalf("alerts delete: %v\n%s", err, out)
	}
	if _, err := run("alerts", "get", created.ID); !client.IsNotFound(err) {
		t.Fatalf("alerts get deleted: %v", err)
	}
}
