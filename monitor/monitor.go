// Package monitor runs Herald's background checks as River periodic jobs:
// the heartbeat monitor, which marks running agents that went silent
// unresponsive, and the alert evaluator, which evaluates every active
// alert rule. River enqueues periodic jobs on its elected leader only, so
// each check runs once per cluster per interval, on whichever node takes
// the job; the stores make a check that runs twice harmless (a rule's
// state flips, and its event is published, once).
//
// The checks themselves (HeartbeatWorker.Check and AlertWorker.EvaluateAll)
// can be called directly, with any clock.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
)

// QueueName is the River queue of the monitor's jobs, apart from the
// deliveries so that a backlog of deliveries never delays a check.
const QueueName = "monitor"

// QueueWorkers is how many monitor jobs a node runs at once: one of each
// kind.
const QueueWorkers = 2

// Defaults and bounds of the intervals.
const (
	// DefaultAlertInterval is how often alert rules are evaluated
	// (--alert-interval).
	DefaultAlertInterval = 15 * time.Second
	// MaxHeartbeatInterval bounds how often the heartbeat monitor runs: a
	// third of the heartbeat timeout, at most this.
	MaxHeartbeatInterval = 10 * time.Second
	// RunTimeout bounds one run of a check.
	RunTimeout = time.Minute
)

// pageSize is how many rules EvaluateAll reads at once.
var pageSize = herald.MaxLimit

// HeartbeatInterval returns how often the heartbeat monitor runs for a
// heartbeat timeout: a third of it, at most MaxHeartbeatInterval. A
// timeout of 0 means herald.DefaultHeartbeatTimeout.
func HeartbeatInterval(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		timeout = herald.DefaultHeartbeatTimeout
	}
	return max(min(timeout/3, MaxHeartbeatInterval), time.Millisecond)
}

// Config sets the monitor's schedule.
type Config struct {
	// HeartbeatTimeout is how long a running agent may stay silent before
	// it is marked unresponsive; the check runs every
	// HeartbeatInterval(HeartbeatTimeout). Default
	// herald.DefaultHeartbeatTimeout (90s).
	HeartbeatTimeout time.Duration
	// AlertInterval is how often alert rules are evaluated. Default
	// DefaultAlertInterval (15s).
	AlertInterval time.Duration
}

// Queues returns the River queues the monitor's jobs need on a node that
// works jobs, for queue.Config.Queues.
func Queues() map[string]int { return map[string]int{QueueName: QueueWorkers} }

// PeriodicJobs returns the River periodic jobs of the two checks, for
// queue.Config.PeriodicJobs. Register the workers with Register.
func PeriodicJobs(c Config) []*river.PeriodicJob {
	alertEvery := c.AlertInterval
	if alertEvery <= 0 {
		alertEvery = DefaultAlertInterval
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(HeartbeatInterval(c.HeartbeatTimeout)),
			func() (river.JobArgs, *river.InsertOpts) { return HeartbeatArgs{}, nil }, nil),
		river.NewPeriodicJob(river.PeriodicInterval(alertEvery),
			func() (river.JobArgs, *river.InsertOpts) { return AlertArgs{}, nil }, nil),
	}
}

// Register adds the workers of the checks to workers.
func Register(workers *river.Workers, hb *HeartbeatWorker, al *AlertWorker) {
	river.AddWorker(workers, hb)
	river.AddWorker(workers, al)
}

// insertOpts puts a check on QueueName. A failed check is not retried: the
// next one comes an interval later.
func insertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueName, MaxAttempts: 1} }

// HeartbeatArgs is the River job of one heartbeat check.
type HeartbeatArgs struct{}

// Kind names the job in River.
func (HeartbeatArgs) Kind() string { return "herald.heartbeat" }

// InsertOpts puts the job on QueueName, with one attempt.
func (HeartbeatArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// AlertArgs is the River job of one evaluation of every active alert rule.
type AlertArgs struct{}

// Kind names the job in River.
func (AlertArgs) Kind() string { return "herald.alerts" }

// InsertOpts puts the job on QueueName, with one attempt.
func (AlertArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// HeartbeatWorker marks the running agents silent for longer than
// HeartbeatTimeout unresponsive (publishing their agent.status events).
type HeartbeatWorker struct {
	river.WorkerDefaults[HeartbeatArgs]

	Store herald.AgentStore
	// HeartbeatTimeout is how long a running agent may stay silent.
	// Default herald.DefaultHeartbeatTimeout (90s).
	HeartbeatTimeout time.Duration
	// Clock tells the time. Default herald.SystemClock.
	Clock herald.Clock
	// Logger receives a line per agent marked. Default slog.Default().
	Logger *slog.Logger
	// Checked, when set, is called after every check with the agents it
	// marked (tests wait on it).
	Checked func(marked []*herald.ReportResult, err error)
}

// Check marks the running agents last seen before now - HeartbeatTimeout
// unresponsive, and returns what it did.
func (w *HeartbeatWorker) Check(ctx context.Context) ([]*herald.ReportResult, error) {
	timeout := w.HeartbeatTimeout
	if timeout <= 0 {
		timeout = herald.DefaultHeartbeatTimeout
	}
	now := now(w.Clock)
	marked, err := w.Store.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: now.Add(-timeout), Now: now})
	if err != nil {
		err = fmt.Errorf("mark unresponsive agents: %w", err)
	}
	for _, r := range marked {
		if r.Agent != nil {
			logger(w.Logger).Info("agent unresponsive", "agent_id", r.Agent.ID, "tenant_id", string(r.Agent.TenantID), "last_seen", r.Agent.LastSeen)
		}
	}
	if w.Checked != nil {
		w.Checked(marked, err)
	}
	return marked, err
}

