package monitor

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/sqlite"
)

// clock is a fixed clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openStore(t *testing.T, c herald.Clock, qc queue.Config) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{Clock: c, Queue: qc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newWebhook(t *testing.T, s herald.Store, events ...string) *herald.Webhook {
	t.Helper()
	w := herald.NewWebhookDefaults()
	w.URL, w.Events, w.Secret = "https://example.com/hook", events, herald.GenerateSecret()
	if err := s.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func newAlert(t *testing.T, s herald.Store, mutate func(*herald.AlertRule)) *herald.AlertRule {
	t.Helper()
	r := herald.NewAlertDefaults()
	mutate(r)
	if err := s.CreateAlert(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHeartbeatInterval(t *testing.T) {
	for timeout, want := range map[time.Duration]time.Duration{
		0:                              10 * time.Second,
		herald.DefaultHeartbeatTimeout: 10 * time.Second,
		15 * time.Second:               5 * time.Second,
		300 * time.Millisecond:         100 * time.Millisecond,
		time.Hour:                      10 * time.Second,
		-time.Second:                   10 * time.Second,
	} {
		if got := HeartbeatInterval(timeout); got != want {
			t.Errorf("HeartbeatInterval(%s) = %s, want %s", timeout, got, want)
		}
	}
}

func TestEvaluateAll(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, c, queue.Config{})
	alertHook := newWebhook(t, s, "alert.*")
	agentHook := newWebhook(t, s, "agent.*")
	failing := newAlert(t, s, func(r *herald.AlertRule) {
		r.Name, r.Metric, r.Threshold, r.Window = "failing", herald.MetricWebhookFailures, 1, herald.Duration(time.Minute)
		r.WebhookID = agentHook.ID
	})
	inactive := newAlert(t, s, func(r *herald.AlertRule) {
		r.Metric, r.Threshold, r.IsActive = herald.MetricWebhookFailures, 1, false
	})
	quiet := newAlert(t, s, func(r *herald.AlertRule) { r.Metric, r.Threshold = herald.MetricDeliveriesPending, 100 })
	noData := newAlert(t, s, func(r *herald.AlertRule) { r.Metric, r.Op, r.Threshold = "cpu", "<", 1 })

	var rounds []int
	w := &AlertWorker{Store: s, Clock: c, Evaluated: func(res []*herald.AlertStateResult, err error) {
		if err != nil {
			t.Errorf("round failed: %v", err)
		}
		rounds = append(rounds, len(res))
	}}
	events := func(res []*herald.AlertStateResult) map[string]*herald.Event {
		out := map[string]*herald.Event{}
		for _, r := range res {
			if r.Event != nil {
				out[r.Rule.ID] = r.Event
			}
		}
		return out
	}
	evaluate := func() []*herald.AlertStateResult {
		t.Helper()
		res, err := w.EvaluateAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// Nothing failed yet: every active rule is evaluated, none fires.
	res := evaluate()
	if len(res) != 3 || len(events(res)) != 0 {
		t.Fatalf("first round: %d results, events %v", len(res), events(res))
	}

	// A failed attempt 10s ago crosses the threshold.
	d := publish(t, s, "agent.status").Deliveries[0]
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: d.ID, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: c.Now().Add(-10 * time.Second), Error: "refused"}}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Second)
	res = evaluate()
	ev := events(res)
	if len(ev) != 1 || ev[failing.ID] == nil || ev[failing.ID].Type != "alert.triggered" {
		t.Fatalf("second round events: %v", ev)
	}
	var data map[string]any
	if err := json.Unmarshal(ev[failing.ID].Data, &data); err != nil || data["value"] != 1.0 || data["name"] != "failing" {
		t.Fatalf("event data %s: %v", ev[failing.ID].Data, err)
	}
	if len(ev[failing.ID].Deliveries) != 1 || ev[failing.ID].Deliveries[0].WebhookID != alertHook.ID {
		t.Fatalf("alert deliveries: %+v", ev[failing.ID].Deliveries)
	}

	// Still failing: no repeat.
	c.add(time.Second)
	if ev := events(evaluate()); len(ev) != 0 {
		t.Fatalf("third round repeated: %v", ev)
	}

	// The failure leaves the window: resolved.
	c.add(time.Minute)
	ev = events(evaluate())
	if len(ev) != 1 || ev[failing.ID] == nil || ev[failing.ID].Type != "alert.resolved" {
		t.Fatalf("fourth round events: %v", ev)
	}
	if len(rounds) != 4 || rounds[3] != 3 {
		t.Fatalf("Evaluated saw rounds %v", rounds)
	}

	for id, wantState := range map[string]string{failing.ID: herald.AlertOK, quiet.ID: herald.AlertOK, noData.ID: herald.AlertOK} {
		r, err := s.Alert(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
		if err != nil || r.State != wantState || r.EvaluatedAt == nil || !r.EvaluatedAt.Equal(c.Now()) {
			t.Errorf("rule %s: %+v %v", id, r, err)
		}
	}
	if r, _ := s.Alert(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: noData.ID}); r.Value != nil {
		t.Errorf("rule without points has value %v", *r.Value)
	}
	if r, _ := s.Alert(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: inactive.ID}); r.EvaluatedAt != nil {
		t.Errorf("inactive rule was evaluated: %+v", r)
	}
	if _, n, _ := s.ListEvents(ctx, herald.EventFilter{Tenancy: herald.AnyTenant(), Type: "alert.triggered"}); n != 1 {
		t.Errorf("%d alert.triggered events, want 1", n)
	}
}

