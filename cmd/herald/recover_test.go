package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// tsWait bounds each wait for a delivery to end.
const tsWait = 20 * time.Second

// startOperationServer starts a server whose operations queue at most
// maxRows deliveries, in batches of 2 rows, and whose batches signal on the
// returned channel.
func startOperationServer(t *testing.T, maxRows int, db func(*Config)) (*testServer, chan *herald.Operation) {
	batches := make(chan *herald.Operation, 10000)
	ts := startServerWith(t, func(m *Main) {
		m.MaxOperationRows, m.OperationBatch = maxRows, 2
		m.OperationBatched = func(o *herald.Operation) { batches <- o }
	}, db)
	return ts, batches
}

// waitOperation waits, on batch signals, until the operation has finished,
// and returns it as c reads it.
func waitOperation(t *testing.T, c *caller, batches <-chan *herald.Operation, id string) *herald.Operation {
	t.Helper()
	for {
		var o herald.Operation
		c.must(http.StatusOK, "GET", "/v1/operations/"+id, nil, &o)
		if o.Finished() {
			return &o
		}
		recv(t, batches, "a batch of operation "+id)
	}
}

// webhookIDs reads the webhook-id header of n requests at the receiver.
func webhookIDs(t *testing.T, rc *receiver, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		ids = append(ids, recv(t, rc.hits, "a request at the receiver").Header.Get("webhook-id"))
	}
	slices.Sort(ids)
	return ids
}

