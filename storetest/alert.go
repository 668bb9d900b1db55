package storetest

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// alertTests check alert rules and their evaluation state.
var alertTests = map[string]func(t *testing.T, s herald.Store){
	"AlertCRUD":              testAlertCRUD,
	"AlertValidation":        testAlertValidation,
	"AlertList":              testAlertList,
	"AlertValueWebhooks":     testAlertValueWebhooks,
	"AlertValueUnresponsive": testAlertValueUnresponsive,
	"AlertValueMetrics":      testAlertValueMetrics,
	"AlertStateTransitions":  testAlertStateTransitions,
}

// newAlert creates a rule from the defaults and in.
func newAlert(t *testing.T, s herald.Store, in herald.AlertInput) *herald.AlertRule {
	t.Helper()
	r := herald.NewAlertDefaults()
	in.Apply(r)
	if err := s.CreateAlert(context.Background(), r); err != nil {
		t.Fatalf("create alert: %v", err)
	}
	return r
}

func ref[T any](v T) *T { return &v }

func testAlertCRUD(t *testing.T, s herald.Store) {
	ctx := context.Background()
	r := newAlert(t, s, herald.AlertInput{Metric: ref(herald.MetricWebhookFailures), Threshold: ref(3.0),
		Description: ref("too many failures"), WebhookID: ref("wh_x")})
	if len(r.ID) != len(herald.PrefixAlert)+26 || r.ID[:len(herald.PrefixAlert)] != herald.PrefixAlert || r.CreatedAt.IsZero() {
		t.Fatalf("create did not set ID and CreatedAt: %+v", r)
	}
	got, err := s.Alert(ctx, anyRef(r.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != herald.MetricWebhookFailures || got.Description != "too many failures" || got.Metric != herald.MetricWebhookFailures ||
		got.Agg != "avg" || got.Op != ">=" || got.Threshold != 3 || time.Duration(got.Window) != 5*time.Minute ||
		got.WebhookID != "wh_x" || got.AgentID != "" || !got.IsActive || got.State != herald.AlertOK || got.Value != nil ||
		got.EvaluatedAt != nil || got.TriggeredAt != nil || got.ResolvedAt != nil || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("read back differs: %+v", got)
	}

	// An update replaces the settings and keeps the state.
	if _, err := s.SetAlertState(ctx, herald.AlertStateParams{AlertID: r.ID, Value: ref(5.0), Triggered: true}); err != nil {
		t.Fatal(err)
	}
	got.Threshold, got.Op, got.Window, got.IsActive, got.WebhookID, got.AgentID = 10, ">", herald.Duration(time.Minute), false, "", "a1"
	got.State, got.Value = herald.AlertOK, nil
	if err := s.UpdateAlert(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got.State != herald.AlertTriggered || got.Value == nil || *got.Value != 5 {
		t.Fatalf("update did not return the stored state: %+v", got)
	}
	again, _ := s.Alert(ctx, anyRef(r.ID))
	if again.Threshold != 10 || again.Op != ">" || time.Duration(again.Window) != time.Minute || again.IsActive ||
		again.WebhookID != "" || again.AgentID != "a1" || again.State != herald.AlertTriggered || again.TriggeredAt == nil {
		t.Fatalf("update not stored, or state lost: %+v", again)
	}
	if again.UpdatedAt.Before(again.CreatedAt) {
		t.Fatalf("updated_at %v before created_at %v", again.UpdatedAt, again.CreatedAt)
	}

	if err := s.DeleteAlert(ctx, anyRef(r.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Alert(ctx, anyRef(r.ID)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after delete: %v, want not found", err)
	}
	if err := s.DeleteAlert(ctx, anyRef(r.ID)); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("second delete: %v, want not found", err)
	}
	if err := s.UpdateAlert(ctx, again); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("update of missing: %v, want not found", err)
	}
	if _, err := s.SetAlertState(ctx, herald.AlertStateParams{AlertID: r.ID, Triggered: true}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("state of missing: %v, want not found", err)
	}
}

func testAlertValidation(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for name, in := range map[string]herald.AlertInput{
		"no metric":    {},
		"bad metric":   {Metric: ref("cpu usage")},
		"bad agg":      {Metric: ref("cpu"), Agg: ref("median")},
		"bad op":       {Metric: ref("cpu"), Op: ref("=>")},
		"short window": {Metric: ref("cpu"), Window: ref(herald.Duration(time.Millisecond))},
		"long window":  {Metric: ref("cpu"), Window: ref(herald.Duration(herald.MaxAlertWindow + time.Second))},
		"bad webhook":  {Metric: ref(herald.MetricDeliveriesPending), WebhookID: ref("hook-1")},
		"bad agent":    {Metric: ref("cpu"), AgentID: ref("agent 1")},
		"long name":    {Metric: ref("cpu"), Name: ref(string(make([]byte, 201)))},
		"empty op":     {Metric: ref("cpu"), Op: ref("")},
	} {
		r := herald.NewAlertDefaults()
		in.Apply(r)
		if err := s.CreateAlert(ctx, r); herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("%s: create gave %v, want invalid", name, err)
		}
	}
	if _, total, err := s.ListAlerts(ctx, herald.AlertFilter{Tenancy: anyTenant}); err != nil || total != 0 {
		t.Fatalf("invalid rules were stored: %d, %v", total, err)
	}
	r := newAlert(t, s, herald.AlertInput{Metric: ref("cpu")})
	if r.Name != "cpu" {
		t.Errorf("name defaults to %q, want the metric", r.Name)
	}
	r.Agg = "median"
	if err := s.UpdateAlert(ctx, r); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("invalid update: %v, want invalid", err)
	}
	if got, _ := s.Alert(ctx, anyRef(r.ID)); got.Agg != "avg" {
		t.Errorf("invalid update was stored: agg %q", got.Agg)
	}
}

