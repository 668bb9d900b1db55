// Package postgres is Herald's PostgreSQL store: webhooks, events,
// deliveries and keys, and River's job tables, in one PostgreSQL database
// that several "herald serve" nodes share. Jobs are inserted in the same
// transaction as the rows they deliver, and idle workers are woken by
// LISTEN/NOTIFY rather than by polling alone.
//
// # Database URL and schema
//
// Open takes a URL or key=value string as pgx reads it, such as
//
//	postgres://herald:secret@db.example.com:5432/herald?sslmode=verify-full
//
// Besides libpq's own parameters it accepts pgxpool's (pool_max_conns,
// default max(4, CPUs); pool_min_conns; pool_max_conn_lifetime, …), and any
// other parameter is sent to the server as a run-time setting of every
// connection. That is how Herald is put in a schema other than the default
// ("$user", public): add search_path, as in
//
//	postgres://herald@db/app?sslmode=verify-full&search_path=herald
//
// (options=-csearch_path%3Dherald works too). Herald's tables, goose's
// version table and River's tables are all created unqualified in the first
// schema of the search_path, which must exist; River finds its tables and
// names its notification channels through current_schema(), so River's own
// Schema option stays empty. Two Heralds in two schemas of one database are
// independent.
//
// The connections must be session connections (a direct server or a
// session-mode pooler), because migrations hold an advisory lock and River
// keeps a LISTEN connection.
//
// # Tenants
//
// Every row a tenant owns carries its tenant_id, the empty string for the
// platform's own rows, and every query of such rows is confined by the
// Tenancy of its call. Creating a row for a tenant locks the tenant's row
// FOR KEY SHARE in the same transaction, so that it serializes with
// DeleteTenant.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationLockKey is the key of the session-level PostgreSQL advisory lock
// (pg_advisory_lock) that Open and Migrate hold while they apply Herald's
// and River's migrations: the bytes "herald" followed by 0x0001. Advisory
// locks are per database, not per schema, so Heralds in different schemas of
// one database take turns migrating, which costs nothing once migrated.
const MigrationLockKey int64 = 0x6865_7261_6c64_0001

// DB is the PostgreSQL store. It implements herald.Store. Every method may
// be called from several goroutines and several nodes at once.
type DB struct {
	pool  *pgxpool.Pool
	river *river.Client[pgx.Tx]
	clock herald.Clock
	// writer runs publishes and recorded attempts in group transactions.
	writer *groupWriter
	// eventTypes keeps the catalogue entries read, while notified of
	// changes.
	eventTypes *eventTypeCache

	// Node liveness, on nodes that work jobs (see node.go).
	works         bool
	nodeHeartbeat time.Duration
	logger        *slog.Logger
	stopBeats     chan struct{} // closed by Stop; nil when not started
	beatsDone     chan struct{}
}

var _ herald.Store = (*DB)(nil)

// Options configures Open.
type Options struct {
	// Queue configures River (see queue.RiverConfig for its defaults).
	// Its Workers may be nil for an insert-only node.
	Queue queue.Config
	// Clock tells the time of new rows. Default herald.SystemClock.
	Clock herald.Clock
	// NodeHeartbeat is how often a node that works jobs writes its
	// heartbeat to herald_nodes, and how often the leader looks for dead
	// nodes. Default DefaultNodeHeartbeat (5s).
	NodeHeartbeat time.Duration
	// NodeDeadAfter is how long a node may go without a heartbeat before
	// the leader makes its running jobs available again
	// (RequeueDeadNodes). Default DefaultNodeDeadAfter (20s).
	NodeDeadAfter time.Duration
}

// Open connects to the database at url (see the package documentation for
// the URL and its search_path), applies Herald's and River's pending
// migrations under MigrationLockKey, and prepares the River client with
// LISTEN/NOTIFY. Call Start to begin working jobs, and Stop, then Close,
// when done.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.Clock == nil {
		opts.Clock = herald.SystemClock{}
	}
	pool, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	s := &DB{pool: pool, clock: opts.Clock, works: opts.Queue.Workers != nil,
		nodeHeartbeat: cmp.Or(opts.NodeHeartbeat, DefaultNodeHeartbeat), logger: cmp.Or(opts.Queue.Logger, slog.Default())}
	if err := migrate(ctx, pool, opts.Queue); err != nil {
		pool.Close()
		return nil, err
	}
	cfg := queue.RiverConfig(opts.Queue)
	if s.works {
		river.AddWorker(opts.Queue.Workers, &nodeSweepWorker{db: s, logger: s.logger,
			deadAfter: cmp.Or(opts.NodeDeadAfter, DefaultNodeDeadAfter)})
		cfg.Queues[NodeQueue] = river.QueueConfig{MaxWorkers: 1}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, nodeSweepJob(s.nodeHeartbeat))
	}
	s.river, err = river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("create queue client: %w", err)
	}
	s.writer = newGroupWriter(pool, s.river)
	s.eventTypes = newEventTypeCache()
	go s.eventTypes.listen(pool.Config().ConnConfig.Copy())
	return s, nil
}

