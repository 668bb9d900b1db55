package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/heraldhq/herald"
)

var taskTests = map[string]func(t *testing.T, s herald.Store){
	"DeliveryTasks":   testDeliveryTasks,
	"QueueDeliveries": testQueueDeliveries,
}

// testDeliveryTasks loads the tasks of a fan-out together: the same as
// DeliveryTask's one by one, in the order asked, confined to the tenancy,
// without the missing ones.
func testDeliveryTasks(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for _, id := range []string{tenantA, tenantB} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.TenantID = tenantA })
	NewWebhook(t, s, []string{"order.*"}, func(w *herald.Webhook) { w.TenantID, w.Ordering = tenantA, herald.OrderingFIFO })
	NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AllTenants = true })
	a := publish(t, s, herald.PublishParams{TenantID: tenantA, Type: "order.paid", Data: []byte(`{"n":1}`)})
	NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = tenantB })
	b := publish(t, s, herald.PublishParams{TenantID: tenantB, Type: "order.paid"})
	if len(a.Deliveries) != 3 || len(b.Deliveries) != 2 {
		t.Fatalf("deliveries: %d and %d, want 3 and 2", len(a.Deliveries), len(b.Deliveries))
	}
	var ids []string
	for _, d := range append(b.Deliveries, a.Deliveries...) {
		ids = append(ids, d.ID)
	}
	ids = append(ids, "dlv_missing")
	tasks, err := s.DeliveryTasks(ctx, herald.TasksParams{Tenancy: herald.AnyTenant(), IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 5 {
		t.Fatalf("%d tasks, want 5 (the missing one left out)", len(tasks))
	}
	for i, task := range tasks {
		if task.Delivery.ID != ids[i] {
			t.Fatalf("task %d is %s, want %s: the order asked", i, task.Delivery.ID, ids[i])
		}
		one, err := s.DeliveryTask(ctx, anyRef(ids[i]))
		if err != nil {
			t.Fatal(err)
		}
		if task.Webhook.ID != one.Webhook.ID || task.Webhook.Secret != one.Webhook.Secret || task.Webhook.Ordering != one.Webhook.Ordering ||
			task.Event.ID != one.Event.ID || string(task.Event.Data) != string(one.Event.Data) || task.Event.TenantID != one.Event.TenantID ||
			task.Delivery.Status != one.Delivery.Status || task.Delivery.TenantID != one.Delivery.TenantID ||
			task.Delivery.Event != one.Delivery.Event || task.WebhookName != one.WebhookName ||
			(task.Turn == nil) != (one.Turn == nil) || (task.Turn != nil && *task.Turn != *one.Turn) {
			t.Fatalf("task %d differs from DeliveryTask's:\n%+v %+v %+v\n%+v %+v %+v", i, task.Delivery, task.Webhook, task.Turn,
				one.Delivery, one.Webhook, one.Turn)
		}
	}
	if tasks[2].Event != tasks[3].Event {
		t.Error("the deliveries of one event do not share its event")
	}
	onlyA, err := s.DeliveryTasks(ctx, herald.TasksParams{Tenancy: only(tenantA), IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range onlyA {
		if task.Delivery.TenantID != tenantA {
			t.Fatalf("tenant A's tasks hold one of %q", task.Delivery.TenantID)
		}
	}
	if len(onlyA) != 2 {
		t.Fatalf("tenant A has %d tasks, want its 2 (not the firehose's, the platform's)", len(onlyA))
	}
	if none, err := s.DeliveryTasks(ctx, herald.TasksParams{IDs: ids}); err != nil || len(none) != 0 {
		t.Fatalf("the zero tenancy loaded %d tasks (%v), want none", len(none), err)
	}
}

// testQueueDeliveries hands pending deliveries to jobs of their own, once:
// a second hand-on, while the first jobs wait, queues nothing, and a
// delivery no longer pending gets no job.
func testQueueDeliveries(t *testing.T, s herald.Store) {
	ctx := context.Background()
	NewWebhook(t, s, []string{"order.*"})
	var ids []string
	for range 3 {
		ids = append(ids, publish(t, s, herald.PublishParams{Type: "order.paid"}).Deliveries[0].ID)
	}
	settle := herald.AttemptResult{DeliveryID: ids[2], Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{StartedAt: opT0, Success: true}}
	if _, err := s.RecordAttempt(ctx, settle); err != nil {
		t.Fatal(err)
	}
	before, _ := s.QueueDepth(ctx)
	queue := func() int {
		t.Helper()
		var ds []herald.QueuedDelivery
		for _, id := range slices.Concat(ids, []string{"dlv_missing"}) {
			ds = append(ds, herald.QueuedDelivery{ID: id})
		}
		if err := s.QueueDeliveries(ctx, herald.QueueParams{Deliveries: ds}); err != nil {
			t.Fatal(err)
		}
		n, _ := s.QueueDepth(ctx)
		return n
	}
	if after := queue(); after != before+2 {
		t.Fatalf("queue depth %d -> %d, want +2 (the two pending deliveries)", before, after)
	}
	if again := queue(); again != before+2 {
		t.Fatalf("queue depth after handing on again = %d, want %d: one job per delivery", again, before+2)
	}
}
