package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// inboundTests check agents' runtimes, invocations and inbound webhooks.
var inboundTests = map[string]func(t *testing.T, s herald.Store){
	"SaveAgent":               testSaveAgent,
	"InvocationLifecycle":     testInvocationLifecycle,
	"ListInvocations":         testListInvocations,
	"InboundWebhookCRUD":      testInboundWebhookCRUD,
	"InboundRequestLog":       testInboundRequestLog,
	"InboundRequestLogCap":    testInboundRequestLogCap,
	"ClaimRequestID":          testClaimRequestID,
	"InboundSecrets":          testInboundSecrets,
	"ExportImportRuntimes":    testExportImportRuntimes,
	"AgentReportKeepsRuntime": testAgentReportKeepsRuntime,
}

var inboundT0 = time.Date(2025, 7, 1, 9, 0, 0, 654321000, time.UTC)

func echoRuntime() *herald.Runtime {
	return &herald.Runtime{Type: herald.RuntimeEcho, TimeoutSeconds: 60, MaxConcurrency: 4}
}

func saveAgent(t *testing.T, s herald.Store, p herald.SaveAgentParams) *herald.Agent {
	t.Helper()
	a, err := s.SaveAgent(context.Background(), p)
	if err != nil {
		t.Fatalf("save agent %s: %v", p.ID, err)
	}
	return a
}

func testSaveAgent(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := inboundT0
	a := saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Create: true, Now: t0,
		Input: herald.AgentInput{Name: ref("Bot"), Runtime: echoRuntime()}})
	if a.ID != "bot" || a.Name != "Bot" || a.Status != "unknown" || a.Runtime == nil ||
		a.Runtime.Type != herald.RuntimeEcho || !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) {
		t.Fatalf("created: %+v", a)
	}
	got, err := s.Agent(ctx, anyRef("bot"))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "agent read back", got, a)

	if _, err := s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Create: true, Now: t0,
		Input: herald.AgentInput{Name: ref("Other")}}); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("second create: %v, want conflict", err)
	}
	if _, err := s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "missing", Now: t0,
		Input: herald.AgentInput{Name: ref("X")}}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("update of missing: %v, want not found", err)
	}
	if _, err := s.Agent(ctx, anyRef("missing")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("failed update registered the agent: %v", err)
	}

	// An update sets only the fields given.
	t1 := t0.Add(time.Minute)
	a = saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Now: t1, Input: herald.AgentInput{Name: ref("Bot 2")}})
	if a.Name != "Bot 2" || a.Runtime == nil || a.Runtime.Type != herald.RuntimeEcho || !a.UpdatedAt.Equal(t1) ||
		!a.CreatedAt.Equal(t0) {
		t.Fatalf("name update: %+v", a)
	}
	rt := &herald.Runtime{Type: herald.RuntimeHTTP, URL: "https://agent.example.com/invoke",
		Headers: map[string]string{"Authorization": "Bearer x"}, TimeoutSeconds: 30, MaxConcurrency: 2}
	a = saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Now: t1, Input: herald.AgentInput{Runtime: rt}})
	if a.Name != "Bot 2" || a.Runtime == nil || a.Runtime.URL != rt.URL {
		t.Fatalf("runtime update: %+v", a)
	}
	got, err = s.Agent(ctx, anyRef("bot"))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "updated agent read back", got, a)

	// An agent registered by a report can be given a runtime, not created.
	reportStatus(t, s, herald.AgentReport{AgentID: "reported", Status: "running", Now: t0})
	if _, err := s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "reported", Create: true, Now: t1}); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("create of reported agent: %v, want conflict", err)
	}
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "reported", Now: t1, Input: herald.AgentInput{Runtime: echoRuntime()}})

	list, total, err := s.ListAgents(ctx, herald.AgentFilter{Tenancy: anyTenant})
	if err != nil || total != 2 || len(list) != 2 {
		t.Fatalf("list: %d of %d (%v)", len(list), total, err)
	}
	byID := map[string]*herald.Agent{}
	for _, a := range list {
		byID[a.ID] = a
	}
	if b := byID["bot"]; b == nil || b.Name != "Bot 2" || b.Runtime == nil || b.Runtime.Type != herald.RuntimeHTTP ||
		b.Runtime.Headers["Authorization"] != "Bearer x" {
		t.Fatalf("listed bot: %+v", b)
	}
	if r := byID["reported"]; r == nil || r.Status != "running" || r.Runtime == nil || r.Runtime.Type != herald.RuntimeEcho {
		t.Fatalf("listed reported agent: %+v", r)
	}
}

