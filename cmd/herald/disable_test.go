package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/eventschema"
)

// opsEvent is an operational event as the platform's ops webhook gets it.
type opsEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		WebhookID string `json:"webhook_id"`
		Name      string `json:"name"`
		URL       string `json:"url"`
		TenantID  string `json:"tenant_id"`
		Reason    string `json:"reason"`
		LastError string `json:"last_error"`
	} `json:"data"`
}

// nextOps waits for the next operational event at the ops receiver.
func nextOps(t *testing.T, rc *receiver, want string) opsEvent {
	t.Helper()
	c := recv(t, rc.hits, want+" at the ops webhook")
	var ev opsEvent
	if err := json.Unmarshal(c.Body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != want {
		t.Fatalf("ops webhook got %s, want %s: %s", ev.Type, want, c.Body)
	}
	// It matches its built-in schema, with every field of the catalogue.
	var raw struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(c.Body, &raw)
	i := slices.IndexFunc(eventschema.Builtin(), func(et *herald.EventType) bool { return et.Name == want })
	if i < 0 {
		t.Fatalf("%s is not in the built-in catalogue", want)
	}
	var v eventschema.Validator
	if err := v.Validate(eventschema.Builtin()[i], raw.Data); err != nil {
		t.Errorf("%s does not match its schema: %v\n%s", want, err, raw.Data)
	}
	return ev
}

// TestWebhookGoneDisables: a 410 Gone turns the webhook off at once
// (reason gone, no retry), the platform's ops webhook hears of it and of
// its enabling, the endpoint itself never does although it subscribes to
// webhook.*, a delivery queued while it is off ends failed "webhook
// disabled", and enabling it clears the reason and starts a fresh window.
func TestWebhookGoneDisables(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		ops := newReceiver(t, statuses(200))
		ts.createWebhook(map[string]any{"url": ops.URL + "/ops", "events": []string{"webhook.*"}, "name": "ops"})
		gone := newReceiver(t, func(n int64, w http.ResponseWriter) {
			if n == 1 {
				w.WriteHeader(500)
			} else {
				w.WriteHeader(410)
			}
		})
		wh := ts.createWebhook(map[string]any{"url": gone.URL + "/hook", "events": []string{"test.*", "webhook.*"}, "name": "dying",
			"max_retries": 3, "retry_schedule": []string{"1h"}})

		first, _ := ts.publish("test.first", map[string]any{})
		d1 := ts.deliveryOf(first)
		recv(t, gone.hits, "the first request")
		second, _ := ts.publish("test.second", map[string]any{})
		d2 := ts.waitDelivery(wh.ID, ts.deliveryOf(second).ID, 20*time.Second)
		if d2.Status != herald.DeliveryFailed || d2.Attempts != 1 || deref(d2.ResponseStatusCode) != 410 {
			t.Fatalf("the 410 delivery: %+v", d2)
		}
		// The webhook is turned off after the attempt is recorded, and
		// webhook.disabled goes out once it is.
		ev := nextOps(t, ops, herald.EventWebhookDisabled)
		if ev.Data.WebhookID != wh.ID || ev.Data.Reason != herald.DisabledGone || ev.Data.Name != "dying" ||
			ev.Data.URL != gone.URL+"/hook" || !strings.Contains(ev.Data.LastError, "410") {
			t.Fatalf("webhook.disabled: %+v", ev)
		}
		var got herald.Webhook
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID, nil, &got)
		if got.IsActive || got.DisabledReason != herald.DisabledGone || got.DisabledAt == nil {
			t.Fatalf("after 410: %+v", got)
		}

		// The first delivery waits for its retry in an hour; sent now,
		// it ends failed without a request.
		ts.must(http.StatusAccepted, "POST", "/v1/webhooks/"+wh.ID+"/deliveries/"+d1.ID+"/retry", nil, nil)
		done := ts.waitDelivery(wh.ID, d1.ID, 20*time.Second)
		if done.Status != herald.DeliveryFailed || done.ErrorMessage != herald.DisabledErrorMessage {
			t.Fatalf("queued delivery of a disabled webhook: %+v", done)
		}
		if n := gone.n.Load(); n != 2 {
			t.Fatalf("the endpoint got %d requests, want 2", n)
		}

		var h herald.WebhookHealth
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID+"/health", nil, &h)
		if h.IsActive || h.DisabledReason != herald.DisabledGone || h.FailingSince == nil || h.DisableAt != nil ||
			len(h.Windows) != 3 || h.Windows[0].Window != "1h" || h.Windows[0].Succeeded != 0 || h.Windows[0].Failed < 2 ||
			h.Windows[2].Window != "7d" || h.LatencyP50MS == nil || h.LatencyP95MS == nil {
			t.Fatalf("health while off: %+v", h)
		}

		out, err := ts.cli("webhooks", "health", wh.ID)
		if err != nil || !strings.Contains(out, "off (gone)") || !strings.Contains(out, "Success 24h") || !strings.Contains(out, "Latency p95") {
			t.Fatalf("herald webhooks health: %v\n%s", err, out)
		}
		if out, err = ts.cli("webhooks", "get", wh.ID); err != nil || !strings.Contains(out, "gone at ") {
			t.Fatalf("herald webhooks get: %v\n%s", err, out)
		}

		// On again: reason cleared, a fresh window, webhook.enabled to ops
		// alone.
		got = herald.Webhook{}
		ts.must(200, "PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"is_active": true}, &got)
		if !got.IsActive || got.DisabledReason != "" || got.DisabledAt != nil {
			t.Fatalf("enabled: %+v", got)
		}
		ev = nextOps(t, ops, herald.EventWebhookEnabled)
		if ev.Data.WebhookID != wh.ID {
			t.Fatalf("webhook.enabled: %+v", ev)
		}
		var stored herald.Event
		ts.must(200, "GET", "/v1/events/"+ev.ID, nil, &stored)
		if len(stored.Deliveries) != 1 || stored.Deliveries[0].WebhookID == wh.ID {
			t.Fatalf("webhook.enabled went to %+v, want the ops webhook alone", stored.Deliveries)
		}
		h = herald.WebhookHealth{}
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID+"/health", nil, &h)
		if !h.IsActive || h.FailingSince != nil || h.FailedDeliveries != 0 || h.DisableAt != nil {
			t.Fatalf("health after enabling: %+v", h)
		}

		// Turned off by hand: reason manual, and ops hears of it.
		got = herald.Webhook{}
		ts.must(200, "PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"enabled": false}, &got)
		if got.IsActive || got.DisabledReason != herald.DisabledManual || got.DisabledAt == nil {
			t.Fatalf("disabled by hand: %+v", got)
		}
		if ev = nextOps(t, ops, herald.EventWebhookDisabled); ev.Data.Reason != herald.DisabledManual {
			t.Fatalf("manual webhook.disabled: %+v", ev)
		}
	})
}

