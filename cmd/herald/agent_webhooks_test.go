package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/receivertest"
)

// TestSeed003AgentWebhooks runs seed 003's flow through the CLI against a
// real server: a webhook for one agent gets that agent's agent.invoked and
// agent.completed, signed with a hex X-SwiftClaw-Signature that seed 003's
// Python handler verifies, and nothing of another agent; logs and logs
// --failed show its deliveries; and an agent-scoped webhook-failures alert
// triggers on that agent's failures alone.
func TestSeed003AgentWebhooks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, monitorConfig)
		const secret = "swiftclaw-seed003-secret"
		rc := receivertest.StartSwiftClaw(t, secret)
		run := ts.mustCLI
		hookOf := func(out string) *herald.Webhook { return decodeAs[herald.Webhook](t, out) }
		signed := []string{"--signature-header", "X-SwiftClaw-Signature", "--signature-format", "hex", "--secret", secret}

		// Two agents, each reachable through an inbound webhook.
		for _, agent := range []string{"my-agent", "other-agent"} {
			run("agents", "create", agent, "--runtime", "echo")
			run("inbound", "create", "--name", agent+"-in", "--agent", agent)
		}
		// 1. A webhook for my-agent, in seed 003's shape; other-agent's
		// goes nowhere (nothing listens on port 9) and fails.
		mine := hookOf(run(append([]string{"webhooks", "create", "my-agent", "--url", rc.URL,
			"--events", "agent.invoked,agent.completed,agent.failed", "--max-retries", "0", "-o", "json"}, signed...)...))
		other := hookOf(run("webhooks", "create", "--agent", "other-agent", "--url", "http://127.0.0.1:9/hook",
			"--events", "agent.*", "--max-retries", "0", "-o", "json"))
		if mine.AgentID != "my-agent" || other.AgentID != "other-agent" {
			t.Fatalf("agents of the webhooks: %q and %q", mine.AgentID, other.AgentID)
		}
		// Alerts come to the same receiver, signed the same way.
		run(append([]string{"webhooks", "create", "--url", rc.URL, "--events", "alert.*"}, signed...)...)
		out := run("webhooks", "list", "my-agent")
		assertAligned(t, out, "ID", "NAME", "AGENT", "URL", "EVENTS", "ACTIVE", "LAST TRIGGERED")
		if !strings.Contains(out, mine.ID) || strings.Contains(out, other.ID) {
			t.Fatalf("webhooks list my-agent:\n%s", out)
		}
		if out := run("webhooks", "list", "--agent", "other-agent"); !strings.Contains(out, other.ID) || strings.Contains(out, mine.ID) {
			t.Fatalf("webhooks list --agent other-agent:\n%s", out)
		}

		// 2. Invoke the other agent, then mine (sync: their events are
		// published when the commands return).
		run("inbound", "trigger", "other-agent-in", "--message", "hello other")
		run("inbound", "trigger", "my-agent-in", "--message", "hello mine")

		// 3. Only my-agent's agent.invoked and agent.completed arrive,
		// verified by the seed's handler.
		got := rc.WaitReceived(t, 2, 30*time.Second)
		var types []string
		for _, r := range got[:2] {
			var line struct{ Agent string }
			if err := json.Unmarshal([]byte(r.Line), &line); err != nil || line.Agent != "my-agent" {
				t.Errorf("delivery %s of %q: %v", r.Event, line.Agent, err)
			}
			types = append(types, r.Event)
		}
		slices.Sort(types)
		if !slices.Equal(types, []string{"agent.completed", "agent.invoked"}) {
			t.Fatalf("received %v, want agent.completed and agent.invoked", types)
		}
		var listed struct {
			Items []*herald.Event `json:"items"`
			Total int             `json:"total"`
		}
		if err := json.Unmarshal([]byte(run("events", "list", "--agent", "other-agent", "--type", "agent.completed", "-o", "json")), &listed); err != nil ||
			listed.Total != 1 {
			t.Fatalf("other-agent's agent.completed: %+v %v", listed, err)
		}
		var ev herald.Event
		ts.must(200, "GET", "/v1/events/"+listed.Items[0].ID, nil, &ev)
		if len(ev.Deliveries) != 1 || ev.Deliveries[0].WebhookID != other.ID {
			t.Fatalf("other-agent's agent.completed went to %+v, want other-agent's webhook alone", ev.Deliveries)
		}

		// 4. logs and logs --failed, in seed 003's shape, once Herald has
		// recorded the answers the receiver gave.
		settle(t, ts, mine.ID, 2)
		out = run("webhooks", "logs", "my-agent", mine.ID)
		if !strings.Contains(out, "agent.invoked") || !strings.Contains(out, "agent.completed") || strings.Count(out, "success") != 2 {
			t.Fatalf("webhooks logs:\n%s", out)
		}
		if out := run("webhooks", "logs", "my-agent", mine.ID, "--failed"); out != "No deliveries.\n" {
			t.Fatalf("webhooks logs --failed before any failure:\n%s", out)
		}

		// An agent-scoped webhook-failures alert per agent: other-agent's
		// triggers on its webhook's failures, mine stays ok meanwhile.
		alertOf := func(out string) *herald.AlertRule { return decodeAs[herald.AlertRule](t, out) }
		mineAlert := alertOf(run("alerts", "create", "--agent", "my-agent", "--metric", "webhook-failures",
			"--threshold", "2", "--window", "1h", "-o", "json"))
		otherAlert := alertOf(run("alerts", "create", "--agent", "other-agent", "--metric", "webhook-failures",
			"--threshold", "2", "--window", "1h", "-o", "json"))
		// other-agent's webhook fails agent.invoked, agent.completed and
		// agent.message.
		fired := waitAlert(t, ts, otherAlert.ID, func(r *herald.AlertRule) bool { return r.Value != nil && *r.Value == 3 })
		quiet := waitAlert(t, ts, mineAlert.ID, func(r *herald.AlertRule) bool {
			return r.EvaluatedAt != nil && r.EvaluatedAt.After(*fired.EvaluatedAt)
		})
		if fired.State != herald.AlertTriggered || quiet.State != herald.AlertOK || quiet.Value == nil || *quiet.Value != 0 {
			t.Fatalf("with other-agent's failures alone: other %s %v, mine %s %v", fired.State, fired.Value, quiet.State, quiet.Value)
		}

		// my-agent's webhook now fails too: its alert triggers.
		run("webhooks", "update", "my-agent", mine.ID, "--url", "http://127.0.0.1:9/hook")
		run("inbound", "trigger", "my-agent-in", "--message", "hello again")
		triggered := waitAlert(t, ts, mineAlert.ID, func(r *herald.AlertRule) bool { return r.State == herald.AlertTriggered })
		if *triggered.Value != 2 {
			t.Fatalf("my-agent's failures: %v, want 2", *triggered.Value)
		}
		settle(t, ts, mine.ID, 4)
		out = run("webhooks", "logs", "my-agent", mine.ID, "--failed")
		if strings.Count(out, "failed") != 2 || strings.Contains(out, "success") {
			t.Fatalf("webhooks logs --failed:\n%s", out)
		}
		// Each alert.triggered names its agent.
		got = rc.WaitReceived(t, 4, 30*time.Second)
		var alerted []string
		for _, r := range got[2:] {
			var line struct{ Agent string }
			_ = json.Unmarshal([]byte(r.Line), &line)
			if r.Event != "alert.triggered" {
				t.Fatalf("received %s after the agent's events", r.Event)
			}
			alerted = append(alerted, line.Agent)
		}
		slices.Sort(alerted)
		if !slices.Equal(alerted, []string{"my-agent", "other-agent"}) {
			t.Fatalf("alert.triggered for %v", alerted)
		}
	})
}

