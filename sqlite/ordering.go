package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// aheadSQL finds a pending delivery of a line ahead of a place in it, on
// the deliveries_line index.
const aheadSQL = `SELECT 1 FROM deliveries WHERE webhook_id = ? AND ordering_key = ? AND status = 'pending'
	AND seq < ? LIMIT 1`

// TakeTurn reports whether the delivery p names may be attempted now (see
// herald.OrderingStore). The common case, nothing ahead of it, is one read
// on the read pool. Otherwise the check is made again and the delivery held
// in one write transaction: SQLite's single writer orders it with the
// settling of the delivery ahead (RecordAttempt), so a release is never
// missed.
func (s *DB) TakeTurn(ctx context.Context, p herald.TurnParams) (bool, error) {
	ahead, err := lineAhead(ctx, s.rdb, p)
	if err != nil || !ahead {
		return err == nil, err
	}
	held := false
	err = s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		var err error
		if held, err = lineAhead(ctx, tx, p); err != nil || !held {
			return effects{}, err
		}
		q := confined("tenant_id", p.Tenancy).and("id = ?", p.DeliveryID)
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET held = 1 `+q.String()+` AND status = 'pending'`, q.args...)
		if err != nil {
			return effects{}, fmt.Errorf("hold delivery: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return effects{}, pendingNotFound(p.DeliveryID) // settled meanwhile
		}
		return effects{}, nil
	})
	if err != nil {
		return false, err
	}
	return !held, nil
}

// pendingNotFound is TakeTurn's error for a delivery that is not pending
// within the tenancy.
func pendingNotFound(id string) error {
	return herald.Errorf(herald.ENOTFOUND, "pending delivery %q not found", id)
}

// lineAhead reports whether a delivery of p's line before p's is pending,
// and fails with ENOTFOUND when p's delivery is not pending within
// p.Tenancy.
func lineAhead(ctx context.Context, q querier, p herald.TurnParams) (bool, error) {
	own := confined("tenant_id", p.Tenancy).and("id = ?", p.DeliveryID).and("status = 'pending'")
	var pending, ahead bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries `+own.String()+`), EXISTS (`+aheadSQL+`)`,
		append(own.args, p.Line.WebhookID, p.Line.Key, p.Seq)...).Scan(&pending, &ahead)
	if err != nil {
		return false, fmt.Errorf("select line: %w", err)
	}
	if !pending {
		return false, pendingNotFound(p.DeliveryID)
	}
	return ahead, nil
}

// releaseNext releases the first pending delivery of line when it is held,
// in tx, where the delivery ahead of it has just settled, and returns its
// job. When the first is not held, its job is still queued: it needs none.
func releaseNext(ctx context.Context, tx *sql.Tx, line herald.Line) ([]river.InsertManyParams, error) {
	var (
		id   string
		held bool
	)
	err := tx.QueryRowContext(ctx, `SELECT id, held FROM deliveries WHERE webhook_id = ? AND ordering_key = ?
		AND status = 'pending' ORDER BY seq LIMIT 1`, line.WebhookID, line.Key).Scan(&id, &held)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !held) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("select line: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET held = 0 WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("release delivery: %w", err)
	}
	return []river.InsertManyParams{queue.DeliveryJob(id, time.Time{})}, nil
}