// TestWebhookFailingDisables steps the clock through a failing streak
// under the default --disable-after of 5 days: the health route shows the
// streak and when it would turn the webhook off, webhook.failing goes out
// once at half the span (to ops, not to the endpoint), and the webhook is
// turned off (reason failing) only once the span has passed with 10
// failed deliveries.
func TestWebhookFailingDisables(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		clock := &steppedClock{}
		ts := startServerClock(t, clock, db)
		c := client.New(ts.URL(), ts.key)
		ops := newReceiver(t, statuses(200))
		ts.createWebhook(map[string]any{"url": ops.URL + "/ops", "events": []string{"webhook.*"}, "name": "ops"})
		bad := newReceiver(t, statuses(500))
		wh := ts.createWebhook(map[string]any{"url": bad.URL + "/hook", "events": []string{"test.*", "webhook.*"}, "max_retries": 0})
		fail := func(n int) {
			t.Helper()
			for range n {
				id, _ := ts.publish("test.fail", map[string]any{})
				if d := ts.waitDelivery(wh.ID, ts.deliveryOf(id).ID, 20*time.Second); d.Status != herald.DeliveryFailed {
					t.Fatalf("delivery: %+v", d)
				}
			}
		}
		start := clock.Now()
		fail(9)
		h, err := c.Webhooks.Health(context.Background(), wh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h.FailingSince == nil || h.FailingSince.Sub(start).Abs() > time.Minute || h.FailedDeliveries != 9 || h.DisableAt == nil ||
			!h.DisableAt.Equal(h.FailingSince.Add(herald.DefaultDisableAfter)) || h.Windows[0].Failed != 9 || *h.Windows[0].SuccessRate != 0 {
			t.Fatalf("health of the streak: %+v", h)
		}

		clock.Step(3 * 24 * time.Hour) // past half of 5 days
		fail(1)
		ev := nextOps(t, ops, herald.EventWebhookFailing)
		if ev.Data.WebhookID != wh.ID || !strings.Contains(ev.Data.LastError, "500") {
			t.Fatalf("webhook.failing: %+v", ev)
		}
		var got herald.Webhook
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID, nil, &got)
		if !got.IsActive {
			t.Fatalf("turned off after 3 days: %+v", got)
		}

		clock.Step(2*24*time.Hour + time.Minute)
		fail(1)
		ev = nextOps(t, ops, herald.EventWebhookDisabled)
		if ev.Data.WebhookID != wh.ID || ev.Data.Reason != herald.DisabledFailing {
			t.Fatalf("webhook.disabled: %+v", ev)
		}
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID, nil, &got)
		if got.IsActive || got.DisabledReason != herald.DisabledFailing {
			t.Fatalf("after 5 days: %+v", got)
		}
		// webhook.failing went out once, and never to the endpoint.
		for _, cpt := range bad.got {
			if typ := cpt.Header.Get("X-Webhook-Event"); typ != "test.fail" {
				t.Fatalf("the failing endpoint got %s", typ)
			}
		}
		select {
		case extra := <-ops.hits:
			t.Fatalf("ops got another event: %s", extra.Body)
		default:
		}
	})
}
