// Package storetest is the conformance suite every herald.Store must pass.
// Each engine's tests call Run with a function that opens a fresh, empty,
// migrated store whose queue is not working jobs.
package storetest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// Open returns a fresh, empty store for one test.
type Open func(t *testing.T) herald.Store

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Open) {
	tests := map[string]func(t *testing.T, s herald.Store){
		"WebhookCRUD":                 testWebhookCRUD,
		"WebhookList":                 testWebhookList,
		"PublishFanOut":               testPublishFanOut,
		"PublishIdempotent":           testPublishIdempotent,
		"PublishTestWebhook":          testPublishTestWebhook,
		"RecordAttempt":               testRecordAttempt,
		"RetryDelivery":               testRetryDelivery,
		"ListDeliveriesFilters":       testListDeliveriesFilters,
		"DeleteCascades":              testDeleteCascades,
		"APIKeys":                     testAPIKeys,
		"ListEvents":                  testListEvents,
		"Ready":                       testReady,
		"Import":                      testImport,
		"ExportImport":                testExportImport,
		"ExportImportInbound":         testExportImportInbound,
		"ServerKey":                   testServerKey,
		"ListDeliveriesStatusAndTime": testListDeliveriesStatusAndTime,
	}
	for name, fn := range ingestTests {
		tests[name] = fn
	}
	for name, fn := range alertTests {
		tests[name] = fn
	}
	for name, fn := range inboundTests {
		tests[name] = fn
	}
	for name, fn := range badInputTests {
		tests[name] = fn
	}
	for name, fn := range replyTests {
		tests[name] = fn
	}
	for name, fn := range agentEventTests {
		tests[name] = fn
	}
	for name, fn := range eventTypeTests {
		tests[name] = fn
	}
	for name, fn := range tenantTests {
		tests[name] = fn
	}
	for name, fn := range browseTests {
		tests[name] = fn
	}
	for name, fn := range lifecycleTests {
		tests[name] = fn
	}
	for name, fn := range operationTests {
		tests[name] = fn
	}
	for name, fn := range retentionTests {
		tests[name] = fn
	}
	for name, fn := range rateLimitTests {
		tests[name] = fn
	}
	for name, fn := range orderingTests {
		tests[name] = fn
	}
	for name, fn := range taskTests {
		tests[name] = fn
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
	for name, fn := range tenantStoresTests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open)
		})
	}
}

// anyTenant is the Tenancy of the tests that were written before tenants:
// they reach every row, as a platform admin does.
var anyTenant = herald.AnyTenant()

// anyRef names a row by id within anyTenant (for agents, deployments and
// inbound webhooks, the platform's).
func anyRef(id string) herald.Ref { return herald.Ref{Tenancy: anyTenant, ID: id} }

// NewWebhook creates a webhook named "hook" to https://example.com/hook for
// events, with a new secret and the defaults, changed by mutate first.
func NewWebhook(t testing.TB, s herald.WebhookStore, events []string, mutate ...func(*herald.Webhook)) *herald.Webhook {
	t.Helper()
	w := herald.NewWebhookDefaults()
	w.Name, w.URL, w.Events, w.Secret = "hook", "https://example.com/hook", events, herald.GenerateSecret()
	for _, m := range mutate {
		m(w)
	}
	if err := s.CreateWebhook(context.Background(), w); err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	return w
}

func publish(t *testing.T, s herald.Store, p herald.PublishParams) *herald.PublishResult {
	t.Helper()
	if p.Data == nil {
		p.Data = json.RawMessage(`{}`)
	}
	res, err := s.PublishEvent(context.Background(), p)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return res
}