// Work runs one check.
func (w *HeartbeatWorker) Work(ctx context.Context, _ *river.Job[HeartbeatArgs]) error {
	_, err := w.Check(ctx)
	return err
}

// Timeout bounds one check by RunTimeout.
func (w *HeartbeatWorker) Timeout(*river.Job[HeartbeatArgs]) time.Duration { return RunTimeout }

// AlertWorker evaluates every active alert rule: its value over the
// window that ends now, whether that crosses its threshold, and the state
// that follows, which the store records, publishing alert.triggered or
// alert.resolved when it changes.
type AlertWorker struct {
	river.WorkerDefaults[AlertArgs]

	Store herald.AlertStore
	// Clock tells the time. Default herald.SystemClock.
	Clock herald.Clock
	// Logger receives a line per state change and per failed rule.
	// Default slog.Default().
	Logger *slog.Logger
	// Evaluated, when set, is called after every round with the results
	// of the rules it evaluated (tests wait on it).
	Evaluated func(results []*herald.AlertStateResult, err error)
}

// EvaluateAll evaluates every active rule at one instant, now by Clock,
// and returns the results, in the order of ListAlerts. A rule that fails
// is logged and left for the next round while the others go on; the error
// joins the failures. A rule deleted meanwhile is skipped.
func (w *AlertWorker) EvaluateAll(ctx context.Context) ([]*herald.AlertStateResult, error) {
	now := now(w.Clock)
	rules, err := w.activeRules(ctx)
	var (
		results []*herald.AlertStateResult
		errs    []error
	)
	if err != nil {
		errs = append(errs, err)
	}
	for _, r := range rules {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		res, err := w.evaluate(ctx, r, now)
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			continue
		} else if err != nil {
			logger(w.Logger).Warn("alert evaluation failed", "alert_id", r.ID, "error", err)
			errs = append(errs, err)
			continue
		}
		results = append(results, res)
		if res.Event != nil {
			logger(w.Logger).Info("alert "+res.Rule.State, "alert_id", r.ID, "tenant_id", string(r.TenantID), "name", r.Name, "metric", r.Metric,
				"value", valueOf(res.Rule.Value), "event_id", res.Event.ID)
		}
	}
	err = errors.Join(errs...)
	if w.Evaluated != nil {
		w.Evaluated(results, err)
	}
	return results, err
}

// activeRules pages through every rule and keeps the active ones.
func (w *AlertWorker) activeRules(ctx context.Context) ([]*herald.AlertRule, error) {
	var out []*herald.AlertRule
	for skip := 0; ; skip += pageSize {
		page, total, err := w.Store.ListAlerts(ctx, herald.AlertFilter{Tenancy: herald.AnyTenant(), Skip: skip, Limit: pageSize})
		if err != nil {
			return out, fmt.Errorf("list alerts: %w", err)
		}
		for _, r := range page {
			if r.IsActive {
				out = append(out, r)
			}
		}
		if len(page) < pageSize || skip+len(page) >= total {
			return out, nil
		}
	}
}

// evaluate computes one rule's value over [now - window, now) and records
// the state it gives.
func (w *AlertWorker) evaluate(ctx context.Context, r *herald.AlertRule, now time.Time) (*herald.AlertStateResult, error) {
	v, err := w.Store.AlertValue(ctx, herald.AlertQuery{Rule: r, Since: now.Add(-time.Duration(r.Window)), Now: now})
	if err != nil {
		return nil, fmt.Errorf("compute alert %s: %w", r.ID, err)
	}
	res, err := w.Store.SetAlertState(ctx, herald.AlertStateParams{AlertID: r.ID, Value: v, Triggered: r.Crossed(v), Now: now})
	if err != nil {
		return nil, fmt.Errorf("record alert %s: %w", r.ID, err)
	}
	return res, nil
}

// Work runs one round.
func (w *AlertWorker) Work(ctx context.Context, _ *river.Job[AlertArgs]) error {
	_, err := w.EvaluateAll(ctx)
	return err
}

// Timeout bounds one round by RunTimeout.
func (w *AlertWorker) Timeout(*river.Job[AlertArgs]) time.Duration { return RunTimeout }

func now(c herald.Clock) time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c.Now().UTC()
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

func valueOf(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