func testAgentReportKeepsRuntime(t *testing.T, s herald.Store) {
	ctx := context.Background()
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Create: true, Now: inboundT0,
		Input: herald.AgentInput{Name: ref("Bot"), Runtime: echoRuntime()}})
	reportStatus(t, s, herald.AgentReport{AgentID: "bot", Status: "running", Now: inboundT0.Add(time.Second)})
	if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "bot", Metrics: map[string]float64{"cpu": 1},
		Now: inboundT0.Add(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	a, err := s.Agent(ctx, anyRef("bot"))
	if err != nil || a.Status != "running" || a.Name != "Bot" || a.Runtime == nil || a.Runtime.Type != herald.RuntimeEcho {
		t.Fatalf("after reports: %+v %v", a, err)
	}
}

func newInvocation(agent, status string, at time.Time) *herald.Invocation {
	return &herald.Invocation{
		ID: herald.NewID(herald.PrefixInvocation, at), Agent: agent, Source: "generic", Mode: herald.ResponseSync,
		Status: status, Message: "hello", Context: json.RawMessage(`{"service":"api"}`), CreatedAt: at,
	}
}

func testInvocationLifecycle(t *testing.T, s herald.Store) {
	ctx := context.Background()
	hook := NewWebhook(t, s, []string{"agent.*"})
	NewWebhook(t, s, []string{"deployment.*"})
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Create: true, Now: inboundT0,
		Input: herald.AgentInput{Runtime: echoRuntime()}})

	t0 := inboundT0.Add(time.Second)
	inv := newInvocation("bot", herald.InvocationQueued, t0)
	inv.Mode, inv.Source = herald.ResponseAsync, "webhook:alerts"
	inv.User, inv.Room = json.RawMessage(`{"id":"u1","name":"Ann"}`), json.RawMessage(`{"id":"r1"}`)
	before, _ := s.QueueDepth(ctx)
	err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv, Queue: true, Events: []herald.EventSpec{
		{Type: "user.message", Data: map[string]any{"agent_id": "bot", "message": "hello"}},
		{Type: "agent.invoked", Data: map[string]any{"agent_id": "bot", "invocation_id": inv.ID}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// One delivery of agent.invoked to hook, and the invocation's own job.
	if after, err := s.QueueDepth(ctx); err != nil || after != before+2 {
		t.Fatalf("queue depth %d -> %d (%v), want +2", before, after, err)
	}
	ds, total, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: anyTenant, WebhookID: hook.ID})
	if err != nil || total != 1 || ds[0].Event != "agent.invoked" {
		t.Fatalf("deliveries: %+v %d %v", ds, total, err)
	}
	evs, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, Type: "agent.invoked"})
	if err != nil || len(evs) != 1 || string(evs[0].Data) != fmt.Sprintf(`{"agent_id":"bot","invocation_id":%q}`, inv.ID) ||
		!evs[0].Created.Equal(t0) {
		t.Fatalf("agent.invoked event: %+v %v", evs, err)
	}
	got, err := s.Invocation(ctx, anyRef(inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "invocation read back", got, inv)
	if string(got.Context) != `{"service":"api"}` || got.StartedAt != nil || got.FinishedAt != nil {
		t.Fatalf("invocation read back: %+v", got)
	}
	if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: newInvocationWithID(inv.ID, t0)}); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("repeated id: %v, want conflict", err)
	}

	t1 := t0.Add(time.Second)
	started, err := s.StartInvocation(ctx, inv.ID, t1)
	if err != nil || started.Status != herald.InvocationRunning || started.StartedAt == nil || !started.StartedAt.Equal(t1) {
		t.Fatalf("start: %+v %v", started, err)
	}
	if _, err := s.StartInvocation(ctx, inv.ID, t1); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("second start: %v, want conflict", err)
	}
	if _, err := s.StartInvocation(ctx, "inv_missing", t1); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("start of missing: %v, want not found", err)
	}

	t2 := t1.Add(1500 * time.Millisecond)
	before, _ = s.QueueDepth(ctx)
	done, err := s.FinishInvocation(ctx, herald.InvocationOutcome{
		ID: inv.ID, Status: herald.InvocationCompleted, DurationMS: 1500, Now: t2,
		Response: &herald.InvocationResponse{Response: "hi back", Actions: []herald.Action{
			{Action: "reply", Content: map[string]any{"text": "hi", "n": 2}},
		}},
		Events: []herald.EventSpec{{Type: "agent.response", Data: map[string]any{"agent_id": "bot", "invocation_id": inv.ID}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != herald.InvocationCompleted || done.Response != "hi back" || len(done.Actions) != 1 ||
		done.DurationMS != 1500 || !done.StartedAt.Equal(t1) || done.FinishedAt == nil || !done.FinishedAt.Equal(t2) {
		t.Fatalf("finish: %+v", done)
	}
	if after, _ := s.QueueDepth(ctx); after != before+1 {
		t.Fatalf("queue depth %d -> %d, want +1 for agent.response", before, after)
	}
	got, err = s.Invocation(ctx, anyRef(inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "finished invocation read back", got, done)
	if _, err := s.FinishInvocation(ctx, herald.InvocationOutcome{ID: inv.ID, Status: herald.InvocationFailed,
		Error: "again", Now: t2}); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("second finish: %v, want conflict", err)
	}
	if _, err := s.FinishInvocation(ctx, herald.InvocationOutcome{ID: "inv_missing", Status: herald.InvocationFailed,
		Now: t2}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("finish of missing: %v, want not found", err)
	}

	// A sync invocation: no job; finished without a start, it started then.
	sync := newInvocation("bot", herald.InvocationQueued, t2)
	before, _ = s.QueueDepth(ctx)
	if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: sync}); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.QueueDepth(ctx); after != before {
		t.Fatalf("sync invocation queued a job: %d -> %d", before, after)
	}
	t3 := t2.Add(time.Second)
	failed, err := s.FinishInvocation(ctx, herald.InvocationOutcome{ID: sync.ID, Status: herald.InvocationTimeout,
		Error: "timed out", DurationMS: 1000, Now: t3})
	if err != nil || failed.Status != herald.InvocationTimeout || failed.Error != "timed out" || failed.Response != "" ||
		failed.StartedAt == nil || !failed.StartedAt.Equal(t3) || !failed.FinishedAt.Equal(t3) {
		t.Fatalf("timeout: %+v %v", failed, err)
	}
	if _, err := s.StartInvocation(ctx, sync.ID, t3); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("start of finished: %v, want conflict", err)
	}
}

