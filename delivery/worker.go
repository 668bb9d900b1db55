package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/queue"
)

// DefaultMaxInFlightPerWebhook caps the requests one webhook has in flight
// on one node, so that a slow endpoint cannot take the whole worker pool.
const DefaultMaxInFlightPerWebhook = 8

// Store is what the delivery workers need of herald.Store: deliveries and
// their lines, rate limits, and the webhooks they turn off, with the
// events that say so.
type Store interface {
	herald.DeliveryStore
	herald.OrderingStore
	herald.RateLimitStore
	herald.WebhookStore
	herald.EventStore
}

// Worker is the River worker that makes one delivery attempt per job run.
// A failed attempt with retries left records the next attempt time and
// snoozes the job until then; River does not count snoozes, Herald counts
// attempts itself.
type Worker struct {
	river.WorkerDefaults[queue.DeliveryArgs]

	Store   Store
	Sender  *Sender
	Metrics *metrics.Metrics // may be nil
	Logger  *slog.Logger     // default slog.Default()
	Clock   herald.Clock     // default the system clock
	// Schedule is the server-wide retry schedule (--retry-schedule); a
	// webhook's own schedule overrides it. Empty means
	// herald.DefaultRetrySchedule.
	Schedule herald.Durations
	// MaxInFlight caps requests in flight per webhook on this node.
	// Default DefaultMaxInFlightPerWebhook.
	MaxInFlight int
	// JobTimeout bounds one run of a job, a safety net behind the Sender's
	// per-webhook timeout. When it fires, the attempt is recorded as timed
	// out and counts toward the webhook's max_retries. River's rescuer runs
	// a job still running after RescueAfter again, so keep this well below
	// it (see MinRescueAfter). Default DefaultJobTimeout.
	JobTimeout time.Duration
	// DisableAfter turns a webhook off when every attempt has failed for
	// this long, with at least herald.MinFailedDeliveriesToDisable failed
	// deliveries (--disable-after); 0, the zero value, never does. A 410
	// Gone answer turns it off at once either way.
	DisableAfter time.Duration
	// Attempted, when set, is called after each recorded attempt (tests
	// wait on it).
	Attempted func(d *herald.Delivery)
	// MaxWait is how long a job whose webhook is at its cap may wait on
	// this node for a slot before it is snoozed instead. A job waits only
	// when the webhook's recent requests say a slot should free up within
	// MaxWait, so a slow endpoint never holds workers waiting. Waiting
	// instead of snoozing spares the queue a fetch and an update per turn.
	// Default DefaultMaxWait; negative never waits.
	MaxWait time.Duration
	// Tracer, when set, traces each attempt of a job that carries a trace
	// context (see queue.TracedDeliveryJob): a span per attempt, with the
	// HTTP client span of its request. Default nil: no spans, no
	// traceparent.
	Tracer trace.TracerProvider

	mu    sync.Mutex
	gates map[string]*gate
}

// reloadAfter is how long a job may wait for a send slot (its rate limit's
// or its webhook's cap) before it reloads its task before sending: a
// change to the webhook (disabled, deleted, a new URL or secret) reaches
// the sends queued behind its cap within about that long. Shorter waits,
// common under load, send with the task as read.
const reloadAfter = 100 * time.Millisecond

// DefaultMaxWait is Worker.MaxWait's default.
const DefaultMaxWait = 250 * time.Millisecond

// Work makes one attempt of the job's delivery.
func (w *Worker) Work(ctx context.Context, job *river.Job[queue.DeliveryArgs]) error {
	ref := herald.Ref{Tenancy: herald.AnyTenant(), ID: job.Args.DeliveryID}
	task, err := w.Store.DeliveryTask(ctx, ref)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		// The delivery was deleted, with its webhook or its tenant:
		// the job ends without a send.
		w.logger().Debug("delivery gone; job dropped", "delivery_id", job.Args.DeliveryID)
		return nil
	} else if err != nil {
		return err
	}
	return w.workTask(ctx, job, task)
}

