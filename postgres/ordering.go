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

// aheadSQL finds a pending delivery of a line ahead of a place in it, on
// the deliveries_line index.
const aheadSQL = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = $1 AND ordering_key = $2
	AND status = 'pending' AND seq < $3)`

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
	var ahead bool
	if err := s.pool.QueryRow(ctx, aheadSQL, p.Line.WebhookID, p.Line.Key, p.Seq).Scan(&ahead); err != nil {
		return false, fmt.Errorf("select line: %w", err)
	}
	if !ahead {
		return true, nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin turn: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, lineLockSQL, p.Line.WebhookID, p.Line.Key); err != nil {
		return false, fmt.Errorf("lock line: %w", err)
	}
	if err := tx.QueryRow(ctx, aheadSQL, p.Line.WebhookID, p.Line.Key, p.Seq).Scan(&ahead); err != nil {
		return false, fmt.Errorf("select line: %w", err)
	}
	if !ahead {
		return true, nil
	}
	var c conds
	c.eq("id", p.DeliveryID)
	c.tenancy("tenant_id", p.Tenancy)
	if _, err := tx.Exec(ctx, `UPDATE deliveries SET held = true `+c.where()+` AND status = 'pending'`, c.args...); err != nil {
		return false, fmt.Errorf("hold delivery: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit turn: %w", err)
	}
	return false, nil
}