func testAlertList(t *testing.T, s herald.Store) {
	for i := 0; i < 5; i++ {
		newAlert(t, s, herald.AlertInput{Metric: ref(herald.MetricDeliveriesPending), Threshold: ref(float64(i))})
	}
	page, total, err := s.ListAlerts(context.Background(), herald.AlertFilter{Tenancy: anyTenant, Skip: 1, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(page) != 2 {
		t.Fatalf("got %d items of total %d, want 2 of 5", len(page), total)
	}
	all, _, _ := s.ListAlerts(context.Background(), herald.AlertFilter{Tenancy: anyTenant})
	if len(all) != 5 || all[1].ID != page[0].ID || all[0].ID < all[4].ID {
		t.Fatalf("list is not newest first or skip is wrong")
	}
	past, total, err := s.ListAlerts(context.Background(), herald.AlertFilter{Tenancy: anyTenant, Skip: 10})
	if err != nil || len(past) != 0 || total != 5 {
		t.Fatalf("page past the end: %d items of %d, %v", len(past), total, err)
	}
}

// alertValue evaluates a rule over [since, now) and fails the test on error.
func alertValue(t *testing.T, s herald.Store, r *herald.AlertRule, since, now time.Time) *float64 {
	t.Helper()
	v, err := s.AlertValue(context.Background(), herald.AlertQuery{Rule: r, Since: since, Now: now})
	if err != nil {
		t.Fatalf("value of %s (%s, webhook %q, agent %q): %v", r.Metric, r.Agg, r.WebhookID, r.AgentID, err)
	}
	return v
}

// wantAlertValue fails the test unless got is want (nil for no value).
func wantAlertValue(t *testing.T, what string, got *float64, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, fmtAlertValue(got), fmtAlertValue(want))
	case math.Abs(*got-*want) > 1e-9:
		t.Errorf("%s = %v, want %v", what, *got, *want)
	}
}

func fmtAlertValue(v *float64) any {
	if v == nil {
		return "nil"
	}
	return *v
}

