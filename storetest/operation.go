package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// operationTests cover recover, replay and replay-missing operations.
var operationTests = map[string]func(t *testing.T, s herald.Store){
	"OperationRecover":       testOperationRecover,
	"OperationReplay":        testOperationReplay,
	"OperationReplayMissing": testOperationReplayMissing,
	"OperationConfined":      testOperationConfined,
}

var opT0 = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

// endDelivery records a final attempt of d at at: failed or successful.
func endDelivery(t *testing.T, s herald.Store, d *herald.Delivery, at time.Time, ok bool) {
	t.Helper()
	status, code := herald.DeliveryFailed, 500
	if ok {
		status, code = herald.DeliverySuccess, 200
	}
	if _, err := s.RecordAttempt(context.Background(), herald.AttemptResult{DeliveryID: d.ID, Status: status,
		Attempt: &herald.Attempt{StartedAt: at, StatusCode: &code, Success: ok}}); err != nil {
		t.Fatalf("record attempt of %s: %v", d.ID, err)
	}
}

// runOperation runs batches of limit rows until the operation finishes,
// checking Done after each, and returns it with how many batches ran.
func runOperation(t *testing.T, s herald.Store, id string, limit int) (*herald.Operation, int) {
	t.Helper()
	for n := 1; n < 100; n++ {
		o, err := s.RunOperationBatch(context.Background(), herald.OperationBatchParams{Ref: anyRef(id), Limit: limit, Now: opT0.Add(time.Hour)})
		if err != nil {
			t.Fatalf("batch %d: %v", n, err)
		}
		if o.Finished() {
			return o, n
		}
		if o.Status != herald.OperationRunning {
			t.Fatalf("batch %d: status %q, want running", n, o.Status)
		}
	}
	t.Fatal("operation never finished")
	return nil, 0
}

func createOperation(t *testing.T, s herald.Store, p herald.CreateOperationParams) *herald.Operation {
	t.Helper()
	p.Job = queue.OperationJob
	if p.Now.IsZero() {
		p.Now = opT0.Add(time.Hour)
	}
	o, err := s.CreateOperation(context.Background(), p)
	if err != nil {
		t.Fatalf("create %s operation: %v", p.Kind, err)
	}
	if o.Status != herald.OperationQueued || o.ID == "" || o.Total == nil {
		t.Fatalf("created %+v", o)
	}
	return o
}

func testOperationRecover(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	var failed []*herald.Delivery
	for i := range 4 {
		res := publish(t, s, herald.PublishParams{Type: "agent.status", Now: opT0})
		d := res.Deliveries[0]
		switch i {
		case 0: // ended before the window
			endDelivery(t, s, d, opT0.Add(-time.Hour), false)
		case 1: // succeeded
			endDelivery(t, s, d, opT0.Add(time.Minute), true)
		default:
			endDelivery(t, s, d, opT0.Add(time.Minute), false)
			failed = append(failed, d)
		}
	}
	publish(t, s, herald.PublishParams{Type: "agent.status", Now: opT0}) // pending
	// The cap is counted first.
	_, err := s.CreateOperation(ctx, herald.CreateOperationParams{TenantID: "", Kind: herald.OperationRecover, WebhookID: w.ID,
		Since: opT0, Until: opT0.Add(time.Hour), Max: 1, Job: queue.OperationJob})
	wantCode(t, "recover over the cap", err, herald.EINVALID)
	_, err = s.CreateOperation(ctx, herald.CreateOperationParams{TenantID: "", Kind: herald.OperationRecover, WebhookID: "wh_missing",
		Since: opT0, Until: opT0.Add(time.Hour), Job: queue.OperationJob})
	wantCode(t, "recover of a missing webhook", err, herald.ENOTFOUND)

	o := createOperation(t, s, herald.CreateOperationParams{Kind: herald.OperationRecover, WebhookID: w.ID,
		Since: opT0, Until: opT0.Add(time.Hour)})
	if *o.Total != 2 || o.WebhookID != w.ID || o.Since == nil || !o.Since.Equal(opT0) {
		t.Fatalf("created %+v, want a total of 2 from %v", o, opT0)
	}
	o, batches := runOperation(t, s, o.ID, 1)
	if o.Status != herald.OperationSucceeded || o.Done != 2 || o.FinishedAt == nil || batches != 3 {
		t.Fatalf("after %d batches: %+v, want succeeded with 2 done in 3 batches", batches, o)
	}
	for _, d := range failed {
		got, err := s.Delivery(ctx, anyRef(d.ID))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != herald.DeliveryPending || got.EventID != d.EventID || got.Attempts != 1 {
			t.Fatalf("recovered delivery %+v, want pending with its event and attempt", got)
		}
	}
	// A finished operation runs no more.
	again, err := s.RunOperationBatch(ctx, herald.OperationBatchParams{Ref: anyRef(o.ID)})
	if err != nil || again.Done != 2 || again.Status != herald.OperationSucceeded {
		t.Fatalf("batch after the end: %+v, %v", again, err)
	}
	// A webhook turned off meanwhile fails the operation.
	for _, d := range failed {
		endDelivery(t, s, d, opT0.Add(2*time.Minute), false)
	}
	o = createOperation(t, s, herald.CreateOperationParams{Kind: herald.OperationRecover, WebhookID: w.ID,
		Since: opT0, Until: opT0.Add(time.Hour)})
	if _, _, err := s.DisableWebhook(ctx, herald.DisableParams{Ref: anyRef(w.ID), Reason: herald.DisabledManual, Now: opT0}); err != nil {
		t.Fatal(err)
	}
	o, _ = runOperation(t, s, o.ID, 10)
	if o.Status != herald.OperationFailed || o.Error == "" || o.Done != 0 {
		t.Fatalf("recover of a disabled webhook: %+v, want failed", o)
	}
}