func testWebhookCRUD(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) {
		w.Headers = map[string]string{"X-Team": "ops"}
		w.RetrySchedule = herald.Durations{time.Second, 2 * time.Second}
		w.AgentID = "a1"
	})
	if w.ID == "" || w.CreatedAt.IsZero() {
		t.Fatalf("create did not set ID and CreatedAt: %+v", w)
	}
	got, err := s.Webhook(ctx, anyRef(w.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != w.Secret || got.Headers["X-Team"] != "ops" || len(got.RetrySchedule) != 2 ||
		got.RetrySchedule[1] != 2*time.Second || got.AgentID != "a1" || !got.IsActive || got.Events[0] != "agent.*" {
		t.Fatalf("read back differs: %+v", got)
	}
	got.URL, got.IsActive = "https://example.com/other", false
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Webhook(ctx, anyRef(w.ID))
	if again.URL != "https://example.com/other" || again.IsActive {
		t.Fatalf("update not stored: %+v", again)
	}
	if err := s.DeleteWebhook(ctx, anyRef(w.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Webhook(ctx, anyRef(w.ID)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after delete: %v, want not found", err)
	}
	if err := s.DeleteWebhook(ctx, anyRef(w.ID)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("second delete: %v, want not found", err)
	}
	got.ID = "wh_missing"
	if err := s.UpdateWebhook(ctx, got); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("update of missing: %v, want not found", err)
	}
}

func testWebhookList(t *testing.T, s herald.Store) {
	for i := 0; i < 5; i++ {
		NewWebhook(t, s, []string{"*"})
	}
	page, total, err := s.ListWebhooks(context.Background(), herald.WebhookFilter{Tenancy: anyTenant, Skip: 1, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(page) != 2 {
		t.Fatalf("got %d items of total %d, want 2 of 5", len(page), total)
	}
	all, _, _ := s.ListWebhooks(context.Background(), herald.WebhookFilter{Tenancy: anyTenant})
	if all[1].ID != page[0].ID || all[0].ID < all[4].ID {
		t.Fatalf("list is not newest first or skip is wrong")
	}
}

func testPublishFanOut(t *testing.T, s herald.Store) {
	ctx := context.Background()
	agentHook := NewWebhook(t, s, []string{"agent.*"})
	NewWebhook(t, s, []string{"deployment.*"})
	allHook := NewWebhook(t, s, []string{"*"})
	NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.IsActive = false })
	mineHook := NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.AgentID = "a1" })
	otherHook := NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.AgentID = "a2" })

	before, _ := s.QueueDepth(ctx)
	res := publish(t, s, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{"agent_id":"a1","new_status":"running"}`)})
	if !res.Created || res.Event.ID == "" || res.Event.Type != "agent.status" {
		t.Fatalf("bad result: %+v", res.Event)
	}
	got := map[string]bool{}
	for _, d := range res.Deliveries {
		got[d.WebhookID] = true
		if d.Status != herald.DeliveryPending || d.EventID != res.Event.ID || d.Event != "agent.status" {
			t.Fatalf("bad delivery: %+v", d)
		}
	}
	if len(got) != 3 || !got[agentHook.ID] || !got[allHook.ID] || !got[mineHook.ID] || got[otherHook.ID] {
		t.Fatalf("fan-out went to %v", got)
	}
	after, err := s.QueueDepth(ctx)
	if err != nil || after-before != 3 {
		t.Fatalf("queue depth went from %d to %d (%v), want +3", before, after, err)
	}
	ev, err := s.Event(ctx, anyRef(res.Event.ID))
	if err != nil || len(ev.Deliveries) != 3 || string(ev.Data) != `{"agent_id":"a1","new_status":"running"}` {
		t.Fatalf("event read back: %+v %v", ev, err)
	}
}

func testPublishIdempotent(t *testing.T, s herald.Store) {
	NewWebhook(t, s, []string{"*"})
	first := publish(t, s, herald.PublishParams{ID: "order-42", Type: "agent.started"})
	second := publish(t, s, herald.PublishParams{ID: "order-42", Type: "agent.started"})
	if !first.Created || second.Created {
		t.Fatalf("created flags: %v then %v", first.Created, second.Created)
	}
	if second.Event.ID != "order-42" || len(second.Deliveries) != 1 || second.Deliveries[0].ID != first.Deliveries[0].ID {
		t.Fatalf("second publish did not return the first: %+v", second)
	}
	_, total, _ := s.ListDeliveries(context.Background(), herald.DeliveryFilter{Tenancy: anyTenant, EventID: "order-42"})
	if total != 1 {
		t.Fatalf("%d deliveries, want 1", total)
	}
}

func testPublishTestWebhook(t *testing.T, s herald.Store) {
	target := NewWebhook(t, s, []string{"deployment.failed"}, func(w *herald.Webhook) { w.IsActive = false })
	NewWebhook(t, s, []string{"*"})
	res := publish(t, s, herald.PublishParams{Type: "webhook.test", WebhookID: target.ID})
	if len(res.Deliveries) != 1 || res.Deliveries[0].WebhookID != target.ID {
		t.Fatalf("test event went to %+v", res.Deliveries)
	}
	_, err := s.PublishEvent(context.Background(), herald.PublishParams{Type: "webhook.test", WebhookID: "wh_missing", Data: json.RawMessage(`{}`)})
	if herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("missing target: %v", err)
	}
}

func testRecordAttempt(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	res := publish(t, s, herald.PublishParams{Type: "agent.status"})
	d := res.Deliveries[0]
	task, err := s.DeliveryTask(ctx, anyRef(d.ID))
	if err != nil || task.Webhook.ID != w.ID || task.Webhook.Secret != w.Secret || task.Event.ID != res.Event.ID || task.WebhookName != "hook" {
		t.Fatalf("task: %+v %v", task, err)
	}
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	next := t0.Add(time.Minute)
	code := 500
	got, err := s.RecordAttempt(ctx, herald.AttemptResult{
		DeliveryID: d.ID, Status: herald.DeliveryPending, NextAttemptAt: &next,
		Attempt: &herald.Attempt{StartedAt: t0, DurationMS: 12, StatusCode: &code, Error: "endpoint answered 500",
			ResponseHeaders: http.Header{"X-Req": {"1"}}, ResponseBody: "oops"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != 1 || got.Status != herald.DeliveryPending || got.Success || *got.ResponseStatusCode != 500 ||
		got.ErrorMessage != "endpoint answered 500" || !got.NextAttemptAt.Equal(next) || got.DeliveredAt != nil {
		t.Fatalf("after failure: %+v", got)
	}
	ok := 200
	t1 := t0.Add(time.Minute)
	got, err = s.RecordAttempt(ctx, herald.AttemptResult{
		DeliveryID: d.ID, Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{StartedAt: t1, DurationMS: 5, StatusCode: &ok, Success: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != 2 || !got.Success || got.DeliveredAt == nil || !got.DeliveredAt.Equal(t1) || got.NextAttemptAt != nil {
		t.Fatalf("after success: %+v", got)
	}
	full, err := s.Delivery(ctx, anyRef(d.ID))
	if err != nil || len(full.AttemptList) != 2 {
		t.Fatalf("attempts: %+v %v", full, err)
	}
	a := full.AttemptList[0]
	if a.Number != 1 || a.DurationMS != 12 || *a.StatusCode != 500 || a.ResponseHeaders.Get("X-Req") != "1" || a.ResponseBody != "oops" || a.Success {
		t.Fatalf("first attempt: %+v", a)
	}
	if full.AttemptList[1].Number != 2 || !full.AttemptList[1].Success {
		t.Fatalf("second attempt: %+v", full.AttemptList[1])
	}
	hook, _ := s.Webhook(ctx, anyRef(w.ID))
	if hook.LastTriggeredAt == nil || !hook.LastTriggeredAt.Equal(t1) || !hook.LastSuccessAt.Equal(t1) || !hook.LastFailureAt.Equal(t0) {
		t.Fatalf("webhook timestamps: %v %v %v", hook.LastTriggeredAt, hook.LastSuccessAt, hook.LastFailureAt)
	}
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: "dlv_missing", Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: t1}}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("missing delivery: %v", err)
	}
}

func testRetryDelivery(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	d := publish(t, s, herald.PublishParams{Type: "agent.status"}).Deliveries[0]
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: d.ID, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: time.Now(), Error: "refused"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.QueueDepth(ctx)
	got, err := s.RetryDelivery(ctx, herald.RetryParams{Tenancy: anyTenant, WebhookID: w.ID, DeliveryID: d.ID})
	if err != nil || got.Status != herald.DeliveryPending || got.Attempts != 1 {
		t.Fatalf("retry: %+v %v", got, err)
	}
	after, _ := s.QueueDepth(ctx)
	if after != before+1 {
		t.Fatalf("queue depth %d -> %d, want +1", before, after)
	}
	if _, err := s.RetryDelivery(ctx, herald.RetryParams{Tenancy: anyTenant, WebhookID: "wh_other", DeliveryID: d.ID}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("retry under another webhook: %v", err)
	}
}

func testListDeliveriesFilters(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	var ids []string
	for _, typ := range []string{"agent.status", "agent.status", "deployment.failed"} {
		ids = append(ids, publish(t, s, herald.PublishParams{Type: typ}).Deliveries[0].ID)
	}
	ok := 200
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: ids[0], Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{StartedAt: time.Now(), StatusCode: &ok, Success: true}}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	check := func(f herald.DeliveryFilter, want int) {
		t.Helper()
		f.WebhookID = w.ID
		items, total, err := s.ListDeliveries(ctx, f)
		if err != nil || total != want || len(items) != want {
			t.Fatalf("filter %+v: %d items, total %d, %v; want %d", f, len(items), total, err, want)
		}
	}
	check(herald.DeliveryFilter{Tenancy: anyTenant}, 3)
	check(herald.DeliveryFilter{Tenancy: anyTenant, Event: "agent.status"}, 2)
	check(herald.DeliveryFilter{Tenancy: anyTenant, Success: &yes}, 1)
	check(herald.DeliveryFilter{Tenancy: anyTenant, Success: &no}, 2)
	check(herald.DeliveryFilter{Tenancy: anyTenant, Event: "agent.status", Success: &no}, 1)
}

func testDeleteCascades(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	d := publish(t, s, herald.PublishParams{Type: "agent.status"}).Deliveries[0]
	if err := s.DeleteWebhook(ctx, anyRef(w.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delivery(ctx, anyRef(d.ID)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("delivery after webhook delete: %v", err)
	}
	if _, err := s.DeliveryTask(ctx, anyRef(d.ID)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("task after webhook delete: %v", err)
	}
}

func testAPIKeys(t *testing.T, s herald.Store) {
	ctx := context.Background()
	first := herald.NewAPIKey("admin", herald.ScopeAdmin, time.Now())
	created, err := s.CreateFirstAPIKey(ctx, first)
	if err != nil || !created {
		t.Fatalf("first key: %v %v", created, err)
	}
	created, err = s.CreateFirstAPIKey(ctx, herald.NewAPIKey("admin", herald.ScopeAdmin, time.Now()))
	if err != nil || created {
		t.Fatalf("second first key: %v %v", created, err)
	}
	ingest := herald.NewAPIKey("agent", herald.ScopeIngest, time.Now())
	if err := s.CreateAPIKey(ctx, ingest); err != nil {
		t.Fatal(err)
	}
	got, err := s.APIKeyByHash(ctx, herald.HashAPIKey(ingest.Key))
	if err != nil || got.ID != ingest.ID || got.Scope != herald.ScopeIngest || got.Key != "" {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	keys, _ := s.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: anyTenant})
	if len(keys) != 2 {
		t.Fatalf("%d keys, want 2", len(keys))
	}
	if err := s.RevokeAPIKey(ctx, anyRef(ingest.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyByHash(ctx, herald.HashAPIKey(ingest.Key)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("revoked key still found: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, anyRef("key_missing")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("revoke missing: %v", err)
	}

	// last_used_at: set, moved forward, never back.
	if got, _ := s.APIKeyByHash(ctx, herald.HashAPIKey(first.Key)); got.LastUsedAt != nil {
		t.Fatalf("new key has last_used_at %v", got.LastUsedAt)
	}
	used := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	for _, at := range []time.Time{used.Add(-time.Hour), used, used.Add(-time.Minute)} {
		if err := s.TouchAPIKey(ctx, herald.TouchAPIKeyParams{ID: first.ID, UsedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchAPIKey(ctx, herald.TouchAPIKeyParams{ID: "key_missing", UsedAt: used}); err != nil {
		t.Fatalf("touch missing: %v", err)
	}
	got, err = s.APIKeyByHash(ctx, herald.HashAPIKey(first.Key))
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
		t.Fatalf("last_used_at = %v (%v), want %v", got.LastUsedAt, err, used)
	}
}

func testListEvents(t *testing.T, s herald.Store) {
	for _, typ := range []string{"agent.status", "agent.started", "agent.status"} {
		publish(t, s, herald.PublishParams{Type: typ})
	}
	evs, total, err := s.ListEvents(context.Background(), herald.EventFilter{Tenancy: anyTenant, Type: "agent.status"})
	if err != nil || total != 2 || len(evs) != 2 {
		t.Fatalf("%d events of %d: %v", len(evs), total, err)
	}
	if _, err := s.Event(context.Background(), anyRef("evt_missing")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("missing event: %v", err)
	}
}

func testReady(t *testing.T, s herald.Store) {
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("ready: %v", err)
	}
}

func testImport(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)
	w := herald.NewWebhookDefaults()
	w.ID, w.URL, w.Events, w.Secret, w.CreatedAt, w.UpdatedAt = "wh_imported", "https://example.com", []string{"*"}, "imported-secret", t0, t0
	key := herald.NewAPIKey("old", herald.ScopeIngest, t0)
	ev := &herald.Event{ID: "evt_imported", Type: "agent.status", Data: json.RawMessage(`{"b":1,"a":"<&>"}`), Created: t0}
	code := 500
	d := &herald.ExportedDelivery{WebhookName: "old name", Delivery: herald.Delivery{
		ID: "dlv_imported", WebhookID: w.ID, EventID: ev.ID, Event: ev.Type, Status: herald.DeliveryPending,
		Attempts: 1, ResponseStatusCode: &code, ErrorMessage: "endpoint answered 500", CreatedAt: t0,
		LastAttemptAt: &t0, NextAttemptAt: &t0,
		AttemptList: []*herald.Attempt{{ID: "att_imported", Number: 1, StartedAt: t0, DurationMS: 7, StatusCode: &code,
			Error: "endpoint answered 500", ResponseHeaders: http.Header{"X-A": {"1"}}}},
	}}
	records := []*herald.Record{{Webhook: w}, {APIKey: &herald.ExportedAPIKey{APIKey: *key, Hash: key.Hash}}, {Event: ev}, {Delivery: d}}
	before, _ := s.QueueDepth(ctx)
	for i := 0; i < 2; i++ { // a second import changes nothing
		if _, err := s.Import(ctx, herald.ImportParams{Records: records}); err != nil {
			t.Fatalf("import %d: %v", i+1, err)
		}
	}
	if after, _ := s.QueueDepth(ctx); after != before+1 {
		t.Fatalf("queue depth %d -> %d, want one job for the pending delivery", before, after)
	}
	got, err := s.Webhook(ctx, anyRef(w.ID))
	if err != nil || got.Secret != "imported-secret" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("webhook: %+v %v", got, err)
	}
	if k, err := s.APIKeyByHash(ctx, key.Hash); err != nil || k.ID != key.ID {
		t.Fatalf("key: %+v %v", k, err)
	}
	task, err := s.DeliveryTask(ctx, anyRef(d.ID))
	if err != nil || task.WebhookName != "old name" || string(task.Event.Data) != `{"b":1,"a":"<&>"}` || !task.Event.Created.Equal(t0) {
		t.Fatalf("task: %+v %v", task, err)
	}
	full, err := s.Delivery(ctx, anyRef(d.ID))
	if err != nil || full.Attempts != 1 || len(full.AttemptList) != 1 || full.AttemptList[0].ResponseHeaders.Get("X-A") != "1" {
		t.Fatalf("delivery: %+v %v", full, err)
	}
}