// Migrate applies every pending migration, Herald's and River's, to the
// database at url and disconnects: "herald migrate". Like Open, it holds
// MigrationLockKey meanwhile, so it is safe while nodes start.
func Migrate(ctx context.Context, url string) error {
	pool, err := connect(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrate(ctx, pool, queue.Config{})
}

// connect makes the pool. Connections scan timestamptz values in UTC, as
// the SQLite store returns them, rather than in the local time zone.
func connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err) // pgx masks the password
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return pool, nil
}

// migrate applies Herald's migrations with goose and River's with
// rivermigrate while holding MigrationLockKey.
//
// Neither tool serializes concurrent runs by itself (rivermigrate takes no
// lock, and goose only with a session locker, which would not cover River),
// so when several nodes start at once they could all find a migration
// pending and all apply it. One session-level advisory lock around both is
// the simplest fix: it is taken on a connection of its own, outside the pool,
// and closing that connection releases the lock even when the unlock cannot
// be sent. The nodes that waited then find nothing pending.
func migrate(ctx context.Context, pool *pgxpool.Pool, qc queue.Config) error {
	lock, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect for migration lock: %w", err)
	}
	defer lock.Close(context.Background())
	var schema *string
	var searchPath string
	if err := lock.QueryRow(ctx, `SELECT current_schema(), current_setting('search_path')`).Scan(&schema, &searchPath); err != nil {
		return fmt.Errorf("select schema: %w", err)
	} else if schema == nil {
		return fmt.Errorf("select schema: no schema of search_path %q exists; create it first", searchPath)
	}
	if _, err := lock.Exec(ctx, `SELECT pg_advisory_lock($1)`, MigrationLockKey); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}

	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close() // does not close the pool
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate herald schema: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: qc.Logger})
	if err != nil {
		return fmt.Errorf("migrate queue schema: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue schema: %w", err)
	}

	if _, err := lock.Exec(ctx, `SELECT pg_advisory_unlock($1)`, MigrationLockKey); err != nil {
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}

// Start begins working queued jobs, when Options.Queue had workers. Such a
// node first writes its heartbeat, then writes one every
// Options.NodeHeartbeat until Stop.
func (s *DB) Start(ctx context.Context) error {
	if s.works && s.stopBeats == nil {
		if err := s.Heartbeat(ctx); err != nil {
			return err
		}
		s.stopBeats, s.beatsDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(s.beatsDone)
			s.heartbeats(s.nodeHeartbeat, s.stopBeats, s.logger)
		}()
	}
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// Stop stops taking jobs and waits for running ones until ctx ends; then it
// cancels them (waiting up to 10 more seconds), and River puts them back in
// the queue. Stopping a queue that was never started does nothing.
func (s *DB) Stop(ctx context.Context) error {
	err := s.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = s.river.StopAndCancel(stopCtx)
	}
	if s.stopBeats != nil {
		close(s.stopBeats)
		<-s.beatsDone
		s.stopBeats = nil
		if err == nil {
			// Stopped cleanly: nothing of this node's is running any more.
			forgetCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			err = s.forget(forgetCtx)
		}
	}
	if err != nil {
		return fmt.Errorf("stop queue: %w", err)
	}
	return nil
}

// Close waits for the group of writes running, if any (the writes still
// queued fail), then closes the connection pool, waiting for borrowed
// connections to be returned. Stop the queue first.
func (s *DB) Close() error {
	s.writer.close()
	s.eventTypes.close()
	s.pool.Close()
	return nil
}

// Ready returns nil when the database answers and goose's version table has
// reached the newest embedded migration, and an EUNAVAILABLE *herald.Error
// otherwise.
func (s *DB) Ready(ctx context.Context) error {
	want, err := latestMigration()
	if err != nil {
		return err
	}
	if err := s.pool.Ping(ctx); err != nil {
		return herald.Errorf(herald.EUNAVAILABLE, "database: %s", err)
	}
	var have *int64
	err = s.pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&have)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return herald.Errorf(herald.EUNAVAILABLE, "database: not migrated; run herald migrate")
	} else if err != nil {
		return herald.Errorf(herald.EUNAVAILABLE, "database: %s", err)
	}
	if have == nil || *have < want {
		n := int64(0)
		if have != nil {
			n = *have
		}
		return herald.Errorf(herald.EUNAVAILABLE, "database: at migration %d of %d; run herald migrate", n, want)
	}
	return nil
}

// latestMigration returns the number of the newest embedded migration.
func latestMigration() (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return 0, fmt.Errorf("read migrations: %w", err)
	}
	var latest int64
	for _, e := range entries {
		n, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err == nil && n > latest {
			latest = n
		}
	}
	return latest, nil
}

// QueueDepth counts the work waiting to run in River's jobs (available,
// scheduled or retryable): one for each job, or its deliveries for a batch.
func (s *DB) QueueDepth(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(CASE WHEN kind = $1 THEN jsonb_array_length(args -> 'delivery_ids')
		ELSE 1 END), 0) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')`,
		queue.BatchArgs{}.Kind()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count queued jobs: %w", err)
	}
	return n, nil
}

// Enqueue queues one job of args now, on the queue its InsertOpts name,
// for the nodes that work it (a periodic job run out of turn).
func (s *DB) Enqueue(ctx context.Context, args river.JobArgs) error {
	if _, err := s.river.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("queue %s: %w", args.Kind(), err)
	}
	return nil
}
