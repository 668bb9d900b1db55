package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// lifecycleTests cover the endpoint lifecycle: secret rotation.
var lifecycleTests = map[string]func(t *testing.T, s herald.Store){
	"RotateWebhookSecret":         testRotateWebhookSecret,
	"RotateWebhookSecretConfined": testRotateWebhookSecretConfined,
}

func testRotateWebhookSecret(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := NewWebhook(t, s, []string{"*"})
	first := w.Secret
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	got, err := s.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: anyRef(w.ID), Secret: "whsec_bmV3LXNlY3JldA==", Grace: 24 * time.Hour, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	want := []herald.PreviousSecret{{Secret: first, ExpiresAt: t0.Add(24 * time.Hour)}}
	check := func(what string, w *herald.Webhook, secret string, rotated time.Time, prev []herald.PreviousSecret) {
		t.Helper()
		if w.Secret != secret || w.SecretRotatedAt == nil || !w.SecretRotatedAt.Equal(rotated) {
			t.Fatalf("%s: secret %q rotated %v, want %q at %v", what, w.Secret, w.SecretRotatedAt, secret, rotated)
		}
		if len(w.PreviousSecrets) != len(prev) {
			t.Fatalf("%s: previous secrets %+v, want %+v", what, w.PreviousSecrets, prev)
		}
		for i := range prev {
			if w.PreviousSecrets[i].Secret != prev[i].Secret || !w.PreviousSecrets[i].ExpiresAt.Equal(prev[i].ExpiresAt) {
				t.Fatalf("%s: previous secrets %+v, want %+v", what, w.PreviousSecrets, prev)
			}
		}
	}
	check("rotate answer", got, "whsec_bmV3LXNlY3JldA==", t0, want)
	read, err := s.Webhook(ctx, anyRef(w.ID))
	if err != nil {
		t.Fatal(err)
	}
	check("read back", read, "whsec_bmV3LXNlY3JldA==", t0, want)
	// The worker's task carries the old secrets too.
	res := publish(t, s, herald.PublishParams{Type: "agent.status"})
	task, err := s.DeliveryTask(ctx, anyRef(res.Deliveries[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	check("delivery task", task.Webhook, "whsec_bmV3LXNlY3JldA==", t0, want)
	if sec := task.Webhook.ValidPreviousSecrets(t0.Add(time.Hour)); len(sec) != 1 || sec[0] != first {
		t.Fatalf("valid at t0+1h: %v", sec)
	}
	if sec := task.Webhook.ValidPreviousSecrets(t0.Add(24 * time.Hour)); len(sec) != 0 {
		t.Fatalf("valid at expiry: %v", sec)
	}

	// An update keeps the rotation state.
	read.Name = "renamed"
	if err := s.UpdateWebhook(ctx, read); err != nil {
		t.Fatal(err)
	}
	read, _ = s.Webhook(ctx, anyRef(w.ID))
	check("after update", read, "whsec_bmV3LXNlY3JldA==", t0, want)

	// Six more rotations a minute apart keep the newest five old secrets.
	prev := "whsec_bmV3LXNlY3JldA=="
	for i := 1; i <= 6; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		secret := fmt.Sprintf("secret-%d-xyz", i)
		if got, err = s.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: anyRef(w.ID), Secret: secret, Grace: time.Hour, Now: at}); err != nil {
			t.Fatal(err)
		}
		want = append(want, herald.PreviousSecret{Secret: prev, ExpiresAt: at.Add(time.Hour)})
		prev = secret
	}
	want = want[len(want)-herald.MaxPreviousSecrets:]
	check("capped", got, "secret-6-xyz", t0.Add(6*time.Minute), want)

	// A rotation drops the expired ones; a grace of 0 adds none.
	at := t0.Add(time.Hour + 4*time.Minute + 30*time.Second)
	got, err = s.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: anyRef(w.ID), Secret: "secret-7-xyz", Now: at})
	if err != nil {
		t.Fatal(err)
	}
	check("expired dropped", got, "secret-7-xyz", at, want[len(want)-2:])
	read, _ = s.Webhook(ctx, anyRef(w.ID))
	check("expired dropped, read back", read, "secret-7-xyz", at, want[len(want)-2:])

	if _, err := s.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: anyRef("wh_missing"), Secret: "secret-8-xyz", Now: at}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("missing webhook: %v, want not found", err)
	}
}

// testRotateWebhookSecretConfined checks that a rotation reaches only the
// webhooks of its tenancy.
func testRotateWebhookSecretConfined(t *testing.T, s herald.Store) {
	ctx := context.Background()
	if _, err := s.PutTenant(ctx, &herald.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	w := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = "acme" })
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, tenancy := range map[string]herald.Tenancy{
		"zero": {}, "platform": herald.Platform(), "other tenant": herald.OnlyTenant("globex"),
	} {
		_, err := s.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: herald.Ref{Tenancy: tenancy, ID: w.ID}, Secret: "other-secret", Grace: time.Hour, Now: now})
		if herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("%s tenancy: %v, want not found", name, err)
		}
	}
	read, _ := s.Webhook(ctx, anyRef(w.ID))
	if read.Secret != w.Secret || read.SecretRotatedAt != nil || len(read.PreviousSecrets) != 0 {
		t.Fatalf("rotated from outside its tenancy: %+v", read)
	}
	got, err := s.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: herald.Ref{Tenancy: herald.OnlyTenant("acme"), ID: w.ID}, Secret: "acme-secret", Grace: time.Hour, Now: now})
	if err != nil || got.Secret != "acme-secret" || got.TenantID != "acme" || len(got.PreviousSecrets) != 1 {
		t.Fatalf("own tenancy: %+v %v", got, err)
	}
}
