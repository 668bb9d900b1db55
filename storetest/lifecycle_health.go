package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func init() {
	lifecycleTests["WebhookHealth"] = testWebhookHealth
	lifecycleTests["DisableWebhook"] = testDisableWebhook
}

// attempt records one attempt of delivery id at at.
func attempt(t *testing.T, s herald.Store, id string, at time.Time, ms int64, ok bool) {
	t.Helper()
	status := herald.DeliveryFailed
	if ok {
		status = herald.DeliverySuccess
	}
	if _, err := s.RecordAttempt(context.Background(), herald.AttemptResult{DeliveryID: id, Status: status,
		Attempt: &herald.Attempt{StartedAt: at, DurationMS: ms, Success: ok}}); err != nil {
		t.Fatal(err)
	}
}

func testWebhookHealth(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	other := NewWebhook(t, s, []string{"nothing.*"})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for range 4 {
		ids = append(ids, publish(t, s, herald.PublishParams{Type: "agent.status"}).Deliveries[0].ID)
	}
	attempt(t, s, ids[0], t0.Add(-6*24*time.Hour), 100, true)
	attempt(t, s, ids[1], t0.Add(-2*time.Hour), 200, true)
	attempt(t, s, ids[2], t0.Add(-30*time.Minute), 300, false)
	attempt(t, s, ids[2], t0.Add(-20*time.Minute), 400, false)
	attempt(t, s, ids[3], t0.Add(-10*time.Minute), 1000, false)

	h, err := s.WebhookHealth(ctx, herald.HealthParams{Ref: anyRef(w.ID), Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	want := []herald.HealthWindow{{Window: "1h", Attempts: 3, Failed: 3}, {Window: "24h", Attempts: 4, Succeeded: 1, Failed: 3},
		{Window: "7d", Attempts: 5, Succeeded: 2, Failed: 3}}
	rates := []float64{0, 0.25, 0.4}
	if len(h.Windows) != 3 {
		t.Fatalf("windows: %+v", h.Windows)
	}
	for i, hw := range h.Windows {
		if hw.Window != want[i].Window || hw.Attempts != want[i].Attempts || hw.Succeeded != want[i].Succeeded ||
			hw.Failed != want[i].Failed || hw.SuccessRate == nil || *hw.SuccessRate != rates[i] {
			t.Fatalf("window %d: %+v, want %+v at rate %v", i, hw, want[i], rates[i])
		}
	}
	if h.LatencyP50MS == nil || *h.LatencyP50MS != 300 || h.LatencyP95MS == nil || *h.LatencyP95MS != 1000 {
		t.Fatalf("latency: %v %v", h.LatencyP50MS, h.LatencyP95MS)
	}
	if h.FailingSince == nil || !h.FailingSince.Equal(t0.Add(-30*time.Minute)) || h.FailedDeliveries != 2 || !h.IsActive {
		t.Fatalf("streak: %+v", h)
	}
	streak, err := s.WebhookHealth(ctx, herald.HealthParams{Ref: anyRef(w.ID), Now: t0, StreakOnly: true})
	if err != nil || streak.Windows != nil || streak.LatencyP50MS != nil || !streak.FailingSince.Equal(*h.FailingSince) || streak.FailedDeliveries != 2 {
		t.Fatalf("streak only: %+v %v", streak, err)
	}
	if h.ShouldDisable(herald.DefaultDisableAfter, t0.Add(6*24*time.Hour)) {
		t.Fatal("2 failed deliveries disable the webhook")
	}

	// Enabling again starts a fresh window.
	enabled := t0.Add(-15 * time.Minute)
	w.EnabledAt = &enabled
	if err := s.UpdateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	h, _ = s.WebhookHealth(ctx, herald.HealthParams{Ref: anyRef(w.ID), Now: t0})
	if h.FailingSince == nil || !h.FailingSince.Equal(t0.Add(-10*time.Minute)) || h.FailedDeliveries != 1 {
		t.Fatalf("streak after enabling: %+v", h)
	}
	// A success ends the streak.
	attempt(t, s, ids[3], t0.Add(-5*time.Minute), 50, true)
	h, _ = s.WebhookHealth(ctx, herald.HealthParams{Ref: anyRef(w.ID), Now: t0})
	if h.FailingSince != nil || h.FailedDeliveries != 0 {
		t.Fatalf("streak after a success: %+v", h)
	}

	// A webhook without attempts has empty windows.
	h, err = s.WebhookHealth(ctx, herald.HealthParams{Ref: anyRef(other.ID), Now: t0})
	if err != nil || h.Windows[2].Attempts != 0 || h.Windows[2].SuccessRate != nil || h.LatencyP50MS != nil || h.FailingSince != nil {
		t.Fatalf("no attempts: %+v %v", h, err)
	}
	for name, tenancy := range map[string]herald.Tenancy{"zero": {}, "other tenant": herald.OnlyTenant("acme")} {
		if _, err := s.WebhookHealth(ctx, herald.HealthParams{Ref: herald.Ref{Tenancy: tenancy, ID: w.ID}, Now: t0}); herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("%s tenancy: %v", name, err)
		}
	}
}

func testDisableWebhook(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, tenancy := range map[string]herald.Tenancy{"zero": {}, "other tenant": herald.OnlyTenant("acme")} {
		if _, _, err := s.DisableWebhook(ctx, herald.DisableParams{Ref: herald.Ref{Tenancy: tenancy, ID: w.ID}, Reason: herald.DisabledGone, Now: t0}); herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("%s tenancy: %v", name, err)
		}
	}
	got, changed, err := s.DisableWebhook(ctx, herald.DisableParams{Ref: anyRef(w.ID), Reason: herald.DisabledGone, Now: t0})
	if err != nil || !changed || got.IsActive || got.DisabledReason != herald.DisabledGone || got.DisabledAt == nil || !got.DisabledAt.Equal(t0) {
		t.Fatalf("disable: %+v %v %v", got, changed, err)
	}
	got, changed, err = s.DisableWebhook(ctx, herald.DisableParams{Ref: anyRef(w.ID), Reason: herald.DisabledFailing, Now: t0.Add(time.Hour)})
	if err != nil || changed || got.DisabledReason != herald.DisabledGone || !got.DisabledAt.Equal(t0) {
		t.Fatalf("disable again: %+v %v %v", got, changed, err)
	}
	// An update turns it on again and clears the reason.
	got.IsActive, got.DisabledReason, got.DisabledAt = true, "", nil
	on := t0.Add(2 * time.Hour)
	got.EnabledAt = &on
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	read, _ := s.Webhook(ctx, anyRef(w.ID))
	if !read.IsActive || read.DisabledReason != "" || read.DisabledAt != nil || read.EnabledAt == nil || !read.EnabledAt.Equal(on) {
		t.Fatalf("enabled again: %+v", read)
	}
	if _, _, err := s.DisableWebhook(ctx, herald.DisableParams{Ref: anyRef("wh_missing"), Reason: herald.DisabledGone, Now: t0}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("missing: %v", err)
	}
}

func init() { lifecycleTests["PublishExcludeWebhook"] = testPublishExcludeWebhook }

// testPublishExcludeWebhook: an event never goes to its ExcludeWebhookID.
func testPublishExcludeWebhook(t *testing.T, s herald.Store) {
	a := NewWebhook(t, s, []string{"webhook.*"})
	b := NewWebhook(t, s, []string{"*"})
	res := publish(t, s, herald.PublishParams{Type: "webhook.disabled", ExcludeWebhookID: b.ID})
	if len(res.Deliveries) != 1 || res.Deliveries[0].WebhookID != a.ID {
		t.Fatalf("deliveries: %+v", res.Deliveries)
	}
	res = publish(t, s, herald.PublishParams{Type: "webhook.enabled"})
	if len(res.Deliveries) != 2 {
		t.Fatalf("without exclusion: %+v", res.Deliveries)
	}
}
