package delivery

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
)

// afterFailure runs after a failed attempt of the active webhook wh at
// now: a 410 Gone turns it off at once; otherwise, with DisableAfter set,
// a failing streak at half of it publishes webhook.failing (once per
// streak), and one that has lasted all of it over enough deliveries turns
// the webhook off. Turning it off publishes webhook.disabled.
func (w *Worker) afterFailure(ctx context.Context, wh *herald.Webhook, res *Result, lastError string, now time.Time) error {
	ref := herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID}
	if res.StatusCode == http.StatusGone {
		return w.disable(ctx, ref, herald.DisabledGone, lastError, now)
	}
	if w.DisableAfter <= 0 {
		return nil
	}
	h, err := w.Store.WebhookHealth(ctx, herald.HealthParams{Ref: ref, Now: now, StreakOnly: true})
	if err != nil {
		return fmt.Errorf("read health: %w", err)
	}
	switch {
	case h.ShouldDisable(w.DisableAfter, now):
		return w.disable(ctx, ref, herald.DisabledFailing, lastError, now)
	case h.FailingSince != nil && !now.Before(h.FailingSince.Add(w.DisableAfter/2)):
		key := strconv.FormatInt(h.FailingSince.UnixMicro(), 10)
		if _, err := w.Store.PublishEvent(ctx, herald.WebhookEventParams(herald.EventWebhookFailing, wh, herald.DisabledFailing, lastError, key, now)); err != nil {
			return fmt.Errorf("publish %s: %w", herald.EventWebhookFailing, err)
		}
	}
	return nil
}

// disable turns the webhook off for reason and, when this call did,
// publishes webhook.disabled.
func (w *Worker) disable(ctx context.Context, ref herald.Ref, reason, lastError string, now time.Time) error {
	wh, changed, err := w.Store.DisableWebhook(ctx, herald.DisableParams{Ref: ref, Reason: reason, Now: now})
	if err != nil || !changed {
		return err
	}
	w.logger().Warn("webhook turned off", "webhook_id", wh.ID, "reason", reason, "last_error", lastError)
	key := strconv.FormatInt(wh.DisabledAt.UnixMicro(), 10)
	if _, err := w.Store.PublishEvent(ctx, herald.WebhookEventParams(herald.EventWebhookDisabled, wh, reason, lastError, key, now)); err != nil {
		return fmt.Errorf("publish %s: %w", herald.EventWebhookDisabled, err)
	}
	return nil
}