func testOperationReplay(t *testing.T, s herald.Store) {
	ctx := context.Background()
	if _, err := s.PutTenant(ctx, &herald.Tenant{ID: tenantA}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutTenant(ctx, &herald.Tenant{ID: tenantB}); err != nil {
		t.Fatal(err)
	}
	res := publish(t, s, herald.PublishParams{TenantID: tenantA, Type: "order.created", Now: opT0})
	if len(res.Deliveries) != 0 {
		t.Fatalf("deliveries before any webhook: %d", len(res.Deliveries))
	}
	a := NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.TenantID = tenantA })
	other := NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.TenantID = tenantA })
	fire := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AllTenants = true })
	NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = tenantB })
	NewWebhook(t, s, []string{"*"}) // the platform's own, not a firehose
	off := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID, w.IsActive = tenantA, false })
	_ = off

	o := createOperation(t, s, herald.CreateOperationParams{TenantID: tenantA, Kind: herald.OperationReplay, EventID: res.Event.ID})
	if *o.Total != 2 || o.EventID != res.Event.ID || o.TenantID != tenantA {
		t.Fatalf("created %+v, want a total of 2 (A's matching hook and the firehose)", o)
	}
	if o, _ = runOperation(t, s, o.ID, 500); o.Status != herald.OperationSucceeded || o.Done != 2 {
		t.Fatalf("replay: %+v", o)
	}
	ev, err := s.Event(ctx, herald.Ref{Tenancy: only(tenantA), ID: res.Event.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range ev.Deliveries {
		got[d.WebhookID] = d.Status == herald.DeliveryPending
	}
	if len(ev.Deliveries) != 1 || !got[a.ID] {
		t.Fatalf("A sees deliveries to %s, want its hook's", webhooksOf(ev.Deliveries))
	}
	ev, _ = s.Event(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: res.Event.ID})
	if len(ev.Deliveries) != 2 {
		t.Fatalf("deliveries of the replayed event: %s, want A's hook and the firehose", webhooksOf(ev.Deliveries))
	}
	_ = fire

	// Named webhooks get it regardless of their patterns.
	o = createOperation(t, s, herald.CreateOperationParams{TenantID: tenantA, Kind: herald.OperationReplay, EventID: res.Event.ID,
		WebhookIDs: []string{other.ID, other.ID}})
	if *o.Total != 1 {
		t.Fatalf("named replay total %d, want 1", *o.Total)
	}
	if o, _ = runOperation(t, s, o.ID, 500); o.Status != herald.OperationSucceeded || o.Done != 1 {
		t.Fatalf("named replay: %+v", o)
	}
	ds, _, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: only(tenantA), WebhookID: other.ID})
	if err != nil || len(ds) != 1 || ds[0].EventID != res.Event.ID {
		t.Fatalf("deliveries of the named webhook: %v, %v", ds, err)
	}
	// Another tenant's event is not found.
	_, err = s.CreateOperation(ctx, herald.CreateOperationParams{TenantID: tenantB, Kind: herald.OperationReplay, EventID: res.Event.ID,
		Job: queue.OperationJob})
	wantCode(t, "replay of another tenant's event", err, herald.ENOTFOUND)
}