// TestRecoverAndReplay: deliveries that ended failed while a receiver was
// down are recovered once it is back, with the same webhook-id, in
// batches, as an operation whose progress the API and the CLI show; more
// failed deliveries than the cap is a 400 naming since; a disabled webhook
// is a 409 naming it; an event replays to the webhooks that match it now
// or to the one named; and replay-missing sends a late webhook what it
// missed.
func TestRecoverAndReplay(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts, batches := startOperationServer(t, 3, db)
		admin := ts.as(ts.key)
		var failing atomic.Bool
		failing.Store(true)
		rc := newReceiver(t, func(n int64, w http.ResponseWriter) {
			if failing.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		wh := ts.createWebhook(map[string]any{"url": rc.URL + "/hook", "events": []string{"order.*"}, "max_retries": 0})
		var events []string
		var failed []*herald.Delivery
		for range 4 {
			id, _ := ts.publish("order.created", map[string]any{"n": 1})
			events = append(events, id)
			d := ts.waitDelivery(wh.ID, ts.deliveryOf(id).ID, tsWait)
			if d.Status != herald.DeliveryFailed {
				t.Fatalf("delivery while the receiver is down: %+v", d)
			}
			failed = append(failed, d)
		}
		if first := webhookIDs(t, rc, 4); !slices.Equal(first, sorted(slices.Clone(events)...)) {
			t.Fatalf("webhook-ids %v, want the event ids %v", first, events)
		}

		// Four failed deliveries are more than the cap of 3.
		admin.refused(http.StatusBadRequest, herald.EINVALID, "POST", "/v1/webhooks/"+wh.ID+"/recover", map[string]any{"since": "1h"}, "since", "3")
		admin.refused(http.StatusBadRequest, herald.EINVALID, "POST", "/v1/webhooks/"+wh.ID+"/recover", map[string]any{}, "since")
		admin.refused(http.StatusBadRequest, herald.EINVALID, "POST", "/v1/webhooks/"+wh.ID+"/recover", map[string]any{"since": "yesterday"}, "since")

		// The receiver is back; one delivery is retried by hand.
		failing.Store(false)
		ts.must(http.StatusAccepted, "POST", "/v1/webhooks/"+wh.ID+"/deliveries/"+failed[0].ID+"/retry", nil, nil)
		if d := ts.waitDelivery(wh.ID, failed[0].ID, tsWait); d.Status != herald.DeliverySuccess {
			t.Fatalf("retried by hand: %+v", d)
		}
		webhookIDs(t, rc, 1)

		// A disabled webhook is not recovered.
		ts.must(http.StatusOK, "PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"is_active": false}, nil)
		admin.refused(http.StatusConflict, herald.ECONFLICT, "POST", "/v1/webhooks/"+wh.ID+"/recover", map[string]any{"since": "1h"}, wh.ID, "disabled")
		ts.must(http.StatusOK, "PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"is_active": true}, nil)

		var ans herald.OperationAnswer
		ts.must(http.StatusAccepted, "POST", "/v1/webhooks/"+wh.ID+"/recover", map[string]any{"since": "1h"}, &ans)
		if ans.Recovered == nil || *ans.Recovered != 3 || ans.Operation == nil || ans.Operation.Kind != herald.OperationRecover ||
			ans.Operation.WebhookID != wh.ID {
			t.Fatalf("recover answer: %+v", ans)
		}
		op := waitOperation(t, admin, batches, ans.Operation.ID)
		if op.Status != herald.OperationSucceeded || op.Done != 3 || op.Total == nil || *op.Total != 3 || op.FinishedAt == nil {
			t.Fatalf("recover operation: %+v", op)
		}
		// Recovered deliveries keep their event: the same webhook-id.
		if again, want := webhookIDs(t, rc, 3), sorted(events[1], events[2], events[3]); !slices.Equal(again, want) {
			t.Fatalf("recovered webhook-ids %v, want those of the failed deliveries %v", again, want)
		}
		for _, d := range failed[1:] {
			if got := ts.waitDelivery(wh.ID, d.ID, tsWait); got.Status != herald.DeliverySuccess || got.EventID != d.EventID || got.Attempts != 2 {
				t.Fatalf("recovered delivery: %+v", got)
			}
		}
		out, err := ts.cli("operations", "get", op.ID)
		if err != nil || !strings.Contains(out, "succeeded") || !strings.Contains(out, "3 of 3") {
			t.Fatalf("herald operations get: %v\n%s", err, out)
		}
		// Nothing failed is left: the CLI recovers none and waits.
		if out, err = ts.cli("webhooks", "recover", wh.ID, "--since", "2h", "--wait"); err != nil || !strings.Contains(out, "Recovering 0 deliveries") ||
			!strings.Contains(out, "succeeded") {
			t.Fatalf("herald webhooks recover: %v\n%s", err, out)
		}

		// Replay: to the webhooks that match the event now, a late one
		// included, then to the named one alone.
		rc2 := newReceiver(t, statuses(200))
		late := ts.createWebhook(map[string]any{"url": rc2.URL + "/late", "events": []string{"order.created"}})
		ts.must(http.StatusAccepted, "POST", "/v1/events/"+events[1]+"/replay", nil, &ans)
		if ans.Replayed == nil || *ans.Replayed != 2 || ans.Operation.EventID != events[1] {
			t.Fatalf("replay answer: %+v", ans)
		}
		if op = waitOperation(t, admin, batches, ans.Operation.ID); op.Status != herald.OperationSucceeded || op.Done != 2 {
			t.Fatalf("replay operation: %+v", op)
		}
		if got := webhookIDs(t, rc, 1); got[0] != events[1] {
			t.Fatalf("replay webhook-id %v, want the event's %s", got, events[1])
		}
		if got := webhookIDs(t, rc2, 1); got[0] != events[1] {
			t.Fatalf("replay to the late webhook: webhook-id %v", got)
		}
		out, err = ts.cli("events", "replay", events[2], "--webhook", late.ID, "--wait")
		if err != nil || !strings.Contains(out, "Replaying 1 delivery") || !strings.Contains(out, "succeeded") {
			t.Fatalf("herald events replay --webhook: %v\n%s", err, out)
		}
		if got := webhookIDs(t, rc2, 1); got[0] != events[2] {
			t.Fatalf("named replay webhook-id %v, want %s", got, events[2])
		}
		admin.refused(http.StatusNotFound, herald.ENOTFOUND, "POST", "/v1/events/"+events[2]+"/replay", map[string]any{"webhook_ids": []string{"wh_missing"}}, "wh_missing")

		// Replay-missing: the late webhook got events 1 and 2; 0 and 3
		// are missing, and the new one is sent what it matches.
		ts.must(http.StatusAccepted, "POST", "/v1/webhooks/"+late.ID+"/replay-missing", map[string]any{"since": "1h"}, &ans)
		if ans.Replayed == nil || *ans.Replayed != 2 || ans.Operation.Kind != herald.OperationReplayMissing {
			t.Fatalf("replay-missing answer: %+v", ans)
		}
		if op = waitOperation(t, admin, batches, ans.Operation.ID); op.Status != herald.OperationSucceeded || op.Done != 2 {
			t.Fatalf("replay-missing operation: %+v", op)
		}
		if got, want := webhookIDs(t, rc2, 2), sorted(events[0], events[3]); !slices.Equal(got, want) {
			t.Fatalf("replay-missing webhook-ids %v, want %v", got, want)
		}
		if out, err = ts.cli("webhooks", "replay-missing", late.ID, "--since", "1h", "--wait"); err != nil || !strings.Contains(out, "Replaying 0") {
			t.Fatalf("herald webhooks replay-missing: %v\n%s", err, out)
		}
		var list struct {
			Items []*herald.Operation `json:"items"`
			Total int                 `json:"total"`
		}
		ts.must(http.StatusOK, "GET", "/v1/operations", nil, &list)
		if list.Total != 6 || len(list.Items) != 6 || list.Items[0].Kind != herald.OperationReplayMissing {
			t.Fatalf("operations: %d, newest %+v", list.Total, list.Items[0])
		}
	})
}

// TestRecoverReplayConfined: a tenant cannot recover, replay or resend
// another tenant's webhooks and events, nor read its operations, nor send
// its own event to another tenant's webhook: each is a 404.
func TestRecoverReplayConfined(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts, batches := startOperationServer(t, 100, db)
		a, b := ts.tenantsAB()
		rc := newReceiver(t, statuses(200))
		hookA := a.webhook(rc.URL+"/a", "order.*")
		hookB := b.webhook(rc.URL+"/b", "order.*")
		evA, _ := a.publish(map[string]any{"type": "order.created", "data": map[string]any{}})
		recv(t, rc.hits, "A's delivery")

		b.refused(http.StatusNotFound, herald.ENOTFOUND, "POST", "/v1/webhooks/"+hookA.ID+"/recover", map[string]any{"since": "1h"}, hookA.ID)
		b.refused(http.StatusNotFound, herald.ENOTFOUND, "POST", "/v1/webhooks/"+hookA.ID+"/replay-missing", map[string]any{"since": "1h"}, hookA.ID)
		b.refused(http.StatusNotFound, herald.ENOTFOUND, "POST", "/v1/events/"+evA+"/replay", nil, evA)
		a.refused(http.StatusNotFound, herald.ENOTFOUND, "POST", "/v1/events/"+evA+"/replay", map[string]any{"webhook_ids": []string{hookB.ID}}, hookB.ID)

		var ans herald.OperationAnswer
		a.must(http.StatusAccepted, "POST", "/v1/events/"+evA+"/replay", nil, &ans)
		if ans.Replayed == nil || *ans.Replayed != 1 || ans.Operation.TenantID != tenantA {
			t.Fatalf("A's replay: %+v", ans)
		}
		op := waitOperation(t, a, batches, ans.Operation.ID)
		if op.Status != herald.OperationSucceeded || op.Done != 1 {
			t.Fatalf("A's replay operation: %+v", op)
		}
		if c := recv(t, rc.hits, "A's replay"); c.Header.Get("webhook-id") != evA {
			t.Fatalf("A's replay webhook-id %q", c.Header.Get("webhook-id"))
		}
		b.refused(http.StatusNotFound, herald.ENOTFOUND, "GET", "/v1/operations/"+op.ID, nil, op.ID)
		var list struct {
			Total int `json:"total"`
		}
		b.must(http.StatusOK, "GET", "/v1/operations", nil, &list)
		if list.Total != 0 {
			t.Fatalf("B lists %d operations", list.Total)
		}
		ts.as(ts.key).scoped(tenantB).refused(http.StatusNotFound, herald.ENOTFOUND, "GET", "/v1/operations/"+op.ID, nil)
		ts.as(ts.key).must(http.StatusOK, "GET", "/v1/operations/"+op.ID, nil, nil)

		// The same through the Go SDK.
		ctx := context.Background()
		ca, cb := client.New(ts.URL(), a.key), client.New(ts.URL(), b.key)
		var apiErr *client.Error
		if _, err := cb.Webhooks.Recover(ctx, hookA.ID, herald.WindowInput{Since: "1h"}); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
			t.Fatalf("B recovers A's webhook with the SDK: %v", err)
		}
		if _, err := cb.Operations.Get(ctx, op.ID); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
			t.Fatalf("B reads A's operation with the SDK: %v", err)
		}
		res, err := ca.Events.Replay(ctx, evA, herald.ReplayInput{WebhookIDs: []string{hookA.ID}})
		if err != nil || res.Replayed == nil || *res.Replayed != 1 {
			t.Fatalf("A replays with the SDK: %+v, %v", res, err)
		}
		if done, err := ca.Operations.Wait(ctx, res.Operation.ID, 10*time.Millisecond); err != nil || done.Status != herald.OperationSucceeded || done.Done != 1 {
			t.Fatalf("A waits with the SDK: %+v, %v", done, err)
		}
		if c := recv(t, rc.hits, "A's replay through the SDK"); c.Header.Get("webhook-id") != evA {
			t.Fatalf("SDK replay webhook-id %q", c.Header.Get("webhook-id"))
		}
		rec, err := ca.Webhooks.Recover(ctx, hookA.ID, herald.WindowInput{Since: "1h"})
		if err != nil || rec.Recovered == nil || *rec.Recovered != 0 {
			t.Fatalf("A recovers with the SDK: %+v, %v", rec, err)
		}
		miss, err := ca.Webhooks.ReplayMissing(ctx, hookA.ID, herald.WindowInput{Since: "1h"})
		if err != nil || miss.Replayed == nil || *miss.Replayed != 0 {
			t.Fatalf("A replays missing with the SDK: %+v, %v", miss, err)
		}
		ops, err := ca.Operations.List(ctx, client.ListOptions{})
		if err != nil || ops.Total != 4 || ops.Items[0].ID != miss.Operation.ID {
			t.Fatalf("A lists operations with the SDK: %+v, %v", ops, err)
		}
	})
}

