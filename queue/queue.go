// Package queue holds Herald's River jobs: the kinds of job the stores
// insert and the workers run, with the queues they go on, and the River
// configuration every node shares. Storage and workers both import it, and
// neither imports the other.
package queue

import (
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// DeliveryQueue is the River queue that holds delivery jobs.
const DeliveryQueue = "deliveries"

// DeliveryArgs is the River job of one delivery attempt.
type DeliveryArgs struct {
	DeliveryID string `json:"delivery_id"`
	// Traceparent and Tracestate are the W3C trace context of the request
	// that queued the delivery, when tracing is on (see TracedDeliveryJob):
	// every attempt, on whichever node and however late, joins that trace.
	Traceparent string `json:"traceparent,omitempty"`
	Tracestate  string `json:"tracestate,omitempty"`
}

// Kind names the job in River.
func (DeliveryArgs) Kind() string { return "herald.deliver" }

// InsertOpts puts delivery jobs on DeliveryQueue. MaxAttempts bounds
// retries of infrastructure failures only (a database error); failed HTTP
// attempts are counted by Herald and snooze the job, which River does not
// count.
func (DeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DeliveryQueue, MaxAttempts: 25}
}

// DeliveryJob returns the River insert params of a delivery, due at runAt
// (the zero time for now).
func DeliveryJob(deliveryID string, runAt time.Time) river.InsertManyParams {
	p := river.InsertManyParams{Args: DeliveryArgs{DeliveryID: deliveryID}}
	if !runAt.IsZero() {
		p.InsertOpts = &river.InsertOpts{ScheduledAt: runAt}
	}
	return p
}

// Config tunes the River client that runs deliveries.
type Config struct {
	// Workers holds the job workers; nil makes an insert-only client (the
	// api role).
	Workers *river.Workers
	// MaxWorkers is the global worker pool: deliveries run at once on this
	// node. Default DefaultMaxWorkers (100).
	MaxWorkers int
	// PollInterval is how often the queue looks for due jobs when nothing
	// woke it. Default DefaultPollInterval (50ms).
	PollInterval time.Duration
	// RescueAfter is how long a job may stay running before it is taken to
	// be stuck and run again: the last resort, behind SQLite's re-queue at
	// start and PostgreSQL's node heartbeats. It must exceed
	// delivery.MinRescueAfter, so that no request still running is sent
	// again. Default DefaultRescueAfter (6m).
	RescueAfter time.Duration
	// Logger receives River's logs. Default slog.Default().
	Logger *slog.Logger
	// Queues are more River queues for this node to work besides
	// DeliveryQueue, with the workers of each (such as monitor.DeliveryQueue).
	// Ignored without Workers.
	Queues map[string]int
	// PeriodicJobs are River periodic jobs (such as the monitor's). River
	// enqueues them on the elected leader only, so each runs once per
	// cluster per interval, on whichever node takes the job. Their workers
	// must be in Workers before the queue starts. Ignored without Workers.
	PeriodicJobs []*river.PeriodicJob
}

// FetchCooldown is the shortest time between two job fetches of a queue on
// one node, and on PostgreSQL between two insert notifications of a queue
// from one node: 2ms. A job that comes within it of the last fetch waits
// for the next, and on PostgreSQL a job whose insert sent no notification
// waits for the next one or the poll, so it bounds the latency of a
// delivery on an idle queue; 10ms gave a p99 from publish to arrival over
// 20ms at 100 events/s, 2ms keeps it near 10ms with no measurable cost in
// throughput (see docs/benchmarks.md). Under load, fetches are bounded by
// the free worker slots anyway.
const FetchCooldown = 2 * time.Millisecond

// Defaults of Config.
const (
	// DefaultMaxWorkers is Config.MaxWorkers' default: 100.
	DefaultMaxWorkers = 100
	// DefaultPollInterval is Config.PollInterval's default: 50ms.
	DefaultPollInterval = 50 * time.Millisecond
	// DefaultRescueAfter is Config.RescueAfter's default: 6m.
	DefaultRescueAfter = 6 * time.Minute
)

// WithDefaults returns c with each unset field at its default.
func (c Config) WithDefaults() Config {
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = DefaultMaxWorkers
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = DefaultRescueAfter
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// RiverConfig returns the River configuration for qc, with defaults filled
// (see Config.WithDefaults).
func RiverConfig(qc Config) *river.Config {
	qc = qc.WithDefaults()
	cfg := &river.Config{
		Logger:               qc.Logger,
		FetchCooldown:        min(qc.PollInterval, FetchCooldown),
		FetchPollInterval:    qc.PollInterval,
		RescueStuckJobsAfter: qc.RescueAfter,
		// Each job bounds itself by its webhook's timeout.
		JobTimeout:                  -1,
		CompletedJobRetentionPeriod: time.Hour,
		Workers:                     qc.Workers,
	}
	if qc.Workers != nil {
		cfg.Queues = map[string]river.QueueConfig{DeliveryQueue: {MaxWorkers: qc.MaxWorkers}}
		for name, n := range qc.Queues {
			cfg.Queues[name] = river.QueueConfig{MaxWorkers: max(n, 1)}
		}
		cfg.PeriodicJobs = qc.PeriodicJobs
	}
	return cfg
}

// InvokeQueue is the River queue that holds async agent invocations.
const InvokeQueue = "invocations"

// InvokeArgs is the River job of one async agent invocation.
type InvokeArgs struct {
	InvocationID string `json:"invocation_id"`
}

// Kind names the job in River.
func (InvokeArgs) Kind() string { return "herald.invoke" }

// InsertOpts puts invocation jobs on InvokeQueue. MaxAttempts bounds
// retries of infrastructure failures; a runtime's failure is an outcome,
// recorded once.
func (InvokeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: InvokeQueue, MaxAttempts: 5}
}

// ReplyQueue is the River queue that holds replies to platforms.
const ReplyQueue = "replies"

// ReplyMaxAttempts is how many times a reply is tried before its
// invocation's reply_status is failed: 5.
const ReplyMaxAttempts = 5

// ReplyArgs is the River job that sends an invocation's response back to
// the platform it came from (herald.ReplyTarget). It holds no secret: the
// worker reads the target from the invocation and the bot token from its
// webhook.
type ReplyArgs struct {
	InvocationID string `json:"invocation_id"`
}

// Kind names the job in River.
func (ReplyArgs) Kind() string { return "herald.reply" }

// InsertOpts puts reply jobs on ReplyQueue, tried ReplyMaxAttempts times.
func (ReplyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: ReplyQueue, MaxAttempts: ReplyMaxAttempts}
}

// ReplyJob returns the River insert params of an invocation's
// reply, due at runAt (the zero time for now).
func ReplyJob(invocationID string, runAt time.Time) river.InsertManyParams {
	p := river.InsertManyParams{Args: ReplyArgs{InvocationID: invocationID}}
	if !runAt.IsZero() {
		p.InsertOpts = &river.InsertOpts{ScheduledAt: runAt}
	}
	return p
}
