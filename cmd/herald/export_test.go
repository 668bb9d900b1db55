package main

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/pgtest"
)

// TestExportImportRoundTrip moves a SQLite server's data to PostgreSQL with
// "herald export" and "herald import": webhooks keep their secrets, keys
// keep working, history keeps every attempt, and a delivery still pending
// at export is delivered by the new server.
func TestExportImportRoundTrip(t *testing.T) {
	_, pgURL := pgtest.Schema(t)
	ok := newReceiver(t, statuses(200))
	down := newReceiver(t, statuses(503, 200))

	src := startServer(t, func(c *Config) { c.RetrySchedule = "1h" })
	good := src.createWebhook(map[string]any{"url": ok.URL, "events": []string{"agent.*"}, "secret": "secret-for-ok",
		"headers": map[string]string{"X-Team": "ops"}, "retry_schedule": []string{"2s"}})
	later := src.createWebhook(map[string]any{"url": down.URL, "events": []string{"deployment.*"}, "max_retries": 5})
	var ingest herald.APIKey
	src.must(201, "POST", "/v1/keys", map[string]string{"name": "agent", "scope": "ingest"}, &ingest)
	evA, _ := src.publish("agent.status", map[string]any{"agent_id": "a1", "note": "<&> é 🚀", "n": 1.5})
	evB, _ := src.publish("deployment.failed", map[string]any{"deployment_id": "d1"})
	dA := src.waitDelivery(good.ID, src.deliveryOf(evA).ID, 10*time.Second)
	recv(t, down.hits, "first attempt at the failing receiver") // 503; the retry is an hour away
	dB := src.deliveryOf(evB)
	var beforeB herald.Delivery
	for beforeB.Attempts == 0 { // until the failed attempt is recorded
		src.must(200, "GET", "/v1/webhooks/"+later.ID+"/deliveries/"+dB.ID, nil, &beforeB)
		if beforeB.Attempts == 0 {
			recv(t, src.attempts, "recorded attempt")
		}
	}
	if beforeB.Status != "pending" || beforeB.Attempts != 1 {
		t.Fatalf("setup: delivery B is %s after %d attempts", beforeB.Status, beforeB.Attempts)
	}
	var srcEvent herald.Event
	src.must(200, "GET", "/v1/events/"+evA, nil, &srcEvent)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	var dump bytes.Buffer
	root := newRootCmd()
	root.SetOut(&dump)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"export", "--data-dir", src.Config.DataDir})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("export: %v", err)
	}
	// 2 webhooks, 2 keys, 2 events, 2 deliveries.
	if lines := bytes.Count(dump.Bytes(), []byte("\n")); lines != 8 {
		t.Fatalf("export wrote %d lines:\n%s", lines, dump.String())
	}
	root = newRootCmd()
	root.SetIn(bytes.NewReader(dump.Bytes()))
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"import", "--database", pgURL})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("import: %v", err)
	}

	dst := startServer(t, func(c *Config) { c.Database = pgURL; c.RetrySchedule = "1h" })
	dst.key = src.key // the admin key came along; no new one was made
	if dst.AdminKey != "" {
		t.Fatal("the new server made a first key although keys were imported")
	}
	var gotA herald.Delivery
	dst.must(200, "GET", "/v1/webhooks/"+good.ID+"/deliveries/"+dA.ID, nil, &gotA)
	if !reflect.DeepEqual(stripTimes(&gotA), stripTimes(dA)) || !gotA.CreatedAt.Equal(dA.CreatedAt) {
		t.Fatalf("delivery A changed:\n got %+v\nwant %+v", gotA, *dA)
	}
	var hook herald.Webhook
	dst.must(200, "GET", "/v1/webhooks/"+good.ID, nil, &hook)
	if hook.Headers["X-Team"] != "ops" || len(hook.RetrySchedule) != 1 || hook.RetrySchedule[0] != 2*time.Second {
		t.Fatalf("webhook changed: %+v", hook)
	}
	var evGot herald.Event
	dst.must(200, "GET", "/v1/events/"+evA, nil, &evGot)
	if string(evGot.Data) != string(srcEvent.Data) || !evGot.Created.Equal(srcEvent.Created) || !bytes.Contains(evGot.Data, []byte("<&>")) {
		t.Fatalf("event changed: %s at %s, was %s at %s", evGot.Data, evGot.Created, srcEvent.Data, srcEvent.Created)
	}
	// The ingest key still authenticates (its hash moved), with its scope.
	dst.key = ingest.Key
	if status, _ := dst.do("GET", "/v1/webhooks", nil); status != http.StatusForbidden {
		t.Fatalf("imported ingest key: %d, want 403", status)
	}
	dst.key = src.key

	// The pending delivery was queued again on PostgreSQL, and its retry
	// there is signed with the imported secret.
	c := recv(t, down.hits, "request at the receiver")
	if c.Header.Get("webhook-id") != evB {
		t.Fatalf("redelivered %q, want %s", c.Header.Get("webhook-id"), evB)
	}
	gotB := dst.waitDelivery(later.ID, dB.ID, 10*time.Second)
	if !gotB.Success || gotB.Attempts != 2 || len(gotB.AttemptList) != 2 {
		t.Fatalf("delivery B after import: %+v", gotB)
	}
}

// stripTimes returns d without its time fields, which JSON carries with
// their own zones, for comparison.
func stripTimes(d *herald.Delivery) herald.Delivery {
	c := *d
	c.CreatedAt, c.LastAttemptAt, c.NextAttemptAt, c.DeliveredAt = time.Time{}, nil, nil, nil
	c.AttemptList = nil
	for _, a := range d.AttemptList {
		ac := *a
		ac.StartedAt = time.Time{}
		c.AttemptList = append(c.AttemptList, &ac)
	}
	return c
}
