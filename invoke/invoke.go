// Package invoke hands messages to agents: Service implements
// herald.Invoker on a herald.Store and a runtime.Invoker, and Worker runs
// the invocations queued in async mode from River's InvokeQueue.
//
// An invocation is recorded before it runs, with its arrival events
// (user.message, agent.invoked), and finished with its outcome events
// (agent.completed, agent.message and agent.action; agent.failed; or
// agent.timeout), each in one store transaction. The event data:
//
//   - user.message {agent: {id, name}, user, room, content}: user and room
//     as the source gave them ({id, name} objects), null when unknown;
//   - agent.invoked {agent, request_id}: agent is the agent's id;
//   - agent.completed {agent, request_id, duration, response: {message}}:
//     duration in milliseconds;
//   - agent.message {agent: {id, name}, room, content}: room is the id of
//     the source's room (a string), null when unknown;
//   - agent.action {agent: {id, name}, room, action, content}: one per
//     action the runtime asked for, content as the runtime gave it;
//   - agent.timeout {agent, request_id, timeout}: timeout in seconds;
//   - agent.failed {agent, request_id, error}.
//
// An agent's name is its id when it has none.
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/runtime"
)

// DefaultQueueWorkers is how many async invocations a node runs at once
// (each agent is further capped by its runtime's MaxConcurrency).
const DefaultQueueWorkers = 100

// DefaultBusySnooze is Worker.BusySnooze when unset: how long a queued
// invocation waits before it tries again when its agent is at its cap.
const DefaultBusySnooze = time.Second

// Store is what the Service needs of herald.Store: the invocations and the
// agents they call.
type Store interface {
	herald.InvocationStore
	herald.AgentStore
}

// Service implements herald.Invoker. Set Store; the other fields have
// defaults. It is safe for concurrent use once in use; it must not be
// copied then.
type Service struct {
	// Store records invocations and publishes their events. Required.
	Store Store
	// Runtime calls the agents' runtimes. Default: a zero runtime.Invoker
	// (which refuses private addresses).
	Runtime *runtime.Invoker
	// Limiter caps each agent's invocations in flight at its runtime's
	// MaxConcurrency, on this node. Default: one of the Service's own.
	// Share it with every Service of the node.
	Limiter *runtime.Limiter
	// Clock stamps the invocations. Default herald.SystemClock.
	Clock herald.Clock
	// Logger receives a line per finished invocation. Default
	// slog.Default().
	Logger *slog.Logger
	// AllowExec lets agents' exec runtimes run (--allow-exec-runtime);
	// without it their invocations fail. Default false.
	AllowExec bool

	once sync.Once
}

// errExecDisabled fails the invocations of exec runtimes on a server that
// does not allow them.
var errExecDisabled = errors.New("exec runtimes are disabled on this server (--allow-exec-runtime)")

