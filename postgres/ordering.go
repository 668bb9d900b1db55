package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// lineLockSQL takes the transaction-level advisory lock of the line of
// webhook $1 and key $2. Publishes that add to a line, turns that hold a
// delivery in it and settles that release one all take it, so that a
// line's deliveries are numbered in the order they commit and no release
// is missed, whichever nodes they run on.
const lineLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))`

// lineKeySQL is the SQL of a new delivery's line key (see herald.LineKey)
// to webhook w, for an event of ordering key key (an SQL expression): ”
// for a fifo webhook, the key under key (NULL when it is ”), and NULL for
// an unordered webhook.
func lineKeySQL(key string) string {
	return `CASE w.ordering WHEN 'fifo' THEN '' WHEN 'key' THEN NULLIF(` + key + `, '') END`
}

// lockLines takes the locks of the lines the deliveries of ev to hooks join,
// in one statement, in a fixed order so that two publishes never wait on
// each other's.
func lockLines(ctx context.Context, tx pgx.Tx, ev *herald.Event, hooks []string) error {
	if _, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock(hashtextextended(l, 0))) FROM (
			SELECT id || '/' || CASE ordering WHEN 'fifo' THEN '' ELSE $2 END AS l FROM webhooks
			WHERE id = ANY($1) AND (ordering = 'fifo' OR (ordering = 'key' AND $2 <> ''))
			ORDER BY 1
		) lines`, hooks, ev.OrderingKey); err != nil {
		return fmt.Errorf("lock lines: %w", err)
	}
	return nil
}

// TakeTurn reports whether the delivery p names may be attempted now (see
// herald.OrderingStore). The common case, nothing ahead of it, is one read.
// Otherwise the check is made again and the delivery held in one
// transaction under the line's lock, which the settling of the delivery
// ahead (RecordAttempt) takes too.
func (s *DB) TakeTurn(ctx context.Context, p herald.TurnParams) (bool, error) {
	ahead, err := lineAhead(ctx, s.pool, p)
	if err != nil || !ahead {
		return err == nil, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin turn: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, lineLockSQL, p.Line.WebhookID, p.Line.Key); err != nil {
		return false, fmt.Errorf("lock line: %w", err)
	}
	if ahead, err = lineAhead(ctx, tx, p); err != nil || !ahead {
		return err == nil, err
	}
	var c conds
	c.eq("id", p.DeliveryID)
	c.tenancy("tenant_id", p.Tenancy)
	tag, err := tx.Exec(ctx, `UPDATE deliveries SET held = true `+c.where()+` AND status = 'pending'`, c.args...)
	if err != nil {
		return false, fmt.Errorf("hold delivery: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, pendingNotFound(p.DeliveryID) // settled meanwhile
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit turn: %w", err)
	}
	return false, nil
}

// pendingNotFound is TakeTurn's error for a delivery that is not pending
// within the tenancy.
func pendingNotFound(id string) error {
	return herald.Errorf(herald.ENOTFOUND, "pending delivery %q not found", id)
}

// lineAhead reports whether a delivery of p's line before p's is pending,
// and fails with ENOTFOUND when p's delivery is not pending within
// p.Tenancy.
func lineAhead(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, p herald.TurnParams) (bool, error) {
	var c conds
	c.eq("id", p.DeliveryID)
	c.tenancy("tenant_id", p.Tenancy)
	own := c.where()
	// The line's pending deliveries ahead, on the deliveries_line index.
	ahead := `webhook_id = ` + c.arg(p.Line.WebhookID) + ` AND ordering_key = ` + c.arg(p.Line.Key) +
		` AND status = 'pending' AND seq < ` + c.arg(p.Seq)
	var pending, isAhead bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries `+own+` AND status = 'pending'),
		EXISTS (SELECT 1 FROM deliveries WHERE `+ahead+`)`, c.args...).Scan(&pending, &isAhead)
	if err != nil {
		return false, fmt.Errorf("select line: %w", err)
	}
	if !pending {
		return false, pendingNotFound(p.DeliveryID)
	}
	return isAhead, nil
}
