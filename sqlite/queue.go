package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// QueueDeliveries queues a job of its own for each of p.Deliveries still
// pending, in a group transaction (see groupWriter); a delivery with a
// delivery job waiting or running gets none (queue.UniqueDeliveryJob).
func (s *DB) QueueDeliveries(ctx context.Context, p herald.QueueParams) error {
	if len(p.Deliveries) == 0 {
		return nil
	}
	ids := p.IDs()
	list, _ := json.Marshal(ids)
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM deliveries WHERE id IN (SELECT value FROM json_each(?))
			AND status = 'pending'`, string(list))
		if err != nil {
			return effects{}, fmt.Errorf("select deliveries: %w", err)
		}
		defer rows.Close()
		pending := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return effects{}, fmt.Errorf("scan delivery: %w", err)
			}
			pending[id] = true
		}
		if err := rows.Err(); err != nil {
			return effects{}, fmt.Errorf("select deliveries: %w", err)
		}
		return effects{jobs: queue.DeliveryJobs(p, pending)}, nil
	})
}
