// Package delivery sends events to webhooks: it builds and signs each
// request, makes one attempt per queued job, records the outcome, and
// schedules retries. Jobs live in River, the database-backed queue, so an
// accepted delivery survives crashes and restarts.
package delivery

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

// WaitFirstAttempt polls a delivery until it has an attempt or wait ends,
// and returns it then (a Delivery with only its ID when it could not be
// read before wait ended). Polling works whichever node of a cluster makes
// the attempt.
func WaitFirstAttempt(ctx context.Context, store herald.DeliveryStore, ref herald.Ref, wait time.Duration) (*herald.Delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := store.Delivery(ctx, ref)
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		if err == nil && len(d.AttemptList) > 0 {
			return d, nil
		}
		select {
		case <-ctx.Done():
			if d == nil {
				d = &herald.Delivery{ID: ref.ID}
			}
			return d, nil
		case <-tick.C:
		}
	}
}
