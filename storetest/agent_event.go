package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// agentEventTests check the agent of an event (herald.EventAgentID) in the
// per-agent webhook filter, in the event list and in webhook alerts.
var agentEventTests = map[string]func(t *testing.T, s herald.Store){
	"AgentEventFanOut":   testAgentEventFanOut,
	"AgentEventList":     testAgentEventList,
	"AgentWebhookAlerts": testAgentWebhookAlerts,
}

// agentShapes are one event's data in each shape that names agent a1, and
// shapes that name none.
var agentShapes = []struct {
	data  string
	agent string
}{
	{`{"agent_id":"a1"}`, "a1"},
	{`{"agent":"a1","request_id":"req_1"}`, "a1"},             // seed 003's invocation events
	{`{"agent":{"id":"a1","name":"A one"},"room":"r"}`, "a1"}, // seed 004's events
	{`{"agent_id":"a1","agent":"a2"}`, "a1"},                  // agent_id comes first
	{`{"agent_id":7,"agent":{"id":"a1"}}`, "a1"},              // a non-string agent_id is no agent
	{`{"agent":{"name":"no id"}}`, ""},
	{`{"agent":["a1"]}`, ""},
	{`{}`, ""},
}

func testAgentEventFanOut(t *testing.T, s herald.Store) {
	mine := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AgentID = "a1" })
	other := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AgentID = "a2" })
	all := NewWebhook(t, s, []string{"*"})
	for _, c := range agentShapes {
		res := publish(t, s, herald.PublishParams{Type: "agent.completed", Data: json.RawMessage(c.data)})
		got := map[string]bool{}
		for _, d := range res.Deliveries {
			got[d.WebhookID] = true
		}
		if got[mine.ID] != (c.agent == "a1") || got[other.ID] || !got[all.ID] {
			t.Errorf("%s went to %v; want the a1 webhook %v, never a2's, always the global one", c.data, got, c.agent == "a1")
		}
	}
	// Listing by agent.
	for agent, want := range map[string]string{"a1": mine.ID, "a2": other.ID} {
		hooks, total, err := s.ListWebhooks(context.Background(), herald.WebhookFilter{Tenancy: anyTenant, AgentID: agent})
		if err != nil || total != 1 || len(hooks) != 1 || hooks[0].ID != want {
			t.Fatalf("webhooks of %s: %v of %d (%v), want %s alone", agent, hooks, total, err, want)
		}
	}
	if _, total, err := s.ListWebhooks(context.Background(), herald.WebhookFilter{Tenancy: anyTenant}); err != nil || total != 3 {
		t.Fatalf("all webhooks: %d (%v), want 3", total, err)
	}
}

func testAgentEventList(t *testing.T, s herald.Store) {
	ctx := context.Background()
	want := 0
	for _, c := range agentShapes {
		publish(t, s, herald.PublishParams{Type: "agent.completed", Data: json.RawMessage(c.data)})
		if c.agent == "a1" {
			want++
		}
	}
	publish(t, s, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{"agent_id":"a1"}`)})
	evs, total, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, AgentID: "a1", Type: "agent.completed"})
	if err != nil || total != want || len(evs) != want {
		t.Fatalf("a1's agent.completed: %d of %d (%v), want %d", len(evs), total, err, want)
	}
	for _, ev := range evs {
		if ev.AgentID() != "a1" {
			t.Fatalf("listed %s, not a1's", ev.Data)
		}
	}
	if _, total, _ := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, AgentID: "a1"}); total != want+1 {
		t.Fatalf("a1's events: %d, want %d", total, want+1)
	}
	if _, total, _ := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, AgentID: "a2"}); total != 0 {
		t.Fatalf("a2's events: %d, want 0", total)
	}
	// Imported events are listed by agent too.
	imported := &herald.Event{ID: "evt_agent_imported", Type: "agent.invoked", Data: json.RawMessage(`{"agent":"a9"}`),
		Created: time.Now().UTC().Truncate(time.Second)}
	if _, err := s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{Event: imported}}}); err != nil {
		t.Fatal(err)
	}
	if evs, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, AgentID: "a9"}); err != nil || len(evs) != 1 || evs[0].ID != imported.ID {
		t.Fatalf("imported event by agent: %v %v", evs, err)
	}
}

func testAgentWebhookAlerts(t *testing.T, s herald.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	since := now.Add(-time.Minute)
	mine := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AgentID = "a1" })
	other := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AgentID = "a2" })
	global := NewWebhook(t, s, []string{"*"})
	// One a1 event and one a2 event: a1's goes to mine and global, a2's to
	// other and global.
	fail := func(hook *herald.Webhook, data string, n int, ok bool) {
		t.Helper()
		res := publish(t, s, herald.PublishParams{Type: "agent.failed", Data: json.RawMessage(data)})
		for _, d := range res.Deliveries {
			if d.WebhookID != hook.ID {
				continue
			}
			for i := range n {
				if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: d.ID, Status: herald.DeliveryPending,
					Attempt: &herald.Attempt{StartedAt: now.Add(-time.Duration(i+1) * time.Second), Success: ok}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	fail(mine, `{"agent":"a1"}`, 2, false)
	fail(mine, `{"agent":"a1"}`, 1, true)
	fail(other, `{"agent":"a2"}`, 3, false)
	fail(global, `{"agent":"a1"}`, 4, false)
	rule := func(metric, agent, webhook string) *herald.AlertRule {
		r := herald.NewAlertDefaults()
		r.Metric, r.AgentID, r.WebhookID = metric, agent, webhook
		return r
	}
	for _, c := range []struct {
		metric, agent, webhook string
		want                   float64
	}{
		{herald.MetricWebhookFailures, "a1", "", 2},
		{herald.MetricWebhookFailures, "a2", "", 3},
		{herald.MetricWebhookFailures, "a3", "", 0},
		{herald.MetricWebhookFailures, "", "", 9},
		{herald.MetricWebhookFailures, "a1", mine.ID, 2},
		{herald.MetricWebhookFailures, "a1", other.ID, 0},
		{herald.MetricWebhookFailureRate, "a1", "", 2.0 / 3},
		{herald.MetricWebhookFailureRate, "a2", "", 1},
	} {
		wantAlertValue(t, c.metric+" of agent "+c.agent+" webhook "+c.webhook,
			alertValue(t, s, rule(c.metric, c.agent, c.webhook), since, now), &c.want)
	}
}
