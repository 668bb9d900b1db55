package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// TakeRateSlot reserves the next free send slot of a rate-limited webhook
// in one upsert of its webhook_rate row: the row is made at the first
// attempt, moved p.Interval forward by each reservation, and started
// afresh at p.Now when the interval changes.
func (s *DB) TakeRateSlot(ctx context.Context, p herald.RateSlotParams) (time.Time, error) {
	now, interval := micros(p.Now), p.Interval.Microseconds()
	if interval <= 0 {
		return time.Time{}, herald.Errorf(herald.EINVALID, "interval: must be positive")
	}
	q := confined("tenant_id", p.Ref.Tenancy).and("id = ?", p.Ref.ID)
	args := append([]any{interval, now + interval}, q.args...)
	args = append(args, now, now)
	var at int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO webhook_rate (webhook_id, interval_us, next_at)
		SELECT id, ?, ? FROM webhooks `+q.String()+`
		ON CONFLICT (webhook_id) DO UPDATE SET
			next_at = (CASE WHEN webhook_rate.interval_us = excluded.interval_us
				THEN MAX(webhook_rate.next_at, ?) ELSE ? END) + excluded.interval_us,
			interval_us = excluded.interval_us
		RETURNING next_at - interval_us`, args...).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", p.Ref.ID)
	} else if err != nil {
		return time.Time{}, fmt.Errorf("take rate slot: %w", err)
	}
	return fromMicros(at), nil
}