// TestRecoverDeliveriesEndedWhileDisabled: a delivery queued for a webhook
// that was turned off ends failed "webhook disabled"; once the webhook is
// on again, recover sends it, with its event's webhook-id.
func TestRecoverDeliveriesEndedWhileDisabled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts, batches := startOperationServer(t, 100, db)
		rc := newReceiver(t, statuses(500, 200))
		wh := ts.createWebhook(map[string]any{"url": rc.URL + "/hook", "events": []string{"order.*"},
			"max_retries": 3, "retry_schedule": []string{"1h"}})
		evt, _ := ts.publish("order.created", map[string]any{})
		recv(t, rc.hits, "the first attempt")
		d := ts.deliveryOf(evt)
		// Off while its retry waits: sent now, it ends without a request.
		ts.must(http.StatusOK, "PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"is_active": false}, nil)
		ts.must(http.StatusAccepted, "POST", "/v1/webhooks/"+wh.ID+"/deliveries/"+d.ID+"/retry", nil, nil)
		if got := ts.waitDelivery(wh.ID, d.ID, tsWait); got.Status != herald.DeliveryFailed || got.ErrorMessage != herald.DisabledErrorMessage {
			t.Fatalf("delivery of a disabled webhook: %+v", got)
		}
		ts.must(http.StatusOK, "PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"is_active": true}, nil)
		out, err := ts.cli("webhooks", "recover", wh.ID, "--since", "1h", "-o", "json", "--wait")
		if err != nil {
			t.Fatalf("herald webhooks recover: %v\n%s", err, out)
		}
		op := decodeAs[herald.Operation](t, out)
		if op.Status != herald.OperationSucceeded || op.Done != 1 {
			t.Fatalf("recover: %+v", op)
		}
		if c := recv(t, rc.hits, "the recovered delivery"); c.Header.Get("webhook-id") != evt {
			t.Fatalf("recovered webhook-id %q, want %s", c.Header.Get("webhook-id"), evt)
		}
		if got := ts.waitDelivery(wh.ID, d.ID, tsWait); got.Status != herald.DeliverySuccess {
			t.Fatalf("recovered delivery: %+v", got)
		}
		waitOperation(t, ts.as(ts.key), batches, op.ID)
	})
}