// workTask makes one attempt of the job's delivery, whose task is loaded.
func (w *Worker) workTask(ctx context.Context, job *river.Job[queue.DeliveryArgs], task *herald.DeliveryTask) error {
	ref := herald.Ref{Tenancy: herald.AnyTenant(), ID: job.Args.DeliveryID}
	if task.Delivery.Status != herald.DeliveryPending {
		return nil // done already, by an earlier run of a duplicate job
	}
	if task.Turn != nil {
		// An ordered delivery waits for the ones ahead of it in its line.
		if ok, err := w.Store.TakeTurn(ctx, *task.Turn); herald.ErrorCode(err) == herald.ENOTFOUND {
			return nil // settled meanwhile, by an earlier run of a duplicate job, or deleted
		} else if err != nil {
			return err
		} else if !ok {
			// Held: the delivery ahead releases it, with a new job, once
			// it has succeeded or failed for good.
			return nil
		}
	}
	wh := task.Webhook
	now := w.now()
	var res *Result
	if !wh.IsActive {
		res = &Result{Err: errors.New(herald.DisabledErrorMessage)}
	} else {
		waitFrom := time.Now()
		if ok, retryIn, err := w.rateSlot(ctx, job, task); err != nil {
			return err
		} else if !ok {
			// Over the webhook's rate limit: wait, uncounted.
			return river.JobSnooze(retryIn)
		}
		if ok, retryIn := w.acquire(ctx, wh.ID); !ok {
			// The webhook is at its cap: come back later, uncounted.
			return river.JobSnooze(retryIn)
		}
		if time.Since(waitFrom) > reloadAfter {
			// It waited for a slot: its delivery, webhook or tenant may
			// have been deleted or changed meanwhile.
			var err error
			if task, err = w.Store.DeliveryTask(ctx, ref); err != nil || task.Delivery.Status != herald.DeliveryPending || !task.Webhook.IsActive {
				w.release(wh.ID, -1)
				if err != nil && herald.ErrorCode(err) != herald.ENOTFOUND {
					return err
				}
				if err == nil && task.Delivery.Status == herald.DeliveryPending {
					return river.JobSnooze(0) // disabled meanwhile: record it on the next run
				}
				return nil
			}
			wh = task.Webhook
		}
		now = w.now()
		sendCtx, span := w.startAttempt(ctx, job, task)
		res = w.Sender.Send(sendCtx, task, now)
		// The cap counts requests in flight: free the slot before recording.
		w.release(wh.ID, res.Duration)
		if ctx.Err() != nil && !res.Success() {
			if !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				// Shutting down: this attempt does not count. Put the job back.
				endAttempt(span, res)
				return river.JobSnooze(0)
			}
			// The job timeout fired: the attempt counts, as timed out.
			res.Err = fmt.Errorf("timed out after %s (the job timeout)", w.Timeout(job).Round(time.Millisecond))
		}
		endAttempt(span, res)
	}

	n := task.Delivery.Attempts + 1
	status, outcome := herald.DeliverySuccess, metrics.OutcomeSuccess
	var next *time.Time
	var delay time.Duration
	if !res.Success() {
		status, outcome = herald.DeliveryFailed, metrics.OutcomeFailed
		// 410 Gone is final: the webhook is turned off below.
		if n <= wh.MaxRetries && wh.IsActive && res.StatusCode != http.StatusGone {
			schedule := wh.RetrySchedule
			if len(schedule) == 0 {
				schedule = w.Schedule
			}
			delay = herald.NextRetryDelay(schedule, n, rand.Float64()*2-1, res.RetryAfter)
			t := now.Add(delay)
			status, outcome, next = herald.DeliveryPending, metrics.OutcomeRetry, &t
		}
	}
	attempt := &herald.Attempt{
		Number:          n,
		StartedAt:       now.UTC(),
		DurationMS:      res.Duration.Milliseconds(),
		ResponseHeaders: res.Header,
		ResponseBody:    res.Body,
		Success:         res.Success(),
	}
	if res.StatusCode != 0 {
		code := res.StatusCode
		attempt.StatusCode = &code
	}
	if res.Err != nil {
		attempt.Error = truncate(res.Err.Error(), herald.MaxErrorMessageLen)
	}
	// Record even when the job's context ends now: the request was made.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	result := herald.AttemptResult{DeliveryID: task.Delivery.ID, Attempt: attempt, Status: status, NextAttemptAt: next}
	if task.Turn != nil {
		result.Line = &task.Turn.Line
	}
	d, err := w.Store.RecordAttempt(recordCtx, result)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if m := w.Metrics; m != nil {
		m.Deliveries.WithLabelValues(outcome).Inc()
		m.AttemptDuration.WithLabelValues(boolLabel(attempt.Success)).Observe(res.Duration.Seconds())
	}
	w.logger().Debug("delivery attempt", "delivery_id", d.ID, "webhook_id", wh.ID, "attempt", d.Attempts,
		"status", d.Status, "status_code", res.StatusCode, "error", attempt.Error)
	if !attempt.Success && wh.IsActive {
		if err := w.afterFailure(recordCtx, wh, res, attempt.Error, now); err != nil {
			w.logger().Warn("check failing webhook", "webhook_id", wh.ID, "error", err)
		}
	}
	if w.Attempted != nil {
		w.Attempted(d)
	}
	if status == herald.DeliveryPending {
		if delay <= InRunRetry && w.timeLeft(ctx, wh) {
			// A retry due at once is made in this run: a snooze would
			// wait for River's next batch of completions.
			select {
			case <-time.After(delay):
				return w.Work(ctx, job)
			case <-ctx.Done():
			}
		}
		return river.JobSnooze(delay)
	}
	return nil
}

// InRunRetry is the longest retry delay that a job waits out in the run of
// the failed attempt, making the retry itself: 250ms. A longer delay
// snoozes the job. River applies snoozes in its batches of completed jobs,
// up to 250ms apart, so a snooze would add that much to a retry due at
// once, which holds up the deliveries behind it in an ordered line.
const InRunRetry = 250 * time.Millisecond

