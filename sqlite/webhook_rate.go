package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
)

// TakeRateSlot reserves the next free send slot of a rate-limited webhook
// in one upsert of its webhook_rate row: the row is created at the first
// attempt, moved p.Interval forward by each reservation, and started
// afresh at p.Now when the interval changes.
func (s *DB) TakeRateSlot(ctx context.Context, p herald.RateSlotParams) (herald.RateSlot, error) {
	now, interval, ahead := micros(p.Now), p.Interval.Microseconds(), p.Ahead.Microseconds()
	if interval <= 0 {
		return herald.RateSlot{}, herald.Errorf(herald.EINVALID, "interval: must be positive")
	}
	q := confined("tenant_id", p.Ref.Tenancy).and("id = ?", p.Ref.ID)
	args := append([]any{interval, now + interval}, q.args...)
	args = append(args, now, now, now+ahead)
	var at int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO webhook_rate (webhook_id, interval_us, next_at)
		SELECT id, ?, ? FROM webhooks `+q.String()+`
		ON CONFLICT (webhook_id) DO UPDATE SET
			next_at = (CASE WHEN webhook_rate.interval_us = excluded.interval_us
				THEN MAX(webhook_rate.next_at, ?) ELSE ? END) + excluded.interval_us,
			interval_us = excluded.interval_us
		WHERE webhook_rate.interval_us <> excluded.interval_us OR webhook_rate.next_at <= ?
		RETURNING next_at - interval_us`, args...).Scan(&at)
	if err == nil {
		return herald.RateSlot{OK: true, At: fromMicros(at)}, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return herald.RateSlot{}, fmt.Errorf("take rate slot: %w", err)
	}
	// Nothing reserved: the webhook is missing, or its next slot is too far.
	var next sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT r.next_at FROM webhooks
		LEFT JOIN webhook_rate r ON r.webhook_id = webhooks.id `+q.String(), q.args...).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.RateSlot{}, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", p.Ref.ID)
	} else if err != nil {
		return herald.RateSlot{}, fmt.Errorf("read rate slot: %w", err)
	}
	return herald.RateSlot{At: fromMicros(next.Int64)}, nil
}
