package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/monitor"
)

// monitorConfig runs the heartbeat monitor and the alert evaluator fast.
func monitorConfig(c *Config) {
	c.HeartbeatTimeout = 300 * time.Millisecond
	c.AlertInterval = 100 * time.Millisecond
}

// payload is the body of a delivery, as a receiver gets it.
type payload struct {
	ID    string         `json:"id"`
	Event string         `json:"event"`
	Data  map[string]any `json:"data"`
}

// nextPayload waits for the next request at rc whose event is typ,
// skipping others, and returns its body.
func nextPayload(t *testing.T, rc *receiver, typ string) payload {
	t.Helper()
	for {
		c := recv(t, rc.hits, typ+" at the receiver")
		var p payload
		if err := json.Unmarshal(c.Body, &p); err != nil {
			t.Fatalf("body %s: %v", c.Body, err)
		}
		if p.Event == typ {
			return p
		}
	}
}

// TestHeartbeatMonitor: a running agent that falls silent for longer than
// --heartbeat-timeout is marked unresponsive, and its agent.status event
// reaches the webhooks.
func TestHeartbeatMonitor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, monitorConfig)
		rc := newReceiver(t, statuses(200))
		ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"agent.status"}})
		_, err := ts.Store.ReportAgentStatus(context.Background(), &herald.AgentReport{AgentID: "a1", Status: herald.AgentRunning, NodeID: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		p := nextPayload(t, rc, "agent.status")
		if p.Data["new_status"] != herald.AgentRunning {
			t.Fatalf("first agent.status %v, want running", p.Data)
		}
		p = nextPayload(t, rc, "agent.status")
		if p.Data["agent_id"] != "a1" || p.Data["new_status"] != herald.AgentUnresponsive || p.Data["old_status"] != herald.AgentRunning {
			t.Fatalf("second agent.status %v, want running -> unresponsive", p.Data)
		}
		a, err := ts.Store.Agent(context.Background(), herald.Ref{Tenancy: herald.Platform(), ID: "a1"})
		if err != nil || a.Status != herald.AgentUnresponsive {
			t.Fatalf("agent: %+v %v", a, err)
		}
	})
}

// TestAlertMonitor: a rule on webhook-failures fires alert.triggered once
// to the webhook subscribed to alerts after a delivery fails.
func TestAlertMonitor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ctx := context.Background()
		ts := startServer(t, db, monitorConfig)
		failing := newReceiver(t, statuses(500))
		alerts := newReceiver(t, statuses(200))
		hook := ts.createWebhook(map[string]any{"url": failing.URL, "events": []string{"deployment.*"}, "max_retries": 0})
		ts.createWebhook(map[string]any{"url": alerts.URL, "events": []string{"alert.*"}})
		rule := herald.NewAlertDefaults()
		rule.Name, rule.Metric, rule.Threshold = "deliveries failing", herald.MetricWebhookFailures, 1
		rule.Window, rule.WebhookID = herald.Duration(time.Minute), hook.ID
		if err := ts.Store.CreateAlert(ctx, rule); err != nil {
			t.Fatal(err)
		}

		evID, _ := ts.publish("deployment.failed", map[string]any{"deployment_id": "d1"})
		if d := ts.waitDelivery(hook.ID, ts.deliveryOf(evID).ID, 20*time.Second); d.Status != herald.DeliveryFailed {
			t.Fatalf("delivery %+v, want failed", d)
		}
		p := nextPayload(t, alerts, "alert.triggered")
		if p.Data["alert_id"] != rule.ID || p.Data["name"] != "deliveries failing" || p.Data["value"] != 1.0 ||
			p.Data["threshold"] != 1.0 || p.Data["webhook_id"] != hook.ID || p.Data["window"] != "1m" {
			t.Fatalf("alert.triggered data %v", p.Data)
		}

		// Several rounds later it is still triggered, and fired once.
		got := waitAlert(t, ts, rule.ID, func(r *herald.AlertRule) bool {
			return r.EvaluatedAt != nil && r.TriggeredAt != nil && r.EvaluatedAt.Sub(*r.TriggeredAt) >= 5*ts.Config.AlertInterval
		})
		if got.State != herald.AlertTriggered || got.Value == nil || *got.Value != 1 {
			t.Fatalf("rule %+v", got)
		}
		if _, n, err := ts.Store.ListEvents(ctx, herald.EventFilter{Tenancy: herald.Platform(), Type: "alert.triggered"}); err != nil || n != 1 {
			t.Fatalf("%d alert.triggered events (%v), want 1", n, err)
		}
		select {
		case c := <-alerts.hits:
			t.Fatalf("another alert delivery: %s", c.Body)
		default:
		}
	})
}

// waitAlert reads the rule every 50ms until ok holds of it (30s at most),
// and returns it.
func waitAlert(t *testing.T, ts *testServer, id string, ok func(*herald.AlertRule) bool) *herald.AlertRule {
	t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := ts.Store.Alert(context.Background(), herald.Ref{Tenancy: herald.Platform(), ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if ok(r) {
			return r
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("alert %s not as wanted within 30s: %+v", id, r)
		}
	}
}

func TestMonitorConfig(t *testing.T) {
	cfg, err := loadServeConfig(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HeartbeatTimeout != herald.DefaultHeartbeatTimeout || cfg.AlertInterval != monitor.DefaultAlertInterval {
		t.Fatalf("defaults: heartbeat timeout %s, alert interval %s", cfg.HeartbeatTimeout, cfg.AlertInterval)
	}
	t.Setenv("HERALD_HEARTBEAT_TIMEOUT", "2m")
	t.Setenv("HERALD_ALERT_INTERVAL", "1m")
	if cfg, err = loadServeConfig(t); err != nil || cfg.HeartbeatTimeout != 2*time.Minute || cfg.AlertInterval != time.Minute {
		t.Fatalf("from env: %s %s %v", cfg.HeartbeatTimeout, cfg.AlertInterval, err)
	}
	if cfg, err = loadServeConfig(t, "--heartbeat-timeout", "30s", "--alert-interval", "5s"); err != nil ||
		cfg.HeartbeatTimeout != 30*time.Second || cfg.AlertInterval != 5*time.Second {
		t.Fatalf("from flags: %s %s %v", cfg.HeartbeatTimeout, cfg.AlertInterval, err)
	}
	for flag, args := range map[string][]string{
		"heartbeat-timeout": {"--heartbeat-timeout", "0s"},
		"alert-interval":    {"--alert-interval", "-1s"},
	} {
		if _, err := loadServeConfig(t, args...); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%v: got %v, want an error naming %s", args, err, flag)
		}
	}
}
