package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// DisableWebhook turns the active webhook p.Ref names off for p.Reason;
// it reports false, with the stored webhook, when it was off already.
func (s *DB) DisableWebhook(ctx context.Context, p herald.DisableParams) (*herald.Webhook, bool, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var c conds
	c.eq("id", p.Ref.ID)
	c.tenancy("tenant_id", p.Ref.Tenancy)
	c.add("is_active")
	set := `UPDATE webhooks SET is_active = false, disabled_reason = ` + c.arg(p.Reason) + `, disabled_at = ` + c.arg(now) +
		`, updated_at = ` + c.arg(now) + ` `
	tag, err := s.pool.Exec(ctx, set+c.where(), c.args...)
	if err != nil {
		return nil, false, fmt.Errorf("disable webhook: %w", err)
	}
	w, err := s.Webhook(ctx, p.Ref)
	if err != nil {
		return nil, false, err
	}
	return w, tag.RowsAffected() > 0, nil
}

// WebhookHealth counts the attempts of the webhook p.Ref names over
// herald.HealthWindows, their latency over 24h, and its failing streak.
func (s *DB) WebhookHealth(ctx context.Context, p herald.HealthParams) (*herald.WebhookHealth, error) {
	w, err := s.Webhook(ctx, p.Ref)
	if err != nil {
		return nil, err
	}
	h := &herald.WebhookHealth{WebhookID: w.ID, IsActive: w.IsActive, DisabledReason: w.DisabledReason, DisabledAt: w.DisabledAt}
	if !p.StreakOnly {
		if err := s.healthWindows(ctx, h, p.Now); err != nil {
			return nil, err
		}
	}
	var streakFrom time.Time
	for _, t := range []*time.Time{w.LastSuccessAt, w.EnabledAt} {
		if t != nil && t.After(streakFrom) {
			streakFrom = *t
		}
	}
	if err := s.pool.QueryRow(ctx, `SELECT min(a.started_at), count(DISTINCT a.delivery_id)
		FROM attempts a WHERE a.webhook_id = $1 AND a.started_at > $2 AND NOT a.success`,
		w.ID, streakFrom).Scan(&h.FailingSince, &h.FailedDeliveries); err != nil {
		return nil, fmt.Errorf("select failing streak: %w", err)
	}
	return h, nil
}

// healthWindows sets the windows and the latency of h at now.
func (s *DB) healthWindows(ctx context.Context, h *herald.WebhookHealth, now time.Time) error {
	const from = ` FROM attempts a WHERE a.webhook_id = $1 AND a.started_at >= $2`
	for _, win := range herald.HealthWindows {
		since := now.Add(-win)
		hw := herald.HealthWindow{Window: herald.WindowName(win)}
		if err := s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE a.success)`+from,
			h.WebhookID, since).Scan(&hw.Attempts, &hw.Succeeded); err != nil {
			return fmt.Errorf("count attempts: %w", err)
		}
		hw.Failed = hw.Attempts - hw.Succeeded
		if hw.Attempts > 0 {
			rate := float64(hw.Succeeded) / float64(hw.Attempts)
			hw.SuccessRate = &rate
		}
		h.Windows = append(h.Windows, hw)
	}
	if n := h.Windows[1].Attempts; n > 0 {
		for _, pct := range []struct {
			p   float64
			out **int64
		}{{0.5, &h.LatencyP50MS}, {0.95, &h.LatencyP95MS}} {
			var v int64
			if err := s.pool.QueryRow(ctx, `SELECT a.duration_ms`+from+` ORDER BY a.duration_ms LIMIT 1 OFFSET $3`,
				h.WebhookID, now.Add(-24*time.Hour), herald.PercentileRank(n, pct.p)).Scan(&v); err != nil {
				return fmt.Errorf("select latency: %w", err)
			}
			*pct.out = &v
		}
	}
	return nil
}
