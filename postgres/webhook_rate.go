package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// TakeRateSlot reserves the next free send slot of a rate-limited webhook
// in one upsert of its webhook_rate row, which every node shares: the row
// is made at the first attempt, moved p.Interval forward by each
// reservation under its row lock, and started afresh at p.Now when the
// interval changes. No lock is held beyond the statement.
func (s *DB) TakeRateSlot(ctx context.Context, p herald.RateSlotParams) (time.Time, error) {
	interval := p.Interval.Microseconds()
	if interval <= 0 {
		return time.Time{}, herald.Errorf(herald.EINVALID, "interval: must be positive")
	}
	var c conds
	c.eq("id", p.Ref.ID)
	c.tenancy("tenant_id", p.Ref.Tenancy)
	where := c.where()
	iv, now := c.arg(interval), c.arg(p.Now.UTC().Truncate(time.Microsecond))
	var at time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO webhook_rate (webhook_id, interval_us, next_at)
		SELECT id, `+iv+`::bigint, `+now+`::timestamptz + `+iv+`::bigint * interval '1 microsecond'
		FROM webhooks `+where+`
		ON CONFLICT (webhook_id) DO UPDATE SET
			next_at = (CASE WHEN webhook_rate.interval_us = excluded.interval_us
				THEN GREATEST(webhook_rate.next_at, `+now+`::timestamptz) ELSE `+now+`::timestamptz END)
				+ excluded.interval_us * interval '1 microsecond',
			interval_us = excluded.interval_us
		RETURNING next_at - interval_us * interval '1 microsecond'`, c.args...).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", p.Ref.ID)
	} else if err != nil {
		return time.Time{}, fmt.Errorf("take rate slot: %w", err)
	}
	return at.UTC(), nil
}