func newInvocationWithID(id string, at time.Time) *herald.Invocation {
	inv := newInvocation("bot", herald.InvocationQueued, at)
	inv.ID = id
	return inv
}

func testListInvocations(t *testing.T, s herald.Store) {
	ctx := context.Background()
	var all []*herald.Invocation
	for i := 0; i < 6; i++ {
		agent, status := "a", herald.InvocationQueued
		if i%2 == 1 {
			agent = "b"
		}
		if i%3 == 0 {
			status = herald.InvocationCompleted
		}
		inv := newInvocation(agent, status, inboundT0.Add(time.Duration(i)*time.Second))
		inv.Source = []string{"webhook:alerts", "trigger:alerts", "generic"}[i%3]
		if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv}); err != nil {
			t.Fatal(err)
		}
		all = append(all, inv)
	}
	ids := func(list []*herald.Invocation) []string {
		out := []string{}
		for _, inv := range list {
			out = append(out, inv.ID)
		}
		return out
	}
	check := func(f herald.InvocationFilter, wantTotal int, want ...int) {
		t.Helper()
		got, total, err := s.ListInvocations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var w []*herald.Invocation
		for _, i := range want {
			w = append(w, all[i])
		}
		if total != wantTotal {
			t.Fatalf("%+v: total %d, want %d", f, total, wantTotal)
		}
		sameJSON(t, fmt.Sprintf("list %+v", f), ids(got), ids(w))
	}
	check(herald.InvocationFilter{Tenancy: anyTenant}, 6, 5, 4, 3, 2, 1, 0)
	check(herald.InvocationFilter{Tenancy: anyTenant, Agent: "a"}, 3, 4, 2, 0)
	check(herald.InvocationFilter{Tenancy: anyTenant, Status: herald.InvocationCompleted}, 2, 3, 0)
	check(herald.InvocationFilter{Tenancy: anyTenant, Agent: "b", Status: herald.InvocationQueued}, 2, 5, 1)
	check(herald.InvocationFilter{Tenancy: anyTenant, Skip: 1, Limit: 2}, 6, 4, 3)
	check(herald.InvocationFilter{Tenancy: anyTenant, Skip: 10}, 6)
	check(herald.InvocationFilter{Tenancy: anyTenant, Agent: "nobody"}, 0)
	check(herald.InvocationFilter{Tenancy: anyTenant, Sources: []string{"webhook:alerts", "trigger:alerts"}}, 4, 4, 3, 1, 0)
	check(herald.InvocationFilter{Tenancy: anyTenant, Sources: []string{"generic"}, Skip: 1}, 2, 2)
}

