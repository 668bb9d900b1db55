package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// TestEventTypesCLI drives herald event-types put, get, list and delete
// against a real server.
func TestEventTypesCLI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		cli := func(stdin string, args ...string) string {
			t.Helper()
			out, errOut, err := runCLITest(t, stdin, append(args, "--server", ts.URL(), "--api-key", ts.key)...)
			if err != nil {
				t.Fatalf("herald %v: %v\n%s", args, err, errOut)
			}
			return out
		}
		out := cli(`{"type":"object","required":["order_id"],"properties":{"order_id":{"type":"string"}}}`,
			"event-types", "put", "order.created", "--description", "An order was placed", "--schema", "-", "--example", `{"order_id":"ord_1"}`)
		if !strings.Contains(out, "Created event type order.created.") || !strings.Contains(out, `Example:      {"order_id":"ord_1"}`) {
			t.Fatalf("put:\n%s", out)
		}
		out = cli("", "event-types", "put", "order.created", "--description", "An order", "--deprecated")
		if !strings.Contains(out, "Event type order.created is at version 2.") {
			t.Fatalf("put again:\n%s", out)
		}
		out = cli("", "event-types", "get", "order.created")
		for _, want := range []string{"Deprecated:   yes", "Schema:       null", "VERSION", "\n1 ", "\n2 "} {
			if !strings.Contains(out, want) {
				t.Errorf("get lacks %q:\n%s", want, out)
			}
		}
		out = cli("", "event-types", "list", "--prefix", "order.")
		if !strings.Contains(out, "order.created") || strings.Contains(out, "agent.status") {
			t.Errorf("list --prefix:\n%s", out)
		}
		if out = cli("", "event-types", "list"); !strings.Contains(out, "agent.status") || !strings.Contains(out, "webhook.failing") {
			t.Errorf("list:\n%s", out)
		}
		if out = cli("", "event-types", "delete", "order.created"); !strings.Contains(out, "Deleted event type order.created.") {
			t.Errorf("delete:\n%s", out)
		}
		if _, _, err := runCLITest(t, "", "event-types", "get", "order.created", "--server", ts.URL(), "--api-key", ts.key); err == nil {
			t.Error("get after delete succeeded")
		}
		_, errOut, err := runCLITest(t, "", "webhooks", "create", "--url", "http://127.0.0.1:9/h", "--events", "agent.*,nothing.here",
			"--server", ts.URL(), "--api-key", ts.key)
		if err != nil || !strings.Contains(errOut, `warning: events: "nothing.here" matches no type`) || strings.Contains(errOut, "agent.*") {
			t.Errorf("webhooks create warnings: %v\n%s", err, errOut)
		}
	})
}

// TestEventTypesSDK: the Go SDK manages the catalogue, a webhook create
// answers warnings, and a test sends the catalogue's example of a type.
func TestEventTypesSDK(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ctx := context.Background()
		ts := startServer(t, db)
		c := client.New(ts.URL(), ts.key)
		et, created, err := c.EventTypes.Put(ctx, "order.created", client.EventTypeInput{Description: "An order",
			Schema: json.RawMessage(`{"type":"object"}`), Example: json.RawMessage(`{"order_id":"ord_1"}`)})
		if err != nil || !created || et.Version != 1 {
			t.Fatalf("put: %+v %v %v", et, created, err)
		}
		if et, created, err = c.EventTypes.Put(ctx, "order.created", client.EventTypeInput{Description: "Changed"}); err != nil || created || et.Version != 2 {
			t.Fatalf("put again: %+v %v %v", et, created, err)
		}
		if et, err = c.EventTypes.Get(ctx, "order.created"); err != nil || len(et.Versions) != 2 {
			t.Fatalf("get: %+v %v", et, err)
		}
		list, err := c.EventTypes.List(ctx, "deployment.")
		if err != nil || list.Total != 6 {
			t.Fatalf("list: %+v %v", list, err)
		}
		if _, _, err := c.EventTypes.Put(ctx, "bad.schema", client.EventTypeInput{Schema: json.RawMessage(`{"type":1}`)}); !client.IsInvalid(err) {
			t.Fatalf("bad schema: %v", err)
		}
		if err := c.EventTypes.Delete(ctx, "order.created"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.EventTypes.Get(ctx, "order.created"); !client.IsNotFound(err) {
			t.Fatalf("get after delete: %v", err)
		}

		rc := newReceiver(t, statuses(200))
		url := rc.URL
		wc, err := c.Webhooks.CreateWithWarnings(ctx, herald.WebhookInput{URL: &url, Events: []string{"deployment.*", "*.nothing", "*"}})
		if err != nil || wc.ID == "" || wc.Secret == "" || len(wc.Warnings) != 1 || !strings.Contains(wc.Warnings[0], `"*.nothing"`) {
			t.Fatalf("create: %+v %v", wc, err)
		}
		res, err := c.Webhooks.TestEvent(ctx, wc.ID, "deployment.failed")
		if err != nil || !res.Success {
			t.Fatalf("test event: %+v %v", res, err)
		}
		p := nextPayload(t, rc, "deployment.failed")
		if p.Data["deployment_id"] != "dep-1" || p.Data["error"] != "image pull failed" {
			t.Fatalf("test event data: %v", p.Data)
		}
		if _, err := c.Webhooks.TestEvent(ctx, wc.ID, "no.such.type"); !client.IsInvalid(err) {
			t.Fatalf("unknown type: %v", err)
		}
		if res, err := c.Webhooks.Test(ctx, wc.ID); err != nil || !res.Success {
			t.Fatalf("plain test: %+v %v", res, err)
		}
		nextPayload(t, rc, "webhook.test")
	})
}