// init fills the defaults.
func (s *Service) init() {
	s.once.Do(func() {
		if s.Runtime == nil {
			s.Runtime = &runtime.Invoker{}
		}
		if s.Limiter == nil {
			s.Limiter = &runtime.Limiter{}
		}
		if s.Clock == nil {
			s.Clock = herald.SystemClock{}
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
	})
}

// Invoke records an invocation of p.Agent, the agent of tenant p.TenantID
// ("" the platform's; another tenant's agent is not found), and runs it
// (see herald.Invoker). p.Mode "" means sync and p.Source "" means
// "generic".
//
// In sync mode it first takes one of the agent's slots, waiting up to the
// runtime's timeout (EUNAVAILABLE "agent is busy" past it; nothing is
// recorded then, unless p.ReplyTo is set: then the invocation is recorded
// and returned as failed, like a failed run, and its reply says so), then
// records the invocation and runs it. The run and
// the records it makes do not end with ctx: a caller that hangs up does
// not cancel the agent's work, which stays bounded by its timeout.
//
// In async mode it records the invocation with its queued job and returns
// it (status queued); Worker runs it.
func (s *Service) Invoke(ctx context.Context, p herald.InvokeParams) (*herald.Invocation, error) {
	s.init()
	mode := p.Mode
	if mode == "" {
		mode = herald.ResponseSync
	}
	if mode != herald.ResponseSync && mode != herald.ResponseAsync {
		return nil, herald.Errorf(herald.EINVALID, "response_mode: must be %q or %q, got %q", herald.ResponseSync, herald.ResponseAsync, p.Mode)
	}
	if p.Agent == "" {
		return nil, herald.Errorf(herald.EINVALID, "agent: is required")
	}
	a, err := s.Store.Agent(ctx, herald.Ref{Tenancy: herald.OnlyTenant(p.TenantID), ID: p.Agent})
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, herald.Errorf(herald.ENOTFOUND, "agent %q not found", p.Agent)
	} else if err != nil {
		return nil, fmt.Errorf("load agent: %w", err)
	}
	if a.Runtime == nil {
		return nil, herald.Errorf(herald.EINVALID, "agent %q has no runtime", p.Agent)
	}
	rt := *a.Runtime
	rt.Normalize()

	var busy error
	if mode == herald.ResponseSync {
		release, err := s.acquire(ctx, a, rt)
		if err != nil && p.ReplyTo == nil {
			return nil, err
		}
		if err != nil {
			// Someone waits on the platform (a Discord interaction):
			// record the call as failed, so that the answer or the reply
			// tells them, instead of leaving them waiting.
			busy = err
		} else {
			defer release()
		}
	}

	inv, err := newInvocation(p, a, mode, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	// The records outlive the caller: once accepted, an invocation ends
	// with an outcome, whoever is still listening.
	wctx := context.WithoutCancel(ctx)
	if err := s.Store.CreateInvocation(wctx, herald.CreateInvocationParams{
		Invocation: inv, Events: ArrivalEvents(a, inv), Queue: mode == herald.ResponseAsync,
	}); err != nil {
		return nil, fmt.Errorf("create invocation: %w", err)
	}
	if mode == herald.ResponseAsync {
		return inv, nil
	}
	if busy != nil {
		return s.finish(wctx, a, inv, herald.InvocationOutcome{Status: herald.InvocationFailed, Error: herald.ErrorMessage(busy)}, 0)
	}
	started, err := s.Store.StartInvocation(wctx, inv.ID, s.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("start invocation: %w", err)
	}
	return s.run(wctx, a, rt, started)
}

// acquire takes one of the agent's slots, waiting up to the runtime's
// timeout.
func (s *Service) acquire(ctx context.Context, a *herald.Agent, rt herald.Runtime) (func(), error) {
	actx, cancel := context.WithTimeout(ctx, runtime.Timeout(rt))
	defer cancel()
	release, err := s.Limiter.Acquire(actx, limiterKey(a), rt.MaxConcurrency)
	if err != nil {
		return nil, herald.Errorf(herald.EUNAVAILABLE, "agent %q is busy: all %d of its slots stayed taken for %s; try again later", a.ID, rt.MaxConcurrency, runtime.Timeout(rt))
	}
	return release, nil
}

// limiterKey names an agent's slots in the Limiter: agent ids are unique
// within a tenant only, so a tenant's agent is keyed by its tenant too
// (the platform's by its id alone).
func limiterKey(a *herald.Agent) string {
	if a.TenantID == "" {
		return a.ID
	}
	return string(a.TenantID) + "\x00" + a.ID
}

// newInvocation builds the queued invocation of p for agent a, owned by
// a's tenant.
func newInvocation(p herald.InvokeParams, a *herald.Agent, mode string, now time.Time) (*herald.Invocation, error) {
	inv := &herald.Invocation{
		ID: herald.NewID(herald.PrefixInvocation, now), TenantID: a.TenantID, Agent: a.ID, Source: p.Source, Mode: mode,
		Status: herald.InvocationQueued, Message: p.Message, CreatedAt: now, ReplyTo: p.ReplyTo,
	}
	if inv.Source == "" {
		inv.Source = "generic"
	}
	ctxMap := p.Context
	if ctxMap == nil {
		ctxMap = map[string]any{}
	}
	var err error
	if inv.Context, err = json.Marshal(ctxMap); err != nil {
		return nil, herald.Errorf(herald.EINVALID, "context: cannot be encoded as JSON: %v", err)
	}
	if p.User != nil {
		if inv.User, err = json.Marshal(p.User); err != nil {
			return nil, herald.Errorf(herald.EINVALID, "user: cannot be encoded as JSON: %v", err)
		}
	}
	if p.Room != nil {
		if inv.Room, err = json.Marshal(p.Room); err != nil {
			return nil, herald.Errorf(herald.EINVALID, "room: cannot be encoded as JSON: %v", err)
		}
	}
	return inv, nil
}

// RunQueued runs the queued invocation id, as Worker does: it returns nil
// without running it when it is gone or no longer queued (it ran
// already), and river.JobSnooze(snooze) when its agent is at its cap. An
// agent deleted or left without a runtime since fails the invocation.
func (s *Service) RunQueued(ctx context.Context, id string, snooze time.Duration) error {
	s.init()
	inv, err := s.Store.Invocation(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		// Deleted, with its tenant: the job ends without a run.
		s.Logger.Warn("queued invocation not found", "invocation_id", id)
		return nil
	} else if err != nil {
		return fmt.Errorf("load invocation: %w", err)
	}
	if inv.Status == herald.InvocationRunning {
		return s.recoverRunning(ctx, inv)
	}
	if inv.Status != herald.InvocationQueued {
		return nil
	}
	a, err := s.invocationAgent(ctx, inv)
	var reason string
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		a, reason = &herald.Agent{ID: inv.Agent, TenantID: inv.TenantID}, fmt.Sprintf("agent %q not found", inv.Agent)
	case err != nil:
		return fmt.Errorf("load agent: %w", err)
	case a.Runtime == nil:
		reason = fmt.Sprintf("agent %q has no runtime", inv.Agent)
	}
	var rt herald.Runtime
	if reason == "" {
		rt = *a.Runtime
		rt.Normalize()
		release, ok := s.Limiter.TryAcquire(limiterKey(a), rt.MaxConcurrency)
		if !ok {
			return river.JobSnooze(snooze)
		}
		defer release()
	}
	wctx := context.WithoutCancel(ctx)
	started, err := s.Store.StartInvocation(wctx, id, s.Clock.Now())
	if herald.ErrorCode(err) == herald.ECONFLICT {
		return nil // another run took it
	} else if err != nil {
		return fmt.Errorf("start invocation: %w", err)
	}
	if reason != "" {
		_, err := s.finish(wctx, a, started, herald.InvocationOutcome{Status: herald.InvocationFailed, Error: reason}, 0)
		return err
	}
	// The run ends with ctx (the queue's shutdown), recorded as a failure.
	_, err = s.run(ctx, a, rt, started)
	return err
}

