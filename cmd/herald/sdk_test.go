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

// TestSDKAgainstServer drives the Go SDK against a real server.
func TestSDKAgainstServer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(500, 200))
		c := client.New(ts.URL(), ts.key)
		ctx := context.Background()

		wh, err := c.Webhooks.Create(ctx, herald.WebhookInput{URL: client.Ptr(rc.URL), Events: []string{"agent.*"}, Name: client.Ptr("sdk")})
		if err != nil || wh.Secret == "" {
			t.Fatalf("create: %+v %v", wh, err)
		}
		_, err = c.Webhooks.Create(ctx, herald.WebhookInput{URL: client.Ptr("ftp://x"), Events: []string{"*"}})
		if !client.IsInvalid(err) || !strings.Contains(err.Error(), "url") {
			t.Fatalf("invalid create: %v", err)
		}
		sent, err := c.Events.Send(ctx, client.EventInput{ID: "sdk-1", Type: "agent.started", Data: map[string]any{"agent_id": "a1", "node_id": "n1"}})
		if err != nil || sent.Deliveries != 1 || sent.Duplicate {
			t.Fatalf("send: %+v %v", sent, err)
		}
		again, err := c.Events.Send(ctx, client.EventInput{ID: "sdk-1", Type: "agent.started", Data: map[string]any{}})
		if err != nil || !again.Duplicate {
			t.Fatalf("repeat send: %+v %v", again, err)
		}
		ev, err := c.Events.Get(ctx, "sdk-1")
		if err != nil || len(ev.Deliveries) != 1 {
			t.Fatalf("get event: %+v %v", ev, err)
		}
		ts.waitDelivery(wh.ID, ev.Deliveries[0].ID, 10*time.Second)
		ok := true
		list, err := c.Webhooks.Deliveries(ctx, wh.ID, client.DeliveryFilter{Event: "agent.started", Success: &ok})
		if err != nil || list.Total != 1 || list.Items[0].Attempts != 2 {
			t.Fatalf("deliveries: %+v %v", list, err)
		}
		d, err := c.Webhooks.Delivery(ctx, wh.ID, list.Items[0].ID)
		if err != nil || len(d.AttemptList) != 2 || *d.AttemptList[0].StatusCode != 500 {
			t.Fatalf("delivery: %+v %v", d, err)
		}
		updated, err := c.Webhooks.Update(ctx, wh.ID, herald.WebhookInput{IsActive: client.Ptr(false)})
		if err != nil || updated.IsActive || updated.Name != "sdk" {
			t.Fatalf("update: %+v %v", updated, err)
		}
		if err := c.Webhooks.Delete(ctx, wh.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Webhooks.Get(ctx, wh.ID); !client.IsNotFound(err) {
			t.Fatalf("get deleted: %v", err)
		}
		if _, err := client.New(ts.URL(), "hk_bad").Webhooks.List(ctx, client.ListOptions{}); !client.IsUnauthorized(err) {
			t.Fatalf("bad key: %v", err)
		}
	})
}

// TestCLIAgainstServer runs the herald CLI commands against a real server.
func TestCLIAgainstServer(t *testing.T) {
	ts := startServer(t)
	rc := newReceiver(t, statuses(200))
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := newRootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--server", ts.URL(), "--data-dir", ts.Config.DataDir}, args...))
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	var wh herald.Webhook
	if err := json.Unmarshal([]byte(run("webhooks", "create", "--url", rc.URL, "--events", "agent.*,deployment.*", "--name", "cli", "-o", "json")), &wh); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(run("webhooks", "list"), wh.ID) {
		t.Fatal("webhooks list does not show the new webhook")
	}
	run("events", "send", "deployment.failed", "--data", `{"deployment_id":"d1","error":"boom"}`)
	<-rc.hits
	var d struct {
		Items []herald.Delivery `json:"items"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := json.Unmarshal([]byte(run("webhooks", "logs", wh.ID, "-o", "json")), &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Items) == 1 && d.Items[0].Success {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery not shown as successful: %+v", d)
		}
		recv(t, ts.attempts, "attempt")
	}
	if out := run("webhooks", "deliveries", wh.ID, "--failed"); strings.Contains(out, d.Items[0].ID) {
		t.Fatalf("--failed lists a successful delivery:\n%s", out)
	}
	if out := run("keys", "list"); !strings.Contains(out, "admin") {
		t.Fatalf("keys list:\n%s", out)
	}
}

// TestPrivateTargetsRefusedByDefault shows the dial-time address check: a
// webhook pointing at loopback fails without --allow-private-targets.
func TestPrivateTargetsRefusedByDefault(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AllowPrivateTargets = false })
	rc := newReceiver(t, statuses(200))
	wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}, "max_retries": 0})
	evID, _ := ts.publish("agent.status", map[string]any{})
	d := ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 10*time.Second)
	if d.Status != "failed" || !strings.Contains(d.ErrorMessage, "not allowed") || rc.n.Load() != 0 {
		t.Fatalf("loopback delivery: %+v, receiver hits %d", d, rc.n.Load())
	}
}

// TestSDKStatsAgainstServer reads delivery stats and the database's size
// with the Go SDK.
func TestSDKStatsAgainstServer(t *testing.T) {
	ts := startServer(t)
	rc := newReceiver(t, statuses(500))
	c := client.New(ts.URL(), ts.key)
	ctx := context.Background()
	wh, err := c.Webhooks.Create(ctx, herald.WebhookInput{URL: client.Ptr(rc.URL), Events: []string{"agent.*"}, MaxRetries: client.Ptr(0)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Webhooks.Test(ctx, wh.ID)
	if err != nil || res.Success {
		t.Fatalf("test: %+v %v", res, err)
	}
	st, err := c.Webhooks.DeliveryStats(ctx, client.DeliveryStatsOptions{WebhookID: wh.ID, Window: "1h"})
	if err != nil || st.Window != "1h" || st.WebhookID != wh.ID || st.BucketSeconds != 60 || len(st.Buckets) != 60 {
		t.Fatalf("delivery stats: %+v %v", st, err)
	}
	failed := 0
	for _, b := range st.Buckets {
		failed += b.Failed
	}
	if failed != 1 {
		t.Fatalf("failed deliveries in the stats: %d, want 1", failed)
	}
	if st, err := c.Webhooks.DeliveryStats(ctx, client.DeliveryStatsOptions{}); err != nil || st.Window != "24h" {
		t.Fatalf("default window: %+v %v", st, err)
	}
	if _, err := c.Webhooks.DeliveryStats(ctx, client.DeliveryStatsOptions{Window: "2h"}); !client.IsInvalid(err) {
		t.Fatalf("bad window: %v", err)
	}
	if _, err := c.Webhooks.DeliveryStats(ctx, client.DeliveryStatsOptions{WebhookID: "wh_missing"}); !client.IsNotFound(err) {
		t.Fatalf("missing webhook: %v", err)
	}
	size, err := c.Stats(ctx)
	if err != nil || (size.Engine != "sqlite" && size.Engine != "postgres") || len(size.Tables) == 0 || size.TotalBytes <= 0 {
		t.Fatalf("stats: %+v %v", size, err)
	}
}