func testInboundWebhookCRUD(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := &herald.InboundWebhook{
		Name: "alerts", Agent: "bot", Secret: "s3cret", Description: "Alertmanager", Enabled: true,
		Provider: "generic", ResponseMode: herald.ResponseAsync,
		Transform: herald.Transform{MessageTemplate: "Alert: {{alert_name}}",
			ContextMapping: map[string]string{"service": "$.labels.service"}},
		Filters:    herald.Filters{Include: []string{"*.critical"}, Exclude: []string{"test.*"}, Condition: "$.count > 3"},
		AllowedIPs: []string{"10.0.0.0/8", "192.0.2.1"},
		RateLimit:  &herald.RateLimit{Requests: 10, Per: herald.Duration(time.Minute)},
		CreatedAt:  inboundT0, UpdatedAt: inboundT0,
	}
	if err := s.CreateInboundWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, err := s.InboundWebhook(ctx, anyRef("alerts"))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "inbound webhook read back", got, w)
	if got.Secret != "s3cret" || got.RateLimit == nil || got.RateLimit.Per != herald.Duration(time.Minute) {
		t.Fatalf("read back: %+v", got)
	}
	dup := *w
	dup.Agent = "other"
	if err := s.CreateInboundWebhook(ctx, &dup); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("duplicate name: %v, want conflict", err)
	}

	// Zero values: no limit, no IPs, empty transform and filters.
	plain := &herald.InboundWebhook{Name: "plain", Agent: "bot", Provider: "generic", ResponseMode: herald.ResponseSync}
	if err := s.CreateInboundWebhook(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if plain.CreatedAt.IsZero() || !plain.UpdatedAt.Equal(plain.CreatedAt) {
		t.Fatalf("create did not set timestamps: %+v", plain)
	}
	got, err = s.InboundWebhook(ctx, anyRef("plain"))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "plain inbound webhook read back", got, plain)
	if got.RateLimit != nil || got.AllowedIPs != nil || got.Enabled || got.LastTriggeredAt != nil {
		t.Fatalf("plain read back: %+v", got)
	}

	list, err := s.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: anyTenant})
	if err != nil || len(list) != 2 || list[0].Name != "alerts" || list[1].Name != "plain" {
		t.Fatalf("list: %+v %v", list, err)
	}

	got, _ = s.InboundWebhook(ctx, anyRef("alerts"))
	got.Enabled, got.RateLimit, got.AllowedIPs, got.Secret = false, nil, nil, "new"
	got.Filters = herald.Filters{}
	got.UpdatedAt = inboundT0.Add(time.Hour)
	if err := s.UpdateInboundWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := s.InboundWebhook(ctx, anyRef("alerts"))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "updated inbound webhook", again, got)
	missing := *got
	missing.Name = "missing"
	if err := s.UpdateInboundWebhook(ctx, &missing); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("update of missing: %v, want not found", err)
	}

	at := inboundT0.Add(2 * time.Hour)
	if err := s.TouchInboundWebhook(ctx, herald.TouchInboundParams{Tenancy: anyTenant, Name: "alerts", At: at}); err != nil {
		t.Fatal(err)
	}
	again, _ = s.InboundWebhook(ctx, anyRef("alerts"))
	if again.LastTriggeredAt == nil || !again.LastTriggeredAt.Equal(at) {
		t.Fatalf("touch: %+v", again.LastTriggeredAt)
	}
	if err := s.TouchInboundWebhook(ctx, herald.TouchInboundParams{Tenancy: anyTenant, Name: "missing", At: at}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("touch of missing: %v, want not found", err)
	}

	// Delete takes the request log with it.
	recordRequest(t, s, &herald.InboundRequest{Webhook: "alerts", At: at, Verdict: herald.VerdictAccepted, Status: 200})
	recordRequest(t, s, &herald.InboundRequest{Webhook: "plain", At: at, Verdict: herald.VerdictAccepted, Status: 200})
	if err := s.DeleteInboundWebhook(ctx, anyRef("alerts")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InboundWebhook(ctx, anyRef("alerts")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after delete: %v, want not found", err)
	}
	if err := s.DeleteInboundWebhook(ctx, anyRef("alerts")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("second delete: %v, want not found", err)
	}
	if reqs, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "alerts"}); err != nil || len(reqs) != 0 {
		t.Fatalf("log after delete: %+v %v", reqs, err)
	}
	if reqs, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "plain"}); err != nil || len(reqs) != 1 {
		t.Fatalf("other webhook's log after delete: %+v %v", reqs, err)
	}
	if err := s.CreateInboundWebhook(ctx, w); err != nil {
		t.Fatalf("create again after delete: %v", err)
	}
}