// invocationAgent loads the agent of an invocation, within the
// invocation's tenant.
func (s *Service) invocationAgent(ctx context.Context, inv *herald.Invocation) (*herald.Agent, error) {
	return s.Store.Agent(ctx, herald.Ref{Tenancy: herald.OnlyTenant(string(inv.TenantID)), ID: inv.Agent})
}

// run calls the runtime and records the outcome (the records do not end
// with ctx).
func (s *Service) run(ctx context.Context, a *herald.Agent, rt herald.Runtime, inv *herald.Invocation) (*herald.Invocation, error) {
	req := herald.InvocationRequest{
		InvocationID: inv.ID, Agent: inv.Agent, Message: inv.Message, Context: contextMap(inv.Context), Source: inv.Source,
	}
	start := time.Now()
	var resp *herald.InvocationResponse
	var err error
	if rt.Type == herald.RuntimeExec && !s.AllowExec {
		err = errExecDisabled
	} else {
		resp, err = s.Runtime.Invoke(ctx, rt, req)
	}
	dur := time.Since(start).Milliseconds()
	o := herald.InvocationOutcome{DurationMS: dur}
	switch {
	case err == nil:
		o.Status, o.Response = herald.InvocationCompleted, resp
	case errors.Is(err, runtime.ErrTimeout):
		o.Status, o.Error = herald.InvocationTimeout, herald.ErrorMessage(err)
	default:
		o.Status, o.Error = herald.InvocationFailed, herald.ErrorMessage(err)
	}
	return s.finish(context.WithoutCancel(ctx), a, inv, o, int(runtime.Timeout(rt)/time.Second))
}