func testAlertValueWebhooks(t *testing.T, s herald.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	since := now.Add(-time.Minute)
	a := NewWebhook(t, s, []string{"*"})
	b := NewWebhook(t, s, []string{"*"})
	quiet := NewWebhook(t, s, []string{"nothing.*"})
	// Three events, each to a and b: six pending deliveries.
	var da, db []*herald.Delivery
	for range 3 {
		res := publish(t, s, herald.PublishParams{Type: "agent.status"})
		for _, d := range res.Deliveries {
			if d.WebhookID == a.ID {
				da = append(da, d)
			} else {
				db = append(db, d)
			}
		}
	}
	if len(da) != 3 || len(db) != 3 {
		t.Fatalf("fan-out: %d and %d deliveries, want 3 and 3", len(da), len(db))
	}
	attempt := func(d *herald.Delivery, at time.Time, ok bool, status string) {
		t.Helper()
		if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: d.ID, Status: status,
			Attempt: &herald.Attempt{StartedAt: at, Success: ok, Error: map[bool]string{false: "refused"}[ok]}}); err != nil {
			t.Fatal(err)
		}
	}
	// a: a failure before the window, one at its start (counted), a
	// success inside, and a failure at its end (not counted).
	attempt(da[0], since.Add(-time.Second), false, herald.DeliveryPending)
	attempt(da[0], since, false, herald.DeliveryPending)
	attempt(da[0], now.Add(-30*time.Second), true, herald.DeliverySuccess)
	attempt(da[1], now.Add(-10*time.Second), false, herald.DeliveryFailed)
	attempt(da[2], now, false, herald.DeliveryPending)
	// b: one failure inside; its other deliveries stay pending.
	attempt(db[0], now.Add(-20*time.Second), false, herald.DeliveryFailed)

	rule := func(metric, webhookID string) *herald.AlertRule {
		r := herald.NewAlertDefaults()
		r.Metric, r.WebhookID = metric, webhookID
		return r
	}
	for _, c := range []struct {
		metric, webhook string
		want            float64
	}{
		{herald.MetricWebhookFailures, "", 3},
		{herald.MetricWebhookFailures, a.ID, 2},
		{herald.MetricWebhookFailures, b.ID, 1},
		{herald.MetricWebhookFailures, quiet.ID, 0},
		{herald.MetricWebhookFailureRate, "", 3.0 / 4},
		{herald.MetricWebhookFailureRate, a.ID, 2.0 / 3},
		{herald.MetricWebhookFailureRate, b.ID, 1},
		{herald.MetricWebhookFailureRate, quiet.ID, 0},
		{herald.MetricDeliveriesPending, "", 3}, // a's third, b's second and third
		{herald.MetricDeliveriesPending, a.ID, 1},
		{herald.MetricDeliveriesPending, b.ID, 2},
		{herald.MetricDeliveriesPending, quiet.ID, 0},
	} {
		wantAlertValue(t, c.metric+" of "+c.webhook, alertValue(t, s, rule(c.metric, c.webhook), since, now), &c.want)
	}
	// Deleting a webhook takes its attempts and deliveries along.
	if err := s.DeleteWebhook(ctx, anyRef(b.ID)); err != nil {
		t.Fatal(err)
	}
	wantAlertValue(t, "failures after delete", alertValue(t, s, rule(herald.MetricWebhookFailures, ""), since, now), ref(2.0))
	wantAlertValue(t, "pending after delete", alertValue(t, s, rule(herald.MetricDeliveriesPending, ""), since, now), ref(1.0))
}

