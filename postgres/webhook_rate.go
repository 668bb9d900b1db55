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
// is created at the first attempt, moved p.Interval forward by each
// reservation under its row lock, and started afresh at p.Now when the
// interval changes. No lock is held beyond the statement.
func (s *DB) TakeRateSlot(ctx context.Context, p herald.RateSlotParams) (herald.RateSlot, error) {
	interval := p.Interval.Microseconds()
	if interval <= 0 {
		return herald.RateSlot{}, herald.Errorf(herald.EINVALID, "interval: must be positive")
	}
	now := p.Now.UTC().Truncate(time.Microsecond)
	var c conds
	c.eq("id", p.Ref.ID)
	c.tenancy("tenant_id", p.Ref.Tenancy)
	where := c.where()
	iv, nw, limit := c.arg(interval), c.arg(now), c.arg(now.Add(p.Ahead.Truncate(time.Microsecond)))
	var at time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO webhook_rate (webhook_id, interval_us, next_at)
		SELECT id, `+iv+`::bigint, `+nw+`::timestamptz + `+iv+`::bigint * interval '1 microsecond'
		FROM webhooks `+where+`
		ON CONFLICT (webhook_id) DO UPDATE SET
			next_at = (CASE WHEN webhook_rate.interval_us = excluded.interval_us
				THEN GREATEST(webhook_rate.next_at, excluded.next_at - excluded.interval_us * interval '1 microsecond')
				ELSE `+nw+`::timestamptz END) + excluded.interval_us * interval '1 microsecond',
			interval_us = excluded.interval_us
		WHERE webhook_rate.interval_us <> excluded.interval_us OR webhook_rate.next_at <= `+limit+`::timestamptz
		RETURNING next_at - interval_us * interval '1 microsecond'`, c.args...).Scan(&at)
	if err == nil {
		return herald.RateSlot{OK: true, At: at.UTC()}, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return herald.RateSlot{}, fmt.Errorf("take rate slot: %w", err)
	}
	// Nothing reserved: the webhook is missing, or its next slot is too far.
	var next *time.Time
	err = s.pool.QueryRow(ctx, `SELECT r.next_at FROM webhooks
		LEFT JOIN webhook_rate r ON r.webhook_id = webhooks.id `+where, c.args[:len(c.args)-3]...).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return herald.RateSlot{}, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", p.Ref.ID)
	} else if err != nil {
		return herald.RateSlot{}, fmt.Errorf("read rate slot: %w", err)
	}
	if next == nil {
		return herald.RateSlot{At: now}, nil
	}
	return herald.RateSlot{At: next.UTC()}, nil
}