func recordRequest(t *testing.T, s herald.Store, r *herald.InboundRequest) *herald.InboundRequest {
	t.Helper()
	if err := s.RecordInboundRequest(context.Background(), r); err != nil {
		t.Fatalf("record inbound request: %v", err)
	}
	return r
}

func testInboundRequestLog(t *testing.T, s herald.Store) {
	ctx := context.Background()
	var reqs []*herald.InboundRequest
	for i := 0; i < 5; i++ {
		verdict := herald.VerdictAccepted
		if i%2 == 1 {
			verdict = herald.VerdictFiltered
		}
		reqs = append(reqs, recordRequest(t, s, &herald.InboundRequest{
			Webhook: "alerts", At: inboundT0.Add(time.Duration(i) * time.Minute), SourceIP: "192.0.2.7",
			Headers: map[string]string{"Content-Type": "application/json"}, Body: fmt.Sprintf(`{"n":%d}`, i),
			EventType: "alert.critical", Verdict: verdict, Reason: "", Status: 200, InvocationID: "inv_x",
		}))
	}
	recordRequest(t, s, &herald.InboundRequest{Webhook: "generic", At: inboundT0, Verdict: herald.VerdictRejected,
		Reason: "bad signature", Status: 401})
	for _, r := range reqs {
		if r.ID == "" {
			t.Fatalf("record did not set the ID: %+v", r)
		}
	}

	got, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "alerts"})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "log", got, []*herald.InboundRequest{reqs[4], reqs[3], reqs[2], reqs[1], reqs[0]})
	got, err = s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "alerts", Verdict: herald.VerdictFiltered})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "filtered log", got, []*herald.InboundRequest{reqs[3], reqs[1]})
	got, err = s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "alerts", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "limited log", got, []*herald.InboundRequest{reqs[4], reqs[3]})
	got, err = s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "alerts", Skip: 2, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "second page of the log", got, []*herald.InboundRequest{reqs[2], reqs[1]})
	got, err = s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "generic"})
	if err != nil || len(got) != 1 || got[0].Reason != "bad signature" || got[0].Status != 401 || len(got[0].Headers) != 0 {
		t.Fatalf("generic log: %+v %v", got, err)
	}

	// Prune everything before minute 3: requests 0..2 and the generic one.
	n, err := s.PruneInboundRequests(ctx, herald.PruneInboundParams{Before: inboundT0.Add(3 * time.Minute)})
	if err != nil || n != 4 {
		t.Fatalf("prune: %d %v, want 4", n, err)
	}
	got, err = s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "alerts"})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "log after prune", got, []*herald.InboundRequest{reqs[4], reqs[3]})
}