// finish records o (its ID, Now and Events filled here) and logs it.
func (s *Service) finish(ctx context.Context, a *herald.Agent, inv *herald.Invocation, o herald.InvocationOutcome, timeoutSeconds int) (*herald.Invocation, error) {
	o.ID, o.Now = inv.ID, s.Clock.Now()
	o.Events = OutcomeEvents(a, inv, o, timeoutSeconds)
	if wantsReply(inv.ReplyTo, o) {
		o.Reply = &herald.ReplyJob{}
		if d := time.Duration(inv.ReplyTo.Delay); d > 0 {
			o.Reply.RunAt = inv.CreatedAt.Add(d)
		}
	}
	done, err := s.Store.FinishInvocation(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("finish invocation: %w", err)
	}
	s.Logger.Info("invocation finished", "invocation_id", inv.ID, "agent", inv.Agent, "status", o.Status,
		"duration_ms", o.DurationMS, "error", o.Error)
	return done, nil
}

// wantsReply reports whether an outcome is sent back to the platform at
// t: a response, always; a failure, only where someone waits for an
// answer (a deferred Discord interaction, a Slack response_url).
func wantsReply(t *herald.ReplyTarget, o herald.InvocationOutcome) bool {
	if t == nil {
		return false
	}
	if o.Status == herald.InvocationCompleted {
		return o.Response != nil && o.Response.Response != ""
	}
	return t.Provider == herald.ProviderDiscord || (t.Provider == herald.ProviderSlack && t.URL != "")
}