func testAlertValueUnresponsive(t *testing.T, s herald.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	for _, id := range []string{"a1", "a2", "a3"} {
		_, err := s.ReportAgentStatus(ctx, &herald.AgentReport{AgentID: id, Status: herald.AgentRunning, Now: now.Add(-10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReportAgentStatus(ctx, &herald.AgentReport{AgentID: "a3", Status: herald.AgentRunning, Now: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	r := herald.NewAlertDefaults()
	r.Metric = herald.MetricAgentUnresponsive
	wantAlertValue(t, "unresponsive before", alertValue(t, s, r, now.Add(-time.Minute), now), ref(0.0))
	marked, err := s.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: now.Add(-5 * time.Minute), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(marked) != 2 {
		t.Fatalf("marked %d agents unresponsive, want 2", len(marked))
	}
	wantAlertValue(t, "unresponsive", alertValue(t, s, r, now.Add(-time.Minute), now), ref(2.0))
	r.AgentID = "a1"
	wantAlertValue(t, "a1 unresponsive", alertValue(t, s, r, now.Add(-time.Minute), now), ref(1.0))
	r.AgentID = "a3"
	wantAlertValue(t, "a3 unresponsive", alertValue(t, s, r, now.Add(-time.Minute), now), ref(0.0))
	r.AgentID = "unknown"
	wantAlertValue(t, "unknown agent unresponsive", alertValue(t, s, r, now.Add(-time.Minute), now), ref(0.0))
}

func testAlertValueMetrics(t *testing.T, s herald.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	since := now.Add(-time.Minute)
	report := func(agent string, at time.Time, metrics map[string]float64) {
		t.Helper()
		_, err := s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: agent, Metrics: metrics, Timestamp: at, Now: at})
		if err != nil {
			t.Fatal(err)
		}
	}
	report("a1", since.Add(-time.Second), map[string]float64{"cpu": 99}) // before the window
	report("a1", since, map[string]float64{"cpu": 10, "mem": 1})         // at its start: counted
	report("a1", now.Add(-20*time.Second), map[string]float64{"cpu": 30})
	report("a2", now.Add(-10*time.Second), map[string]float64{"cpu": 50.5})
	report("a2", now, map[string]float64{"cpu": 1000}) // at its end: not counted

	rule := func(metric, agg, agent string) *herald.AlertRule {
		r := herald.NewAlertDefaults()
		r.Metric, r.Agg, r.AgentID = metric, agg, agent
		return r
	}
	for _, c := range []struct {
		metric, agg, agent string
		want               *float64
	}{
		{"cpu", "avg", "", ref(90.5 / 3)},
		{"cpu", "min", "", ref(10.0)},
		{"cpu", "max", "", ref(50.5)},
		{"cpu", "sum", "", ref(90.5)},
		{"cpu", "count", "", ref(3.0)},
		{"cpu", "avg", "a1", ref(20.0)},
		{"cpu", "max", "a2", ref(50.5)},
		{"mem", "sum", "", ref(1.0)},
		// No points: count and sum are 0, the others have no value.
		{"cpu", "avg", "a3", nil},
		{"disk", "avg", "", nil},
		{"disk", "min", "", nil},
		{"disk", "max", "", nil},
		{"disk", "sum", "", ref(0.0)},
		{"disk", "count", "", ref(0.0)},
	} {
		wantAlertValue(t, c.agg+"("+c.metric+") of "+c.agent, alertValue(t, s, rule(c.metric, c.agg, c.agent), since, now), c.want)
	}
}

func testAlertStateTransitions(t *testing.T, s herald.Store) {
	ctx := context.Background()
	alertHook := NewWebhook(t, s, []string{"alert.*"})
	NewWebhook(t, s, []string{"agent.*"})
	r := newAlert(t, s, herald.AlertInput{Name: ref("failing hook"), Metric: ref(herald.MetricWebhookFailures), Threshold: ref(1.0),
		Window: ref(herald.Duration(time.Minute)), WebhookID: ref(alertHook.ID), AgentID: ref("a1")})
	t0 := time.Now().UTC().Truncate(time.Millisecond)

	set := func(v *float64, triggered bool, at time.Time) *herald.AlertStateResult {
		t.Helper()
		res, err := s.SetAlertState(ctx, herald.AlertStateParams{AlertID: r.ID, Value: v, Triggered: triggered, Now: at})
		if err != nil {
			t.Fatalf("set state: %v", err)
		}
		return res
	}
	countEvents := func(typ string) int {
		t.Helper()
		_, n, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: anyTenant, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Still ok: the evaluation is recorded, nothing is published.
	res := set(ref(0.0), false, t0)
	if res.Event != nil || res.Rule.State != herald.AlertOK || res.Rule.Value == nil || *res.Rule.Value != 0 ||
		res.Rule.EvaluatedAt == nil || !res.Rule.EvaluatedAt.Equal(t0) {
		t.Fatalf("ok evaluation: %+v, event %+v", res.Rule, res.Event)
	}

	// ok -> triggered: one alert.triggered, to the webhook that wants it.
	before, _ := s.QueueDepth(ctx)
	t1 := t0.Add(time.Second)
	res = set(ref(2.0), true, t1)
	if res.Event == nil || res.Event.Type != "alert.triggered" {
		t.Fatalf("trigger published %+v", res.Event)
	}
	if res.Rule.State != herald.AlertTriggered || res.Rule.TriggeredAt == nil || !res.Rule.TriggeredAt.Equal(t1) || res.Rule.ResolvedAt != nil {
		t.Fatalf("triggered rule: %+v", res.Rule)
	}
	var data map[string]any
	if err := json.Unmarshal(res.Event.Data, &data); err != nil {
		t.Fatalf("event data %s: %v", res.Event.Data, err)
	}
	want := map[string]any{"alert_id": r.ID, "name": "failing hook", "metric": herald.MetricWebhookFailures, "value": 2.0,
		"threshold": 1.0, "op": ">=", "window": "1m", "agent_id": "a1", "webhook_id": alertHook.ID}
	if len(data) != len(want) {
		t.Errorf("event data %s, want the fields of %v", res.Event.Data, want)
	}
	for k, v := range want {
		if data[k] != v {
			t.Errorf("event data %s = %v, want %v", k, data[k], v)
		}
	}
	ev, err := s.Event(ctx, anyRef(res.Event.ID))
	if err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].WebhookID != alertHook.ID || !ev.Created.Equal(t1) {
		t.Fatalf("stored event: %+v %v", ev, err)
	}
	if after, _ := s.QueueDepth(ctx); after != before+1 {
		t.Fatalf("queue depth %d -> %d, want one job for the delivery", before, after)
	}

	// Still triggered: no repeat, the value moves on.
	res = set(ref(3.0), true, t1.Add(time.Second))
	if res.Event != nil || res.Rule.State != herald.AlertTriggered || *res.Rule.Value != 3 || !res.Rule.TriggeredAt.Equal(t1) {
		t.Fatalf("repeat evaluation: %+v, event %+v", res.Rule, res.Event)
	}
	if n := countEvents("alert.triggered"); n != 1 {
		t.Fatalf("%d alert.triggered events, want 1", n)
	}

	// triggered -> ok: one alert.resolved, with no value when there is none.
	t2 := t1.Add(time.Minute)
	res = set(nil, false, t2)
	if res.Event == nil || res.Event.Type != "alert.resolved" || res.Rule.State != herald.AlertOK ||
		res.Rule.ResolvedAt == nil || !res.Rule.ResolvedAt.Equal(t2) || res.Rule.Value != nil {
		t.Fatalf("resolve: %+v, event %+v", res.Rule, res.Event)
	}
	data = nil
	if err := json.Unmarshal(res.Event.Data, &data); err != nil {
		t.Fatal(err)
	}
	if v, ok := data["value"]; !ok || v != nil || data["alert_id"] != r.ID {
		t.Errorf("resolved data %s, want value null", res.Event.Data)
	}
	if res = set(nil, false, t2.Add(time.Second)); res.Event != nil {
		t.Fatalf("second resolve published %+v", res.Event)
	}
	if n, m := countEvents("alert.triggered"), countEvents("alert.resolved"); n != 1 || m != 1 {
		t.Fatalf("%d triggered and %d resolved events, want 1 and 1", n, m)
	}
	got, err := s.Alert(ctx, anyRef(r.ID))
	if err != nil || got.State != herald.AlertOK || got.Value != nil || !got.EvaluatedAt.Equal(t2.Add(time.Second)) ||
		!got.TriggeredAt.Equal(t1) || !got.ResolvedAt.Equal(t2) {
		t.Fatalf("stored state: %+v %v", got, err)
	}
}