// testInboundRequestLogCap checks the row cap: the oldest requests go
// first, across webhooks, ties on the time broken by id.
func testInboundRequestLogCap(t *testing.T, s herald.Store) {
	ctx := context.Background()
	var reqs []*herald.InboundRequest
	for i := 0; i < 6; i++ {
		webhook := "alerts"
		if i%2 == 1 {
			webhook = "other"
		}
		// Requests 2 and 3 share a time.
		at := inboundT0.Add(time.Duration(i) * time.Minute)
		if i == 3 {
			at = reqs[2].At
		}
		reqs = append(reqs, recordRequest(t, s, &herald.InboundRequest{Webhook: webhook, At: at,
			Verdict: herald.VerdictRejected, Status: 401}))
	}
	left := func() map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, name := range []string{"alerts", "other"} {
			got, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: name})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range got {
				out[r.ID] = true
			}
		}
		return out
	}
	// No cap and no age: nothing goes.
	if n, err := s.PruneInboundRequests(ctx, herald.PruneInboundParams{}); err != nil || n != 0 {
		t.Fatalf("prune without limits: %d %v", n, err)
	}
	if n, err := s.PruneInboundRequests(ctx, herald.PruneInboundParams{MaxRows: 6}); err != nil || n != 0 {
		t.Fatalf("prune at the cap: %d %v", n, err)
	}
	// The newest 3 stay: of the pair sharing a time, the greater id.
	newer, older := reqs[2], reqs[3]
	if older.ID > newer.ID {
		newer, older = older, newer
	}
	n, err := s.PruneInboundRequests(ctx, herald.PruneInboundParams{MaxRows: 3})
	if err != nil || n != 3 {
		t.Fatalf("prune to 3: %d %v, want 3", n, err)
	}
	got := left()
	if len(got) != 3 || !got[reqs[4].ID] || !got[reqs[5].ID] || !got[newer.ID] || got[older.ID] {
		t.Fatalf("left %v; want %s, %s and %s", got, reqs[4].ID, reqs[5].ID, newer.ID)
	}
	// Age and cap together: the age first, then the cap.
	n, err = s.PruneInboundRequests(ctx, herald.PruneInboundParams{Before: reqs[5].At, MaxRows: 1})
	if err != nil || n != 2 {
		t.Fatalf("prune by age and cap: %d %v, want 2", n, err)
	}
	if got := left(); len(got) != 1 || !got[reqs[5].ID] {
		t.Fatalf("left %v; want %s", got, reqs[5].ID)
	}
}

func testClaimRequestID(t *testing.T, s herald.Store) {
	ctx := context.Background()
	claim := func(scope, id string, now time.Time) bool {
		t.Helper()
		ok, err := s.ClaimRequestID(ctx, herald.ClaimParams{Scope: scope, ID: id, Now: now, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	t0 := inboundT0
	if !claim("alerts", "d1", t0) {
		t.Fatal("first claim failed")
	}
	if claim("alerts", "d1", t0.Add(time.Minute)) {
		t.Fatal("second claim within the TTL succeeded")
	}
	if !claim("other", "d1", t0) || !claim("alerts", "d2", t0) {
		t.Fatal("claims of another scope or id failed")
	}
	if claim("alerts", "d1", t0.Add(time.Hour-time.Microsecond)) {
		t.Fatal("claim just before the TTL succeeded")
	}
	if !claim("alerts", "d1", t0.Add(time.Hour)) {
		t.Fatal("claim after the TTL failed")
	}
	if claim("alerts", "d1", t0.Add(time.Hour+time.Minute)) {
		t.Fatal("claim renewed after the TTL did not hold")
	}
	// Pruning leaves live claims alone.
	if _, err := s.PruneInboundRequests(ctx, herald.PruneInboundParams{Before: t0}); err != nil {
		t.Fatal(err)
	}
}

func testInboundSecrets(t *testing.T, s herald.Store) {
	ctx := context.Background()
	get := func() string {
		t.Helper()
		v, err := s.InboundSecret(ctx, "generic")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(); v != "" {
		t.Fatalf("secret before set: %q", v)
	}
	for _, v := range []string{"first", "second"} {
		if err := s.SetInboundSecret(ctx, "generic", v); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != v {
			t.Fatalf("secret %q, want %q", got, v)
		}
	}
	if err := s.SetInboundSecret(ctx, "generic", ""); err != nil {
		t.Fatal(err)
	}
	if v := get(); v != "" {
		t.Fatalf("secret after removal: %q", v)
	}
	if err := s.SetInboundSecret(ctx, "generic", ""); err != nil {
		t.Fatalf("removing a missing secret: %v", err)
	}
}

// testExportImportRuntimes checks that an imported agent keeps its name and
// runtime.
func testExportImportRuntimes(t *testing.T, s herald.Store) {
	ctx := context.Background()
	a := &herald.Agent{ID: "imported", Name: "Imported", Runtime: echoRuntime(), Status: "unknown",
		LastMetrics: map[string]float64{}, LastSeen: inboundT0, StatusChangedAt: inboundT0,
		CreatedAt: inboundT0, UpdatedAt: inboundT0}
	if _, err := s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{Agent: a}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Agent(ctx, anyRef("imported"))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "imported agent", got, a)
}
