package sqlite

import (
	"context"
	"database/sql"
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
	q := confined("tenant_id", p.Ref.Tenancy).and("id = ?", p.Ref.ID).and("is_active")
	res, err := s.db.ExecContext(ctx, `UPDATE webhooks SET is_active = 0, disabled_reason = ?, disabled_at = ?, updated_at = ? `+
		q.String(), append([]any{p.Reason, micros(now), micros(now)}, q.args...)...)
	if err != nil {
		return nil, false, fmt.Errorf("disable webhook: %w", err)
	}
	n, _ := res.RowsAffected()
	w, err := s.Webhook(ctx, p.Ref)
	if err != nil {
		return nil, false, err
	}
	return w, n > 0, nil
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
	streakFrom := int64(-1 << 62)
	for _, t := range []*time.Time{w.LastSuccessAt, w.EnabledAt} {
		if t != nil && micros(*t) > streakFrom {
			streakFrom = micros(*t)
		}
	}
	var first sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(a.started_at), count(DISTINCT a.delivery_id)
		FROM attempts a WHERE a.webhook_id = ? AND a.started_at > ? AND NOT a.success`,
		w.ID, streakFrom).Scan(&first, &h.FailedDeliveries); err != nil {
		return nil, fmt.Errorf("select failing streak: %w", err)
	}
	h.FailingSince = fromNull(first)
	return h, nil
}

// healthWindows sets the windows and the latency of h at now.
func (s *DB) healthWindows(ctx context.Context, h *herald.WebhookHealth, now time.Time) error {
	const from = ` FROM attempts a WHERE a.webhook_id = ? AND a.started_at >= ?`
	for _, win := range herald.HealthWindows {
		since := micros(now.Add(-win))
		hw := herald.HealthWindow{Window: herald.WindowName(win)}
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(a.success), 0)`+from,
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
	day := micros(now.Add(-24 * time.Hour))
	if n := h.Windows[1].Attempts; n > 0 {
		for _, pct := range []struct {
			p   float64
			out **int64
		}{{0.5, &h.LatencyP50MS}, {0.95, &h.LatencyP95MS}} {
			rank := herald.PercentileRank(n, pct.p)
			var v int64
			if err := s.rdb.QueryRowContext(ctx, `SELECT a.duration_ms`+from+` ORDER BY a.duration_ms LIMIT 1 OFFSET ?`,
				h.WebhookID, day, rank).Scan(&v); err != nil {
				return fmt.Errorf("select latency: %w", err)
			}
			*pct.out = &v
		}
	}
	return nil
}