// settle waits until a webhook has n deliveries and none is pending.
func settle(t *testing.T, ts *testServer, webhookID string, n int) {
	t.Helper()
	var list struct {
		Items []*herald.Delivery `json:"items"`
	}
	ts.must(200, "GET", "/v1/webhooks/"+webhookID+"/deliveries", nil, &list)
	if len(list.Items) != n {
		t.Fatalf("webhook %s has %d deliveries, want %d", webhookID, len(list.Items), n)
	}
	for _, d := range list.Items {
		ts.waitDelivery(webhookID, d.ID, 30*time.Second)
	}
}

// TestActiveAlias: webhooks and inbound webhooks both say is_active for
// being on, and both take enabled as its alias, in the API and the CLI.
func TestActiveAlias(t *testing.T) {
	ts := startServer(t)
	run := ts.cli
	type state struct {
		IsActive *bool `json:"is_active"`
		Enabled  *bool `json:"enabled"`
	}
	check := func(what string, raw []byte, want bool, alias bool) {
		t.Helper()
		var s state
		if err := json.Unmarshal(raw, &s); err != nil || s.IsActive == nil || *s.IsActive != want || alias != (s.Enabled != nil) ||
			(alias && *s.Enabled != want) {
			t.Fatalf("%s: %s, want is_active %v", what, raw, want)
		}
	}

	// Webhooks: is_active, and enabled in a body.
	st, raw := ts.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"*"}, "enabled": false})
	if st != 201 {
		t.Fatalf("create with enabled: %d %s", st, raw)
	}
	check("webhook created with enabled false", raw, false, false)
	var wh herald.Webhook
	_ = json.Unmarshal(raw, &wh)
	st, raw = ts.do("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"is_active": true, "enabled": false})
	if code, msg := errorOf(t, raw); st != 400 || code != herald.EINVALID || !strings.HasPrefix(msg, "is_active") {
		t.Fatalf("is_active and enabled disagreeing: %d %s", st, raw)
	}
	for _, args := range [][]string{{"--active"}, {"--enabled=false"}} {
		out, err := run(append([]string{"webhooks", "update", wh.ID, "-o", "json"}, args...)...)
		if err != nil {
			t.Fatalf("webhooks update %v: %v %s", args, err, out)
		}
		check("webhooks update "+args[0], []byte(out), args[0] == "--active", false)
	}
	for cmd, want := range map[string]bool{"enable": true, "disable": false} {
		out, err := run("webhooks", cmd, wh.ID, "-o", "json")
		if err != nil {
			t.Fatalf("webhooks %s: %v %s", cmd, err, out)
		}
		check("webhooks "+cmd, []byte(out), want, false)
	}

	// Inbound webhooks: is_active, with enabled kept beside it.
	st, raw = ts.do("POST", "/api/webhooks", map[string]any{"name": "alias", "agent": "default", "is_active": false})
	if st != 201 {
		t.Fatalf("inbound create with is_active: %d %s", st, raw)
	}
	check("inbound created with is_active false", raw, false, true)
	st, raw = ts.do("PUT", "/api/webhooks/alias", map[string]any{"agent": "default", "enabled": true})
	if st != 200 {
		t.Fatalf("inbound put with enabled: %d %s", st, raw)
	}
	check("inbound put with enabled true", raw, true, true)
	for _, args := range [][]string{{"--active=false"}, {"--enabled"}} {
		out, err := run(append([]string{"inbound", "update", "alias", "-o", "json"}, args...)...)
		if err != nil {
			t.Fatalf("inbound update %v: %v %s", args, err, out)
		}
		check("inbound update "+args[0], []byte(out), args[0] == "--enabled", true)
	}
}

// cli runs a herald command against ts with its admin key and returns what
// it printed.
func (ts *testServer) cli(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"--server", ts.URL(), "--api-key", ts.key}, args...))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// mustCLI runs a herald subcommand against ts, failing the test when it
// fails, and returns its output.
func (ts *testServer) mustCLI(args ...string) string {
	ts.t.Helper()
	out, err := ts.cli(args...)
	if err != nil {
		ts.t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// decodeAs decodes a command's JSON output.
func decodeAs[T any](t *testing.T, out string) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	return &v
}