func TestEvaluateAllPages(t *testing.T) {
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 2
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, c, queue.Config{})
	for i := range 7 {
		newAlert(t, s, func(r *herald.AlertRule) {
			r.Metric, r.Threshold, r.IsActive = herald.MetricDeliveriesPending, 0, i%3 != 0
		})
		c.add(time.Millisecond) // distinct, ordered ids
	}
	res, err := (&AlertWorker{Store: s, Clock: c}).EvaluateAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range res {
		if seen[r.Rule.ID] {
			t.Fatalf("rule %s evaluated twice", r.Rule.ID)
		}
		seen[r.Rule.ID] = true
		if r.Event == nil || r.Event.Type != "alert.triggered" {
			t.Fatalf("rule %s (0 >= 0) did not fire: %+v", r.Rule.ID, r.Event)
		}
	}
	if len(seen) != 4 {
		t.Fatalf("%d rules evaluated, want the 4 active ones", len(seen))
	}
}

func TestHeartbeatCheck(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, c, queue.Config{})
	newWebhook(t, s, "agent.status")
	for id, ago := range map[string]time.Duration{"silent": 2 * time.Minute, "alive": 10 * time.Second} {
		_, err := s.ReportAgentStatus(ctx, &herald.AgentReport{AgentID: id, Status: herald.AgentRunning, Now: c.Now().Add(-ago)})
		if err != nil {
			t.Fatal(err)
		}
	}
	calls := 0
	w := &HeartbeatWorker{Store: s, Clock: c, Checked: func([]*herald.ReportResult, error) { calls++ }}
	marked, err := w.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(marked) != 1 || marked[0].Agent.ID != "silent" || marked[0].Agent.Status != herald.AgentUnresponsive {
		t.Fatalf("marked %+v", marked)
	}
	if len(marked[0].Events) != 1 || marked[0].Events[0].Type != "agent.status" {
		t.Fatalf("events %+v", marked[0].Events)
	}
	if marked, err := w.Check(ctx); err != nil || len(marked) != 0 {
		t.Fatalf("second check marked %d: %v", len(marked), err)
	}
	// With a shorter timeout, the other agent is silent too.
	w.HeartbeatTimeout = 5 * time.Second
	if marked, err := w.Check(ctx); err != nil || len(marked) != 1 || marked[0].Agent.ID != "alive" {
		t.Fatalf("short timeout marked %+v: %v", marked, err)
	}
	if calls != 3 {
		t.Fatalf("Checked called %d times, want 3", calls)
	}
}