func testOperationReplayMissing(t *testing.T, s herald.Store) {
	ctx := context.Background()
	early := publish(t, s, herald.PublishParams{Type: "order.created", Now: opT0})
	publish(t, s, herald.PublishParams{Type: "agent.status", Now: opT0})                         // matches no pattern
	before := publish(t, s, herald.PublishParams{Type: "order.paid", Now: opT0.Add(-time.Hour)}) // outside the window
	w := NewWebhook(t, s, []string{"order.*"})
	late := publish(t, s, herald.PublishParams{Type: "order.shipped", Now: opT0.Add(time.Minute)}) // delivered already
	if len(late.Deliveries) != 1 {
		t.Fatalf("late event deliveries: %d", len(late.Deliveries))
	}
	o := createOperation(t, s, herald.CreateOperationParams{Kind: herald.OperationReplayMissing, WebhookID: w.ID,
		Since: opT0.Add(-time.Minute), Until: opT0.Add(time.Hour)})
	if *o.Total != 1 {
		t.Fatalf("created %+v, want a total of 1", o)
	}
	if o, _ = runOperation(t, s, o.ID, 1); o.Status != herald.OperationSucceeded || o.Done != 1 {
		t.Fatalf("replay missing: %+v", o)
	}
	ds, _, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: anyTenant, WebhookID: w.ID})
	if err != nil {
		t.Fatal(err)
	}
	byEvent := map[string]bool{}
	for _, d := range ds {
		byEvent[d.EventID] = true
	}
	if len(ds) != 2 || !byEvent[early.Event.ID] || !byEvent[late.Event.ID] || byEvent[before.Event.ID] {
		t.Fatalf("webhook's deliveries: %v, want the early and the late event's", byEvent)
	}
	// Run again, nothing is missing any more.
	o = createOperation(t, s, herald.CreateOperationParams{Kind: herald.OperationReplayMissing, WebhookID: w.ID,
		Since: opT0.Add(-time.Minute), Until: opT0.Add(time.Hour)})
	if *o.Total != 0 {
		t.Fatalf("second replay missing total %d, want 0", *o.Total)
	}
}

func testOperationConfined(t *testing.T, s herald.Store) {
	ctx := context.Background()
	if _, err := s.PutTenant(ctx, &herald.Tenant{ID: tenantA}); err != nil {
		t.Fatal(err)
	}
	w := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = tenantA })
	// Created for another tenant than the webhook's: not found.
	_, err := s.CreateOperation(ctx, herald.CreateOperationParams{TenantID: "", Kind: herald.OperationRecover, WebhookID: w.ID,
		Since: opT0, Until: opT0.Add(time.Hour), Job: queue.OperationJob})
	wantCode(t, "recover of another tenant's webhook", err, herald.ENOTFOUND)
	o := createOperation(t, s, herald.CreateOperationParams{TenantID: tenantA, Kind: herald.OperationRecover, WebhookID: w.ID,
		Since: opT0, Until: opT0.Add(time.Hour)})
	for _, v := range viewers {
		got, err := s.Operation(ctx, herald.Ref{Tenancy: v, ID: o.ID})
		ops, total, lerr := s.ListOperations(ctx, herald.OperationFilter{Tenancy: v})
		if lerr != nil {
			t.Fatal(lerr)
		}
		if v.Allows(tenantA) {
			if err != nil || got.ID != o.ID || got.TenantID != tenantA || total != 1 || len(ops) != 1 {
				t.Errorf("%s: %+v, %v; list %d", v, got, err, total)
			}
		} else {
			wantCode(t, v.String()+" reads A's operation", err, herald.ENOTFOUND)
			if total != 0 || len(ops) != 0 {
				t.Errorf("%s lists %d operations", v, total)
			}
		}
	}
	_, err = s.RunOperationBatch(ctx, herald.OperationBatchParams{Ref: herald.Ref{Tenancy: only(tenantB), ID: o.ID}})
	wantCode(t, "B runs A's operation", err, herald.ENOTFOUND)
	_, err = s.FailOperation(ctx, herald.FailOperationParams{Ref: herald.Ref{Tenancy: only(tenantB), ID: o.ID}, Error: "no"})
	wantCode(t, "B fails A's operation", err, herald.ENOTFOUND)
	if got, _ := s.Operation(ctx, herald.Ref{Tenancy: only(tenantA), ID: o.ID}); got.Status != herald.OperationQueued {
		t.Fatalf("A's operation after B's calls: %+v", got)
	}
	// Its job gives up: it ends failed, once.
	got, err := s.FailOperation(ctx, herald.FailOperationParams{Ref: herald.Ref{Tenancy: only(tenantA), ID: o.ID}, Error: "gave up", Now: opT0.Add(2 * time.Hour)})
	if err != nil || got.Status != herald.OperationFailed || got.Error != "gave up" || got.FinishedAt == nil || !got.FinishedAt.Equal(opT0.Add(2*time.Hour)) {
		t.Fatalf("failed: %+v, %v", got, err)
	}
	got, err = s.FailOperation(ctx, herald.FailOperationParams{Ref: anyRef(o.ID), Error: "again"})
	if err != nil || got.Error != "gave up" {
		t.Fatalf("failed again: %+v, %v", got, err)
	}
	if got, _ = s.RunOperationBatch(ctx, herald.OperationBatchParams{Ref: anyRef(o.ID)}); got.Status != herald.OperationFailed || got.Done != 0 {
		t.Fatalf("batch of a failed operation: %+v", got)
	}
}
