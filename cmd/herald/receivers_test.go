package main

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/receivertest"
)

// trickyData holds what JSON encoders disagree on; the seed handlers that
// re-stringify the parsed body must still verify the signature.
var trickyData = map[string]any{
	"agent_id": "a<1>&b", "text": "café ☕ 🚀 \u2028", "one": 1.0, "big": 1e21, "tenth": 0.1,
	"nested": map[string]any{"2": "two", "1": "one", "z": []any{nil, true, -0.0}},
}

// TestSeedReceiversAcceptDeliveries delivers to seed 000's Express and
// Flask handlers and to a Standard Webhooks library receiver, run for real.
func TestSeedReceiversAcceptDeliveries(t *testing.T) {
	ts := startServer(t)
	secret := herald.GenerateSecret()
	receivers := map[string]*receivertest.Receiver{
		"express":  receivertest.StartExpress(t, secret),
		"flask":    receivertest.StartFlask(t, secret),
		"standard": receivertest.StartStandard(t, secret),
	}
	for name, rc := range receivers {
		ts.createWebhook(map[string]any{
			"url": rc.URL, "events": []string{"agent.*"}, "secret": secret, "name": "seed " + name, "max_retries": 0,
		})
	}
	var ids []string
	for _, data := range []any{
		map[string]any{"agent_id": "a1", "new_status": "running", "old_status": "idle"},
		trickyData,
		map[string]any{"i": 3, "list": []any{1.5, "x"}},
	} {
		id, n := ts.publish("agent.status", data)
		if n != 3 {
			t.Fatalf("event went to %d webhooks, want 3", n)
		}
		ids = append(ids, id)
	}
	// Every delivery must end in success: the receiver verified it.
	for _, id := range ids {
		var ev herald.Event
		ts.must(200, "GET", "/v1/events/"+id, nil, &ev)
		for _, d := range ev.Deliveries {
			d = ts.waitDelivery(d.WebhookID, d.ID, 20*time.Second)
			if !d.Success {
				t.Errorf("webhook %s rejected event %s: %d %s", d.WebhookID, id, deref(d.ResponseStatusCode), d.ErrorMessage)
			}
		}
	}
	if t.Failed() {
		return
	}
	for name, rc := range receivers {
		got := rc.WaitReceived(t, len(ids), 10*time.Second)
		seen := map[string]bool{}
		for _, r := range got {
			seen[r.WebhookID] = true
		}
		for _, id := range ids {
			if !seen[id] {
				t.Errorf("%s did not report event %s as received", name, id)
			}
		}
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// TestSeedReceiversRejectWrongSecret shows the signatures are really
// checked: a webhook signing with another secret is refused by each.
func TestSeedReceiversRejectWrongSecret(t *testing.T) {
	ts := startServer(t)
	secret := herald.GenerateSecret()
	for name, rc := range map[string]*receivertest.Receiver{
		"express":  receivertest.StartExpress(t, secret),
		"flask":    receivertest.StartFlask(t, secret),
		"standard": receivertest.StartStandard(t, secret),
	} {
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}, "secret": herald.GenerateSecret(), "max_retries": 0})
		var res struct {
			Success    bool `json:"success"`
			StatusCode *int `json:"status_code"`
		}
		ts.must(200, "POST", "/v1/webhooks/"+wh.ID+"/test", nil, &res)
		if res.Success || res.StatusCode == nil || *res.StatusCode < 400 {
			t.Errorf("%s accepted a delivery signed with the wrong secret: %+v", name, res)
		}
	}
}
