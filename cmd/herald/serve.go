package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/eventschema"
	"github.com/heraldhq/herald/invoke"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/monitor"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/reply"
	"github.com/heraldhq/herald/runtime"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/tracing"
	"github.com/heraldhq/herald/ui"
)

func newServeCmd() *cobra.Command {
	cfg := DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Herald server",
		Long: `Run the Herald server: the REST API and the delivery workers, on an embedded
SQLite file that needs no setup. Every flag can also be set with a HERALD_*
environment variable (--allow-http is HERALD_ALLOW_HTTP) or a JSON config file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.load(cmd); err != nil {
				return err
			}
			m := NewMain(cfg)
			if err := m.Run(cmd.Context()); err != nil {
				m.Close()
				return err
			}
			<-cmd.Context().Done()
			m.Logger.Info("shutting down")
			return m.Close()
		},
	}
	cfg.bindFlags(cmd.Flags())
	return cmd
}

// Main is a running Herald server. Tests build one with NewMain, call Run
// (with Addr "127.0.0.1:0" for a free port) and Close.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Stdout receives the admin key printed on first start. Default os.Stdout.
	Stdout io.Writer
	// Attempted, when set before Run, is called after every recorded
	// delivery attempt on this node.
	Attempted func(*herald.Delivery)
	// Pruned, when set before Run, is called at the end of every pruning
	// of the history, with the time it pruned at and what it deleted.
	Pruned func(at time.Time, res herald.PruneResult, err error)
	// UIClock, when set before Run, is the clock of the web UI's sessions
	// and portal links. Default the system clock.
	UIClock herald.Clock
	// WrapHandler, when set before Run, wraps the HTTP handler of the
	// server (tests check every request and answer against the OpenAPI
	// document with it). Default none.
	WrapHandler func(http.Handler) http.Handler
	// Clock, when set before Run, tells the API and the delivery worker
	// the time (secret rotation grace periods, signature timestamps), and
	// the history pruning its retention. Default the system clock.
	Clock herald.Clock
	// MaxOperationRows, when set before Run, caps the deliveries one
	// recover, replay or replay-missing may queue. Default
	// herald.MaxOperationRows.
	MaxOperationRows int
	// OperationBatch, when set before Run, is how many rows each batch of
	// an operation reads. Default herald.DefaultOperationBatch.
	OperationBatch int
	// OperationBatched, when set before Run, is called after every batch
	// of an operation on this node.
	OperationBatched func(*herald.Operation)
	// TracerProvider, when set before Run, receives the server's spans
	// whatever the configuration says (tests set one that records them in
	// memory). Default: an OTLP exporter when --otel-endpoint or
	// OTEL_EXPORTER_OTLP_ENDPOINT is set, else no tracing at all.
	TracerProvider trace.TracerProvider

	// Invoker runs agent invocations (set by Run).
	Invoker *invoke.Service
	// AdminKey is the key created at first start ("" on later starts).
	AdminKey string
	Store    database
	Metrics  *metrics.Metrics
	HTTP     *http.Server
	listener net.Listener
	served   chan error
	jwt      *api.JWTVerifier // nil without --jwt-secret or --jwks-url
	pprof    *pprofServer     // nil without --pprof

	// traces is the tracer provider Run made, shut down by Close.
	traces *sdktrace.TracerProvider

	// locks are the data dir's, on SQLite.
	locks []*sqlite.DirLock
}

// PprofAddr is where --pprof serves the profiles ("" when off).
func (m *Main) PprofAddr() string {
	if m.pprof == nil {
		return ""
	}
	return m.pprof.Addr()
}

// NewMain returns a server for cfg, not yet running.
func NewMain(cfg Config) *Main {
	return &Main{Config: cfg, Logger: newLogger(cfg, os.Stderr), Stdout: os.Stdout}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// queueLogger is the logger of River's own lines: l itself at log level
// debug, and otherwise l with warnings and errors only.
func queueLogger(l *slog.Logger, level string) *slog.Logger {
	if level == "debug" {
		return l
	}
	return slog.New(minLevel{Handler: l.Handler(), min: slog.LevelWarn})
}

// minLevel is a slog.Handler that drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}

// Addr returns the address the API listens on, once Run has returned.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// URL returns the API's base URL, once Run has returned.
func (m *Main) URL() string { return "http://" + m.Addr() }

// PruneHistoryNow queues a pruning of the history at once, besides the
// hourly one, for a node that works the monitor queue; Pruned tells when
// it is done.
func (m *Main) PruneHistoryNow(ctx context.Context) error {
	return m.Store.Enqueue(ctx, monitor.HistoryPruneArgs{})
}

// Run opens and migrates the database, creates the first admin key when
// there is none, starts the workers and the HTTP server, and returns. Stop
// it with Close.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	if err := cfg.Validate(); err != nil {
		return err
	}
	schedule, _ := cfg.Schedule()
	allowedIPs, _ := herald.ParseIPPrefixes(cfg.AllowedIPs)         // checked by Validate
	trustedProxies, _ := herald.ParseIPPrefixes(cfg.TrustedProxies) // checked by Validate
	failureLimit, _ := parseRateLimit(cfg.InboundFailureLimit)      // checked by Validate
	if cfg.AllowHTTP {
		m.Logger.Warn("--allow-http is set: plain http:// webhook URLs are accepted; use it for development only")
	}
	if cfg.AllowPrivateTargets {
		m.Logger.Warn("--allow-private-targets is set: deliveries may reach loopback and private addresses; use it for development only")
	}
	m.Metrics = metrics.New()
	if m.Clock == nil {
		m.Clock = herald.SystemClock{}
	}
	workers := river.NewWorkers()
	var err error
	if m.TracerProvider == nil && tracing.Enabled(cfg.OTelEndpoint) {
		if m.traces, err = tracing.New(ctx, cfg.OTelEndpoint, Version); err != nil {
			return err
		}
		m.TracerProvider = m.traces
		m.Logger.Info("OpenTelemetry traces are on")
	}
	if m.locks, err = lockDataDir(cfg); err != nil {
		return err
	}
	m.Store, err = openDatabase(ctx, cfg, queue.Config{
		Workers:      workersFor(cfg.Role, workers),
		MaxWorkers:   cfg.Workers,
		PollInterval: cfg.PollInterval,
		RescueAfter:  cfg.RescueAfter,
		// River's own lines (such as its job counts every second) only at
		// --log-level debug; otherwise its warnings and errors.
		Logger: queueLogger(m.Logger, cfg.LogLevel).With("component", "queue"),
		// The queues of the monitor, invocations and replies, and the
		// periodic jobs (heartbeat, alerts, log pruning, invocation
		// sweep) the queue's leader enqueues; none on the api role.
		Queues: mergeQueues(monitor.Queues(), invoke.Queues(), reply.Queues(), queue.OperationQueues()),
		PeriodicJobs: append(monitor.PeriodicJobs(monitor.Config{HeartbeatTimeout: cfg.HeartbeatTimeout, AlertInterval: cfg.AlertInterval}),
			monitor.PruneJob(cfg.InboundLogRetention), invoke.SweepJob(), monitor.HistoryPruneJob()),
	})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	if db, ok := m.Store.(*sqlite.DB); ok {
		// The data dir's lock proves that no other process works these.
		n, err := db.RequeueRunningJobs(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			m.Logger.Warn("queued again the jobs a stopped server left running", "jobs", n)
		}
	}
	delivery.AddWorkers(workers, &delivery.Worker{
		Store:       m.Store,
		Sender:      delivery.NewSender("Herald/"+Version, cfg.AllowPrivateTargets),
		Metrics:     m.Metrics,
		Logger:      m.Logger.With("component", "delivery"),
		Schedule:    schedule,
		MaxInFlight: cfg.MaxInFlightPerWebhook,
		JobTimeout:  delivery.DefaultJobTimeout,
		Attempted:   m.Attempted,
		Clock:       m.Clock,
		Tracer:      m.TracerProvider,
		// Only nodes that deliver turn failing webhooks off.
		DisableAfter: cfg.DisableAfter,
	})
	river.AddWorker(workers, &delivery.OperationWorker{
		Store: m.Store, BatchSize: m.OperationBatch, Clock: m.Clock, Batched: m.OperationBatched,
		Logger: m.Logger.With("component", "operations"),
	})
	monitor.Register(workers,
		&monitor.HeartbeatWorker{Store: m.Store, HeartbeatTimeout: cfg.HeartbeatTimeout, Logger: m.Logger.With("component", "heartbeat")},
		&monitor.AlertWorker{Store: m.Store, Logger: m.Logger.With("component", "alerts")})
	river.AddWorker(workers, &monitor.PruneWorker{Store: m.Store, Retention: cfg.InboundLogRetention, MaxRows: cfg.InboundLogMaxRows, Logger: m.Logger.With("component", "inbound-prune")})
	river.AddWorker(workers, &monitor.HistoryPruneWorker{Store: m.Store, Retention: cfg.Retention, Clock: m.Clock,
		Pruned: m.Pruned, Logger: m.Logger.With("component", "history-prune")})
	// Agent invocations: sync ones run in the API's requests, async ones
	// from the queue (on nodes that work jobs).
	m.Invoker = &invoke.Service{
		Store:     m.Store,
		Runtime:   &runtime.Invoker{AllowPrivate: cfg.AllowPrivateTargets, UserAgent: "Herald/" + Version},
		Limiter:   &runtime.Limiter{},
		Logger:    m.Logger.With("component", "invoke"),
		AllowExec: cfg.AllowExecRuntime,
	}
	invoke.Register(workers, m.Invoker)
	// Replies to platforms (Slack, Telegram, Discord), queued with the
	// invocations' outcomes.
	reply.Register(workers, &reply.Worker{
		Store:       m.Store,
		Client:      delivery.NewHTTPClient(cfg.AllowPrivateTargets),
		DiscordAPI:  cfg.DiscordAPIURL,
		SlackAPI:    cfg.SlackAPIURL,
		TelegramAPI: cfg.TelegramAPIURL,
		AllowHTTP:   cfg.AllowHTTP,
		Schedule:    schedule,
		UserAgent:   "Herald/" + Version,
		Logger:      m.Logger.With("component", "reply"),
	})
	m.Metrics.RegisterQueueDepth(m.Store.QueueDepth)
	if err := m.ensureAdminKey(ctx); err != nil {
		return err
	}
	if _, err := m.Store.EnsureEventTypes(ctx, herald.EnsureEventTypesParams{Types: eventschema.Builtin(), Now: time.Now()}); err != nil {
		return fmt.Errorf("add the built-in event types: %w", err)
	}
	if cfg.Role != "worker" {
		m.ensureDefaultAgent(ctx)
	}
	if cfg.Role != "api" {
		// The queue outlives ctx: Close stops it gracefully. (River treats
		// the end of its start context as a hard stop.)
		if err := m.Store.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}

	if (cfg.JWTSecret != "" || cfg.JWKSURL != "") && cfg.Role != "worker" {
		m.jwt, err = api.NewJWTVerifier(api.JWTConfig{
			Secret: cfg.JWTSecret, JWKSURL: cfg.JWKSURL, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience,
			Logger: m.Logger.With("component", "jwt"),
		})
		if err != nil {
			return err
		}
	}
	var web *ui.UI
	var handler *api.Server
	if cfg.UI && cfg.Role != "worker" {
		web = ui.New(ui.Config{
			Store: m.Store, Logger: m.Logger.With("component", "ui"), URLPolicy: herald.URLPolicy{AllowHTTP: cfg.AllowHTTP},
			SessionTTL: cfg.UISessionTTL, FrameAncestors: cfg.UIFrameAncestors, Clock: m.UIClock,
			PublicURL: cfg.PublicURL, KeysChanged: func() { handler.ForgetKeys() },
			DisableAfter: cfg.DisableAfter, OperationJob: queue.OperationJob,
			Retention: cfg.Retention,
		})
	}
	handler = api.New(api.Config{
		Store:            m.Store,
		Clock:            m.Clock,
		DisableAfter:     cfg.DisableAfter,
		MaxOperationRows: m.MaxOperationRows,
		Metrics:          m.Metrics,
		Logger:           m.Logger.With("component", "api"),
		URLPolicy:        herald.URLPolicy{AllowHTTP: cfg.AllowHTTP},
		AllowExecRuntime: cfg.AllowExecRuntime,
		StrictEventTypes: cfg.StrictEventTypes,
		MaxBodyBytes:     cfg.MaxBodyBytes,
		WorkerOnly:       cfg.Role == "worker",
		JWT:              m.jwt,
		JWTTenantClaim:   cfg.JWTTenantClaim,
		Invoker:          m.Invoker,
		AllowedIPs:       allowedIPs,
		TrustedProxies:   trustedProxies,

		InboundFailureLimit: *failureLimit,
		UI:                  web,
	})
	var served http.Handler = handler
	if m.TracerProvider != nil {
		served = tracing.Handler(m.TracerProvider, served)
	}
	if m.WrapHandler != nil {
		served = m.WrapHandler(served)
	}
	m.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	m.HTTP = &http.Server{
		Handler:           served,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.HTTP.Serve(m.listener) }()
	if cfg.Pprof != "" {
		if m.pprof, err = startPprof(cfg.Pprof, m.Logger); err != nil {
			return err
		}
	}
	m.Logger.Info("herald is running", "addr", m.URL(), "role", cfg.Role, "database", databaseName(cfg), "version", Version)
	return nil
}

func workersFor(role string, w *river.Workers) *river.Workers {
	if role == "api" {
		return nil
	}
	return w
}

// ensureAdminKey creates the first admin key when the database has none,
// prints it once and writes it to <data-dir>/admin.key (mode 0600) so the
// CLI on this machine works with no setup.
func (m *Main) ensureAdminKey(ctx context.Context) error {
	key := herald.NewAPIKey("admin", herald.ScopeAdmin, time.Now())
	created, err := m.Store.CreateFirstAPIKey(ctx, key)
	if err != nil || !created {
		return err
	}
	m.AdminKey = key.Key
	path := filepath.Join(m.Config.DataDir, "admin.key")
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(key.Key+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin key: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Created the first admin API key (shown once; also saved to %s):\n\n    %s\n\n", path, key.Key)
	return nil
}

// ensureDefaultAgent registers the platform's herald.DefaultAgentID with
// the echo runtime when the platform has no agent with that id, so that
// seed 002's examples work out of the box. It only logs a failure: the
// server runs without it.
func (m *Main) ensureDefaultAgent(ctx context.Context) {
	name := "Default agent"
	_, err := m.Store.SaveAgent(ctx, herald.SaveAgentParams{
		Tenancy: herald.Platform(), ID: herald.DefaultAgentID, Create: true, Now: time.Now(),
		Input: herald.AgentInput{Name: &name, Runtime: &herald.Runtime{
			Type: herald.RuntimeEcho, TimeoutSeconds: herald.DefaultRuntimeTimeoutSeconds, MaxConcurrency: herald.DefaultMaxConcurrency,
		}},
	})
	if err != nil && herald.ErrorCode(err) != herald.ECONFLICT {
		m.Logger.Warn("could not register the default agent", "agent", herald.DefaultAgentID, "error", err)
	}
}

// mergeQueues returns the River queues of every map, for
// queue.Config.Queues.
func mergeQueues(all ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, q := range all {
		maps.Copy(out, q)
	}
	return out
}

// closeGrace is how long Close waits for the queue and the database past
// ShutdownTimeout.
const closeGrace = 30 * time.Second

// Close stops gracefully: the HTTP server stops taking requests and
// finishes those in flight, then the workers take no new deliveries and
// wait for running ones up to ShutdownTimeout; any still running then go
// back to the queue.
func (m *Main) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), max(m.Config.ShutdownTimeout, time.Second))
	defer cancel()
	if m.HTTP != nil {
		if err := m.HTTP.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop http: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve http: %w", err))
		}
		m.HTTP = nil
	}
	m.jwt.Close()
	m.jwt = nil
	if err := m.pprof.Close(); err != nil {
		errs = append(errs, fmt.Errorf("stop pprof: %w", err))
	}
	m.pprof = nil
	if m.Store != nil {
		store, stopQueue := m.Store, m.Config.Role != "api"
		m.Store = nil
		done := make(chan error, 1)
		go func() {
			var errs []error
			if stopQueue {
				errs = append(errs, store.Stop(ctx))
			}
			done <- errors.Join(append(errs, store.Close())...)
		}()
		// Stop cancels jobs still running at ShutdownTimeout and waits a
		// little more for them; past that, give up rather than hang.
		limit := max(m.Config.ShutdownTimeout, time.Second) + closeGrace
		select {
		case err := <-done:
			errs = append(errs, err)
		case <-time.After(limit):
			errs = append(errs, fmt.Errorf("close database: still busy after %s; exiting anyway", limit))
		}
	}
	if m.traces != nil {
		// Flush the spans still buffered.
		if err := m.traces.Shutdown(ctx); err != nil {
			m.Logger.Warn("flush traces", "error", err)
		}
		m.traces = nil
	}
	unlockAll(m.locks)
	m.locks = nil
	return errors.Join(errs...)
}