// TestPeriodicJobs runs the checks through River on SQLite: the queue's
// leader enqueues them, and they run on the monitor queue.
func TestPeriodicJobs(t *testing.T) {
	workers := river.NewWorkers()
	s := openStore(t, nil, queue.Config{
		Workers:      workers,
		PollInterval: 10 * time.Millisecond,
		Queues:       Queues(),
		PeriodicJobs: PeriodicJobs(Config{HeartbeatTimeout: 150 * time.Millisecond, AlertInterval: 50 * time.Millisecond}),
	})
	checked, evaluated := make(chan error, 100), make(chan error, 100)
	Register(workers,
		&HeartbeatWorker{Store: s, Checked: func(_ []*herald.ReportResult, err error) { checked <- err }},
		&AlertWorker{Store: s, Evaluated: func(_ []*herald.AlertStateResult, err error) { evaluated <- err }})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Stop(ctx)
	})
	for name, ch := range map[string]chan error{"heartbeat check": checked, "alert round": evaluated} {
		for range 2 {
			select {
			case err := <-ch:
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("no %s within 30s", name)
			}
		}
	}
}

func publish(t *testing.T, s herald.Store, typ string) *herald.PublishResult {
	t.Helper()
	res, err := s.PublishEvent(context.Background(), herald.PublishParams{Type: typ, Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestChecksOfTenants: the checks cover every tenant's rules and agents,
// and what they publish is each row's tenant's. A tenant's rule counts its
// tenant's agents only.
func TestChecksOfTenants(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, c, queue.Config{})
	for _, id := range []string{"acme", "beta"} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id, Metadata: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// acme's agent goes silent; beta's and the platform's stay alive.
	for tenant, ago := range map[herald.TenantID]time.Duration{"acme": 2 * time.Minute, "beta": time.Second, "": time.Second} {
		if _, err := s.ReportAgentStatus(ctx, &herald.AgentReport{TenantID: tenant, AgentID: "bot", Status: herald.AgentRunning, Now: c.Now().Add(-ago)}); err != nil {
			t.Fatal(err)
		}
	}
	marked, err := (&HeartbeatWorker{Store: s, Clock: c}).Check(ctx)
	if err != nil || len(marked) != 1 || marked[0].Agent.TenantID != "acme" || len(marked[0].Events) != 1 || marked[0].Events[0].TenantID != "acme" {
		t.Fatalf("marked %+v: %v", marked, err)
	}
	// An agent-unresponsive rule per tenant: acme's fires, beta's does not.
	rules := map[herald.TenantID]*herald.AlertRule{}
	for _, tenant := range []herald.TenantID{"acme", "beta", ""} {
		rules[tenant] = newAlert(t, s, func(r *herald.AlertRule) {
			r.TenantID, r.Metric, r.Threshold = tenant, herald.MetricAgentUnresponsive, 1
		})
	}
	res, err := (&AlertWorker{Store: s, Clock: c}).EvaluateAll(ctx)
	if err != nil || len(res) != 3 {
		t.Fatalf("evaluated %d: %v", len(res), err)
	}
	for _, r := range res {
		fired := r.Event != nil
		if fired != (r.Rule.TenantID == "acme") {
			t.Errorf("rule of %q: state %s, event %+v", r.Rule.TenantID, r.Rule.State, r.Event)
		}
		if fired && (r.Event.Type != "alert.triggered" || r.Event.TenantID != "acme") {
			t.Errorf("acme's alert event %+v", r.Event)
		}
	}
	if _, n, _ := s.ListEvents(ctx, herald.EventFilter{Tenancy: herald.OnlyTenant("beta"), Type: "alert.triggered"}); n != 0 {
		t.Errorf("beta has %d alert.triggered events", n)
	}
	if _, err := s.Alert(ctx, herald.Ref{Tenancy: herald.OnlyTenant("beta"), ID: rules["acme"].ID}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("beta reads acme's rule: %v", err)
	}
}
