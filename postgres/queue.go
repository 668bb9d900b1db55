package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// QueueDeliveries queues a job of its own for each of p.Deliveries still
// pending, in one transaction; a delivery with a delivery job waiting or
// running gets none (queue.UniqueDeliveryJob).
func (s *DB) QueueDeliveries(ctx context.Context, p herald.QueueParams) error {
	if len(p.Deliveries) == 0 {
		return nil
	}
	ids := p.IDs()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin queue deliveries: %w", err)
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, `SELECT id FROM deliveries WHERE id = ANY($1) AND status = 'pending'`, ids)
	if err != nil {
		return fmt.Errorf("select deliveries: %w", err)
	}
	pending := map[string]bool{}
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
		pending[id] = true
		return nil
	}); err != nil {
		return fmt.Errorf("select deliveries: %w", err)
	}
	jobs := queue.DeliveryJobs(p, pending)
	if len(jobs) > 0 {
		if _, err := s.river.InsertManyTx(ctx, tx, jobs); err != nil {
			return fmt.Errorf("queue deliveries: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit queue deliveries: %w", err)
	}
	return nil
}
