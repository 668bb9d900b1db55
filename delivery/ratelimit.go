package delivery

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// MaxRateSnooze is the longest a job held back by its webhook's rate
// limit sleeps before it looks again, so that a PATCH that raises or
// removes the limit takes effect within it.
const MaxRateSnooze = 5 * time.Second

// rateHold is the send slot a job reserved and sleeps until, kept in the
// job's recorded output so that it comes back, on any node, to the slot
// it holds rather than taking another. It is valid while the delivery has
// made Attempts attempts and the limit's interval is still Interval.
type rateHold struct {
	Slot     time.Time     `json:"rate_slot"`
	Interval time.Duration `json:"rate_interval"`
	Attempts int           `json:"rate_attempts"`
}

// rateSlot waits for the job's send slot under its webhook's rate limit,
// shared by every node through the store (herald.RateLimitStore). Each
// attempt reserves one slot, the next free one; a slot at most MaxWait
// ahead is waited for here, a later one by snoozing until it (at most
// MaxRateSnooze at a time), uncounted. It returns true when the attempt
// may be made now, or false and how long to snooze. An unlimited webhook
// passes at once.
func (w *Worker) rateSlot(ctx context.Context, job *river.Job[queue.DeliveryArgs], task *herald.DeliveryTask) (bool, time.Duration, error) {
	wh := task.Webhook
	if wh.RateLimit == nil {
		return true, 0, nil
	}
	if inBatch(ctx) {
		// A batch hands the delivery to a job of its own, which reserves
		// its slot and keeps it.
		return false, 0, nil
	}
	interval := herald.RateInterval(wh.RateLimit)
	hold, held := holdOf(job)
	if !held || hold.Interval != interval || hold.Attempts != task.Delivery.Attempts {
		slot, err := w.Store.TakeRateSlot(ctx, herald.RateSlotParams{
			Ref: herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID}, Interval: interval, Now: time.Now(),
		})
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return true, 0, nil // deleted meanwhile: the reload before the send sees it
		} else if err != nil {
			return false, 0, err
		}
		hold = rateHold{Slot: slot, Interval: interval, Attempts: task.Delivery.Attempts}
	}
	maxWait := w.MaxWait
	if maxWait == 0 {
		maxWait = DefaultMaxWait
	}
	if wait := time.Until(hold.Slot); wait > max(maxWait, 0) {
		// Keep the slot for when the job comes back; outside a worker
		// (tests calling Work) it cannot be kept and is taken anew.
		_ = river.RecordOutput(ctx, hold)
		return false, min(wait, MaxRateSnooze), nil
	} else if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			_ = river.RecordOutput(ctx, hold)
			return false, 0, nil // shutting down: the job comes back uncounted
		}
	}
	if held {
		_ = river.RecordOutput(ctx, nil) // the slot is used
	}
	return true, 0, nil
}

// holdOf reads the slot the job holds, if any.
func holdOf(job *river.Job[queue.DeliveryArgs]) (rateHold, bool) {
	var h rateHold
	if job == nil || job.JobRow == nil || len(job.Metadata) == 0 {
		return h, false
	}
	var meta map[string]json.RawMessage
	if json.Unmarshal(job.Metadata, &meta) != nil {
		return h, false
	}
	out, ok := meta[rivertype.MetadataKeyOutput]
	if !ok || json.Unmarshal(out, &h) != nil || h.Slot.IsZero() {
		return rateHold{}, false
	}
	return h, true
}