// timeLeft reports whether the run has time for another attempt to wh:
// its timeout and 15 seconds more before the job's deadline.
func (w *Worker) timeLeft(ctx context.Context, wh *herald.Webhook) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > time.Duration(wh.TimeoutSeconds)*time.Second+15*time.Second
}

// DefaultJobTimeout is the longest webhook timeout and 15 seconds more:
// 315s. A webhook's own timeout ends its request first; this bounds the run
// when something else hangs.
const DefaultJobTimeout = herald.MaxTimeoutSeconds*time.Second + 15*time.Second

// MinRescueAfter is the lowest RescueAfter that leaves a run cut off at
// DefaultJobTimeout 15 seconds to record its attempt before the queue's
// rescuer may take it to be stuck: 330s. A RescueAfter at or below it could
// send a request again while the first is still running.
const MinRescueAfter = DefaultJobTimeout + 15*time.Second

// Timeout is JobTimeout: each attempt is bounded by its webhook's timeout
// in the Sender, and this bounds the whole run.
func (w *Worker) Timeout(*river.Job[queue.DeliveryArgs]) time.Duration {
	if w.JobTimeout <= 0 {
		return DefaultJobTimeout
	}
	return w.JobTimeout
}

// gate is one webhook's share of the worker pool on this node: its
// requests in flight, the jobs waiting for a slot (oldest first), and how
// long its requests take.
type gate struct {
	inFlight int
	waiting  []chan struct{}
	avg      time.Duration // moving average of request durations
	lastDone time.Time     // when a request last finished, or the gate filled
}

// expectedWait estimates how long the job at position pos of the line
// waits for a slot: pos turns shared by limit slots, each turn as long as
// the average request or, when longer, the time since a request last
// finished (a hanging endpoint shows itself before any request ends).
func (g *gate) expectedWait(pos, limit int, now time.Time) time.Duration {
	turn := max(g.avg, now.Sub(g.lastDone))
	return turn * time.Duration(pos) / time.Duration(limit)
}

// acquire takes one of the webhook's slots. When all are taken it waits,
// up to MaxWait, if a slot is expected within it; otherwise, or when the
// wait runs out, it returns false and how long to snooze.
func (w *Worker) acquire(ctx context.Context, webhookID string) (bool, time.Duration) {
	limit := w.MaxInFlight
	if limit <= 0 {
		limit = DefaultMaxInFlightPerWebhook
	}
	maxWait := w.MaxWait
	if maxWait == 0 {
		maxWait = DefaultMaxWait
	}
	now := time.Now()
	w.mu.Lock()
	if w.gates == nil {
		w.gates = map[string]*gate{}
	}
	g := w.gates[webhookID]
	if g == nil {
		g = &gate{}
		w.gates[webhookID] = g
	}
	if g.inFlight < limit {
		g.inFlight++
		if g.inFlight == limit {
			g.lastDone = now
		}
		w.setInFlight(webhookID, g.inFlight)
		w.mu.Unlock()
		return true, 0
	}
	expected := g.expectedWait(len(g.waiting)+1, limit, now)
	if maxWait < 0 || expected > maxWait {
		w.mu.Unlock()
		return false, snoozeFor(expected)
	}
	turn := make(chan struct{}, 1)
	g.waiting = append(g.waiting, turn)
	w.mu.Unlock()

	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	select {
	case <-turn:
		return true, 0
	case <-timer.C:
	case <-ctx.Done():
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if i := slices.Index(g.waiting, turn); i >= 0 {
		g.waiting = slices.Delete(g.waiting, i, i+1)
		return false, snoozeFor(g.expectedWait(len(g.waiting)+1, limit, time.Now()))
	}
	return true, 0 // release handed this job a slot just now
}

// snoozeFor returns how long a job turned away by a full gate sleeps: about
// the expected wait, from 50ms to 5s, with jitter so the jobs spread out.
func snoozeFor(expected time.Duration) time.Duration {
	d := min(max(expected, 50*time.Millisecond), 5*time.Second)
	return d/2 + rand.N(d)
}

// release frees a slot after a request that took took (negative: a slot
// given back unused): the oldest waiting job gets it, or it goes back to
// the gate.
func (w *Worker) release(webhookID string, took time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	g := w.gates[webhookID]
	if g == nil {
		return
	}
	if took >= 0 {
		g.avg += (took - g.avg) / 8
		g.lastDone = time.Now()
	}
	if len(g.waiting) > 0 {
		turn := g.waiting[0]
		g.waiting = g.waiting[1:]
		turn <- struct{}{} // the slot passes on; inFlight stays
		return
	}
	g.inFlight--
	w.setInFlight(webhookID, g.inFlight)
	if g.inFlight <= 0 {
		delete(w.gates, webhookID)
	}
}

func (w *Worker) setInFlight(webhookID string, n int) {
	if w.Metrics != nil {
		w.Metrics.InFlight.WithLabelValues(webhookID).Set(float64(max(n, 0)))
	}
}

func (w *Worker) now() time.Time {
	if w.Clock == nil {
		return time.Now()
	}
	return w.Clock.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