// contextMap decodes a stored context object ({} when empty or not an
// object).
func contextMap(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// Worker runs the async invocations queued on queue.InvokeQueue with
// Service.RunQueued. Register it with Register.
//
// An invocation runs at most once: StartInvocation moves it from queued to
// running in one transaction, and a job that finds it running already (a
// restart, or River rescuing a job that ran past RescueAfter) does
// nothing. One whose node crashed mid-run stays running.
type Worker struct {
	river.WorkerDefaults[queue.InvokeArgs]

	// Service runs the invocations. Required.
	Service *Service
	// BusySnooze is how long an invocation whose agent is at its cap waits
	// before it tries again. Default DefaultBusySnooze (1s).
	BusySnooze time.Duration
}

// Work runs one queued invocation.
func (w *Worker) Work(ctx context.Context, job *river.Job[queue.InvokeArgs]) error {
	snooze := w.BusySnooze
	if snooze <= 0 {
		snooze = DefaultBusySnooze
	}
	return w.Service.RunQueued(ctx, job.Args.InvocationID, snooze)
}

// interruptedGrace is how long past its runtime's timeout a running
// invocation may go unfinished before its job, run again by the queue's
// rescuer, takes it to be interrupted by a crash.
const interruptedGrace = 30 * time.Second

// recoverRunning handles a job whose invocation is already running: such a
// job runs again when the node running it died (at a SQLite server's
// restart, or once a PostgreSQL node has been silent for its dead-after),
// or when the run outlasted the queue's RescueAfter. Once the runtime's
// timeout and interruptedGrace have passed since it started, the run
// cannot still be going, and the invocation fails as interrupted; until
// then the job waits, so a run still going finishes it instead. It is never
// run a second time.
func (s *Service) recoverRunning(ctx context.Context, inv *herald.Invocation) error {
	wait, err := s.interruptStale(ctx, inv)
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

// interruptStale fails a running invocation as interrupted once its
// runtime's timeout and interruptedGrace have passed since it started;
// before that it returns how long is left.
func (s *Service) interruptStale(ctx context.Context, inv *herald.Invocation) (time.Duration, error) {
	a, err := s.invocationAgent(ctx, inv)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		a, err = &herald.Agent{ID: inv.Agent, TenantID: inv.TenantID}, nil
	} else if err != nil {
		return 0, fmt.Errorf("load agent: %w", err)
	}
	rt := herald.Runtime{TimeoutSeconds: herald.MaxRuntimeTimeoutSeconds}
	if a.Runtime != nil {
		rt = *a.Runtime
		rt.Normalize()
	}
	deadline := s.Clock.Now()
	if inv.StartedAt != nil {
		deadline = inv.StartedAt.Add(time.Duration(rt.TimeoutSeconds)*time.Second + interruptedGrace)
	}
	if wait := deadline.Sub(s.Clock.Now()); wait > 0 {
		return wait, nil
	}
	_, err = s.finish(context.WithoutCancel(ctx), a, inv, herald.InvocationOutcome{
		Status: herald.InvocationFailed, Error: "interrupted: the node running it stopped before it finished",
	}, 0)
	if herald.ErrorCode(err) == herald.ECONFLICT {
		return 0, nil // the run finished it meanwhile
	}
	return 0, err
}

// Sweep fails every running invocation whose run cannot still be going
// (see interruptStale): sync invocations, which have no job to rescue them,
// left running by a node that died. It returns how many it failed.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	s.init()
	failed, skip := 0, 0
	for {
		invs, _, err := s.Store.ListInvocations(ctx, herald.InvocationFilter{
			Tenancy: herald.AnyTenant(), Status: herald.InvocationRunning, Skip: skip, Limit: herald.MaxLimit,
		})
		if err != nil {
			return failed, fmt.Errorf("list running invocations: %w", err)
		}
		for _, inv := range invs {
			wait, err := s.interruptStale(ctx, inv)
			if err != nil {
				return failed, err
			}
			if wait > 0 {
				skip++ // still running: the next page starts after it
			} else {
				failed++
			}
		}
		if len(invs) < herald.MaxLimit {
			return failed, nil
		}
	}
}

// SweepInterval is how often the cluster's leader sweeps interrupted
// invocations.
const SweepInterval = time.Minute

// SweepArgs is the River job of one sweep.
type SweepArgs struct{}

// Kind names the job in River.
func (SweepArgs) Kind() string { return "herald.invocation_sweep" }

// InsertOpts puts sweeps on queue.InvokeQueue with one attempt: the next
// one comes SweepInterval later.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue.InvokeQueue, MaxAttempts: 1}
}

// SweepJob is the River periodic job that sweeps every SweepInterval, for
// queue.Config.PeriodicJobs; River runs periodic jobs on the
// elected leader only.
func SweepJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }, nil)
}

// SweepWorker runs sweeps for Service.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Service *Service
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.Service.Sweep(ctx)
	return err
}

// Queues returns the River queue the Worker needs on a node that works
// jobs, for queue.Config.Queues: queue.InvokeQueue with
// DefaultQueueWorkers (100) workers.
func Queues() map[string]int { return map[string]int{queue.InvokeQueue: DefaultQueueWorkers} }

// Register adds a Worker and a SweepWorker for s to workers.
func Register(workers *river.Workers, s *Service) {
	river.AddWorker(workers, &Worker{Service: s})
	river.AddWorker(workers, &SweepWorker{Service: s})
}
