package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/runtime"
	"github.com/heraldhq/herald/sqlite"
)

// newService opens a SQLite store (insert-only queue) and a Service on it
// that may reach loopback runtimes. It skips the test while the store does
// not implement invocations yet.
func newService(t *testing.T) (*Service, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.InboundSecret(context.Background(), "generic"); herald.ErrorCode(err) == herald.EUNSUPPORTED {
		t.Skip("the store does not implement invocations yet")
	}
	s := &Service{
		Store:   db,
		Runtime: &runtime.Invoker{AllowPrivate: true},
		Limiter: &runtime.Limiter{},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return s, db
}

// saveAgent registers a platform agent with runtime rt (nil for none).
func saveAgent(t *testing.T, db herald.Store, id string, rt *herald.Runtime) {
	t.Helper()
	saveTenantAgent(t, db, "", id, rt)
}

// saveTenantAgent registers an agent of tenant with runtime rt (nil for
// none).
func saveTenantAgent(t *testing.T, db herald.Store, tenant, id string, rt *herald.Runtime) {
	t.Helper()
	if rt != nil {
		rt.Normalize()
	}
	name := "Agent " + id
	if _, err := db.SaveAgent(context.Background(), herald.SaveAgentParams{
		Tenancy: herald.OnlyTenant(tenant), ID: id, Create: true, Now: time.Now(), Input: herald.AgentInput{Name: &name, Runtime: rt},
	}); err != nil {
		t.Fatalf("save agent %s: %v", id, err)
	}
}

// events returns the published events, oldest first, with decoded data.
func events(t *testing.T, db herald.Store) []map[string]any {
	t.Helper()
	evs, _, err := db.ListEvents(context.Background(), herald.EventFilter{Tenancy: herald.AnyTenant(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for i := len(evs) - 1; i >= 0; i-- {
		var data map[string]any
		if err := json.Unmarshal(evs[i].Data, &data); err != nil {
			t.Fatalf("event %s data %s: %v", evs[i].Type, evs[i].Data, err)
		}
		out = append(out, map[string]any{"type": evs[i].Type, "data": data})
	}
	return out
}

// types lists the types of evs.
func types(evs []map[string]any) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e["type"].(string))
	}
	return out
}

// runtimeServer serves an http runtime with h and counts its calls.
func runtimeServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestSyncEcho(t *testing.T) {
	s, db := newService(t)
	saveAgent(t, db, "default", &herald.Runtime{Type: herald.RuntimeEcho})
	inv, err := s.Invoke(context.Background(), herald.InvokeParams{
		Agent: "default", Message: "Process this data", Context: map[string]any{"event_id": "12345"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != herald.InvocationCompleted || inv.Response != "Process this data" || inv.Source != "generic" || inv.Mode != herald.ResponseSync {
		t.Fatalf("invocation: %+v", inv)
	}
	evs := events(t, db)
	if got, want := types(evs), []string{"user.message", "agent.invoked", "agent.completed", "agent.message"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	agent := map[string]any{"id": "default", "name": "Agent default"}
	want := []map[string]any{
		{"agent_id": "default", "agent": agent, "user": nil, "room": nil, "content": "Process this data"},
		{"agent_id": "default", "agent": "default", "request_id": inv.ID},
		nil, // agent.completed: checked below (duration varies)
		{"agent_id": "default", "agent": agent, "room": nil, "content": "Process this data"},
	}
	for i, w := range want {
		if w != nil && !reflect.DeepEqual(evs[i]["data"], w) {
			t.Errorf("%s data %v, want %v", evs[i]["type"], evs[i]["data"], w)
		}
	}
	done := evs[2]["data"].(map[string]any)
	if len(done) != 5 || done["agent_id"] != "default" || done["agent"] != "default" || done["request_id"] != inv.ID ||
		!reflect.DeepEqual(done["response"], map[string]any{"message": "Process this data"}) {
		t.Errorf("agent.completed data %v", done)
	}
	if _, ok := done["duration"].(float64); !ok {
		t.Errorf("agent.completed duration %v is not a number", done["duration"])
	}
}

func TestSyncHTTPActionsUserRoom(t *testing.T) {
	s, db := newService(t)
	var got herald.InvocationRequest
	srv, _ := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"response": "done", "actions": [{"action": "WARP_EXECUTE", "content": "{\"identifier\":\"a1\"}"}, {"action": "notify", "content": {"n": 1}}]}`)
	})
	saveAgent(t, db, "bot", &herald.Runtime{Type: herald.RuntimeHTTP, URL: srv.URL})
	inv, err := s.Invoke(context.Background(), herald.InvokeParams{
		Agent: "bot", Message: "hi", Source: "webhook:gh",
		User: map[string]any{"id": "u1", "name": "John Doe"}, Room: map[string]any{"id": "r1", "name": "Room"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != herald.InvocationCompleted || inv.Response != "done" || len(inv.Actions) != 2 {
		t.Fatalf("invocation: %+v", inv)
	}
	if got.InvocationID != inv.ID || got.Agent != "bot" || got.Message != "hi" || got.Source != "webhook:gh" {
		t.Errorf("runtime got %+v", got)
	}
	evs := events(t, db)
	if tt, want := types(evs), []string{"user.message", "agent.invoked", "agent.completed", "agent.message", "agent.action", "agent.action"}; !reflect.DeepEqual(tt, want) {
		t.Fatalf("events %v, want %v", tt, want)
	}
	agent := map[string]any{"id": "bot", "name": "Agent bot"}
	for i, w := range map[int]map[string]any{
		0: {"agent_id": "bot", "agent": agent, "user": map[string]any{"id": "u1", "name": "John Doe"}, "room": map[string]any{"id": "r1", "name": "Room"}, "content": "hi"},
		3: {"agent_id": "bot", "agent": agent, "room": "r1", "content": "done"},
		4: {"agent_id": "bot", "agent": agent, "room": "r1", "action": "WARP_EXECUTE", "content": `{"identifier":"a1"}`},
		5: {"agent_id": "bot", "agent": agent, "room": "r1", "action": "notify", "content": map[string]any{"n": float64(1)}},
	} {
		if !reflect.DeepEqual(evs[i]["data"], w) {
			t.Errorf("%s data %v, want %v", evs[i]["type"], evs[i]["data"], w)
		}
	}
}

func TestSyncFailureAndTimeout(t *testing.T) {
	s, db := newService(t)
	fail, _ := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "model overloaded", http.StatusInternalServerError)
	})
	slow, _ := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	saveAgent(t, db, "broken", &herald.Runtime{Type: herald.RuntimeHTTP, URL: fail.URL})
	saveAgent(t, db, "slow", &herald.Runtime{Type: herald.RuntimeHTTP, URL: slow.URL, TimeoutSeconds: 1})

	inv, err := s.Invoke(context.Background(), herald.InvokeParams{Agent: "broken", Message: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != herald.InvocationFailed || inv.Error == "" {
		t.Fatalf("invocation: %+v", inv)
	}
	evs := events(t, db)
	last := evs[len(evs)-1]
	if w := map[string]any{"agent_id": "broken", "agent": "broken", "request_id": inv.ID, "error": inv.Error}; last["type"] != "agent.failed" || !reflect.DeepEqual(last["data"], w) {
		t.Errorf("last event %v, want agent.failed %v", last, w)
	}

	start := time.Now()
	inv, err = s.Invoke(context.Background(), herald.InvokeParams{Agent: "slow", Message: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != herald.InvocationTimeout || time.Since(start) > 4*time.Second {
		t.Fatalf("invocation after %s: %+v", time.Since(start), inv)
	}
	evs = events(t, db)
	last = evs[len(evs)-1]
	if w := map[string]any{"agent_id": "slow", "agent": "slow", "request_id": inv.ID, "timeout": float64(1)}; last["type"] != "agent.timeout" || !reflect.DeepEqual(last["data"], w) {
		t.Errorf("last event %v, want agent.timeout %v", last, w)
	}
}

func TestInvokeErrors(t *testing.T) {
	s, db := newService(t)
	saveAgent(t, db, "mute", nil)
	saveAgent(t, db, "busy", &herald.Runtime{Type: herald.RuntimeEcho, TimeoutSeconds: 1, MaxConcurrency: 1})
	ctx := context.Background()
	for _, tc := range []struct {
		p    herald.InvokeParams
		code string
	}{
		{herald.InvokeParams{Agent: "nobody", Message: "x"}, herald.ENOTFOUND},
		{herald.InvokeParams{Agent: "mute", Message: "x"}, herald.EINVALID},
		{herald.InvokeParams{Agent: "busy", Message: "x", Mode: "later"}, herald.EINVALID},
	} {
		if _, err := s.Invoke(ctx, tc.p); herald.ErrorCode(err) != tc.code {
			t.Errorf("%+v: error %v, want %s", tc.p, err, tc.code)
		}
	}
	// A sync call waits up to the timeout for a slot, then gives up.
	release, err := s.Limiter.Acquire(ctx, "busy", 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Invoke(ctx, herald.InvokeParams{Agent: "busy", Message: "x"}); herald.ErrorCode(err) != herald.EUNAVAILABLE {
		t.Errorf("busy agent: error %v, want %s", err, herald.EUNAVAILABLE)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("gave up after %s, want about 1s", d)
	}
	release()
	if _, n, _ := db.ListInvocations(ctx, herald.InvocationFilter{Tenancy: herald.AnyTenant()}); n != 0 {
		t.Errorf("%d invocations recorded for refused calls, want 0", n)
	}
}

func TestSyncOutlivesCaller(t *testing.T) {
	s, db := newService(t)
	srv, _ := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "late")
	})
	saveAgent(t, db, "bot", &herald.Runtime{Type: herald.RuntimeHTTP, URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	inv, err := s.Invoke(ctx, herald.InvokeParams{Agent: "bot", Message: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != herald.InvocationCompleted || inv.Response != "late" {
		t.Fatalf("invocation: %+v", inv)
	}
}

func TestAsyncRunsOnce(t *testing.T) {
	s, db := newService(t)
	srv, calls := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	saveAgent(t, db, "bot", &herald.Runtime{Type: herald.RuntimeHTTP, URL: srv.URL, MaxConcurrency: 1})
	ctx := context.Background()
	inv, err := s.Invoke(ctx, herald.InvokeParams{Agent: "bot", Message: "x", Mode: herald.ResponseAsync})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != herald.InvocationQueued || calls.Load() != 0 {
		t.Fatalf("async invocation: %+v (runtime called %d times)", inv, calls.Load())
	}
	if tt := types(events(t, db)); !reflect.DeepEqual(tt, []string{"user.message", "agent.invoked"}) {
		t.Fatalf("events %v", tt)
	}

	// At the cap, the job snoozes and the invocation stays queued.
	release, _ := s.Limiter.Acquire(ctx, "bot", 1)
	err = s.RunQueued(ctx, inv.ID, time.Second)
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		t.Fatalf("RunQueued at the cap: %v, want a snooze", err)
	}
	release()

	for range 2 {
		if err := s.RunQueued(ctx, inv.ID, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("runtime called %d times, want 1", calls.Load())
	}
	got, err := db.Invocation(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: inv.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != herald.InvocationCompleted || got.Response != "ok" || got.StartedAt == nil || got.FinishedAt == nil {
		t.Fatalf("invocation: %+v", got)
	}
}

// TestRescuedRunningInvocation runs the job of an invocation a crashed node
// left running: it waits while the run could still be going, then fails the
// invocation as interrupted, without running it again.
func TestRescuedRunningInvocation(t *testing.T) {
	s, db := newService(t)
	srv, calls := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	saveAgent(t, db, "bot", &herald.Runtime{Type: herald.RuntimeHTTP, URL: srv.URL, TimeoutSeconds: 60})
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		startedAgo time.Duration
		interrupt  bool
	}{
		{"still within its timeout", 10 * time.Second, false},
		{"past its timeout", 60*time.Second + interruptedGrace + time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := s.Invoke(ctx, herald.InvokeParams{Agent: "bot", Message: "x", Mode: herald.ResponseAsync})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.StartInvocation(ctx, inv.ID, time.Now().Add(-tc.startedAgo)); err != nil {
				t.Fatal(err)
			}
			err = s.RunQueued(ctx, inv.ID, time.Second)
			got, gerr := db.Invocation(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: inv.ID})
			if gerr != nil {
				t.Fatal(gerr)
			}
			var snooze *river.JobSnoozeError
			switch {
			case !tc.interrupt && (!errors.As(err, &snooze) || got.Status != herald.InvocationRunning):
				t.Fatalf("within its timeout: %v, status %s; want a snooze and running", err, got.Status)
			case tc.interrupt && (err != nil || got.Status != herald.InvocationFailed || got.Error == ""):
				t.Fatalf("past its timeout: %v, %+v; want failed as interrupted", err, got)
			}
		})
	}
	if calls.Load() != 0 {
		t.Fatalf("runtime called %d times, want 0", calls.Load())
	}
}

// TestSweepInterruptedSyncInvocations fails the sync invocations a dead node
// left running once their runs cannot still be going, and leaves the
// others alone.
func TestSweepInterruptedSyncInvocations(t *testing.T) {
	s, db := newService(t)
	saveAgent(t, db, "bot", &herald.Runtime{Type: herald.RuntimeEcho, TimeoutSeconds: 60})
	ctx := context.Background()
	start := func(id string, ago time.Duration) {
		t.Helper()
		inv := &herald.Invocation{ID: id, Agent: "bot", Source: "generic", Mode: herald.ResponseSync,
			Status: herald.InvocationQueued, Message: "x", Context: json.RawMessage(`{}`), CreatedAt: time.Now().Add(-ago)}
		if err := db.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.StartInvocation(ctx, id, time.Now().Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	start("inv_stale", 2*time.Hour)
	start("inv_live", 5*time.Second)
	n, err := s.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1", n, err)
	}
	for id, want := range map[string]string{"inv_stale": herald.InvocationFailed, "inv_live": herald.InvocationRunning} {
		got, err := db.Invocation(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != want {
			t.Errorf("%s: %s, want %s", id, got.Status, want)
		}
	}
	if tt := types(events(t, db)); len(tt) == 0 || tt[len(tt)-1] != "agent.failed" {
		t.Fatalf("events %v, want agent.failed last", tt)
	}
}

// TestBusyAgentWithReplyTarget records a call to a busy agent as failed
// when someone waits for the answer on the platform, and queues its reply.
func TestBusyAgentWithReplyTarget(t *testing.T) {
	s, db := newService(t)
	saveAgent(t, db, "busy", &herald.Runtime{Type: herald.RuntimeEcho, TimeoutSeconds: 1, MaxConcurrency: 1})
	ctx := context.Background()
	release, err := s.Limiter.Acquire(ctx, "busy", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	before, _ := db.QueueDepth(ctx)
	inv, err := s.Invoke(ctx, herald.InvokeParams{Agent: "busy", Message: "x", ReplyTo: &herald.ReplyTarget{
		Provider: herald.ProviderDiscord, Webhook: "discord", ApplicationID: "app", Token: "tok",
	}})
	if err != nil || inv == nil || inv.Status != herald.InvocationFailed || !strings.Contains(inv.Error, "busy") {
		t.Fatalf("busy call with a reply target: %+v, %v; want a failed invocation", inv, err)
	}
	if after, _ := db.QueueDepth(ctx); after != before+1 || inv.ReplyStatus != herald.ReplyPending {
		t.Fatalf("reply: queue %d → %d, status %q; want one queued reply", before, after, inv.ReplyStatus)
	}
}

// An invocation goes to the agent of its tenant: two tenants and the
// platform each have an agent "bot", and each call reaches its own, is
// recorded for that tenant, and publishes its events for it. A tenant
// without the agent gets ENOTFOUND; the agents' slots are apart.
func TestInvokeWithinTenant(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	for _, id := range []string{"acme", "beta"} {
		if _, err := db.PutTenant(ctx, &herald.Tenant{ID: id, Metadata: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(text string) *httptest.Server {
		srv, _ := runtimeServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, text) })
		return srv
	}
	saveAgent(t, db, "bot", &herald.Runtime{Type: herald.RuntimeHTTP, URL: answer("platform").URL, MaxConcurrency: 1})
	saveTenantAgent(t, db, "acme", "bot", &herald.Runtime{Type: herald.RuntimeHTTP, URL: answer("acme").URL, MaxConcurrency: 1})
	for _, tenant := range []string{"", "acme"} {
		inv, err := s.Invoke(ctx, herald.InvokeParams{TenantID: tenant, Agent: "bot", Message: "x"})
		if err != nil {
			t.Fatalf("%q: %v", tenant, err)
		}
		want := tenant
		if want == "" {
			want = "platform"
		}
		if inv.Response != want || string(inv.TenantID) != tenant {
			t.Fatalf("%q: invocation %+v", tenant, inv)
		}
		evs, n, err := db.ListEvents(ctx, herald.EventFilter{Tenancy: herald.OnlyTenant(tenant), Limit: 100})
		if err != nil || n != 4 {
			t.Fatalf("%q: %d events (%v), want 4", tenant, n, err)
		}
		for _, ev := range evs {
			if string(ev.TenantID) != tenant {
				t.Fatalf("%q: event %+v", tenant, ev)
			}
		}
	}
	if _, err := s.Invoke(ctx, herald.InvokeParams{TenantID: "beta", Agent: "bot", Message: "x"}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("beta's missing agent: %v", err)
	}
	// acme's bot at its cap does not hold the platform's bot back.
	inv, err := s.Invoke(ctx, herald.InvokeParams{TenantID: "acme", Agent: "bot", Message: "x", Mode: herald.ResponseAsync})
	if err != nil {
		t.Fatal(err)
	}
	release, err := s.Limiter.Acquire(ctx, "acme\x00bot", 1)
	if err != nil {
		t.Fatal(err)
	}
	var snooze *river.JobSnoozeError
	if err := s.RunQueued(ctx, inv.ID, time.Second); !errors.As(err, &snooze) {
		t.Fatalf("acme's bot at its cap: %v, want a snooze", err)
	}
	if got, err := s.Invoke(ctx, herald.InvokeParams{Agent: "bot", Message: "x"}); err != nil || got.Response != "platform" {
		t.Fatalf("the platform's bot: %+v %v", got, err)
	}
	release()
	if err := s.RunQueued(ctx, inv.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := db.Invocation(ctx, herald.Ref{Tenancy: herald.OnlyTenant("acme"), ID: inv.ID})
	if err != nil || got.Response != "acme" {
		t.Fatalf("acme's queued invocation: %+v %v", got, err)
	}
	if _, err := db.Invocation(ctx, herald.Ref{Tenancy: herald.OnlyTenant("beta"), ID: inv.ID}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("beta reads acme's invocation: %v", err)
	}
}
