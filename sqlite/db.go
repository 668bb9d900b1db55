// Package sqlite is Herald's embedded store: one SQLite file in WAL mode
// holding webhooks, events, deliveries and keys, and River's job tables, so
// that "herald serve" needs no other process.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/typecache"
	"github.com/heraldhq/herald/queue"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite store. It implements herald.Store.
//
// SQLite takes one writer at a time, so every write (Herald's and River's)
// goes through a pool of one connection; reads use a pool of their own so
// the API never waits behind the queue.
type DB struct {
	path  string
	db    *sql.DB // the one writer, shared with River
	rdb   *sql.DB // readers
	river *river.Client[*sql.Tx]
	// driver wakes this node's workers after commits that queue jobs.
	driver *wakeDriver
	clock  herald.Clock
	// writer runs publishes and recorded attempts in group transactions.
	writer *groupWriter
	// checkpoints copies the WAL into the file beside the writer (see
	// checkpoint.go).
	checkpoints *checkpointer
	// reach keeps the webhooks each tenant's events may reach.
	reach reachCache
	// eventTypes keeps the catalogue entries read (see EventType).
	eventTypes *typecache.Cache
}

// Options configures Open.
type Options struct {
	// Queue configures River. Its Workers may be nil for an insert-only
	// node.
	Queue queue.Config
	// Clock defaults to the system clock.
	Clock herald.Clock
	// Synchronous is SQLite's synchronous pragma: "normal" (the default:
	// in WAL mode nothing committed is lost when the process crashes) or
	// "full" (nothing is lost on power failure either, at a cost in speed).
	Synchronous string
}

// ParseURL turns a database URL (sqlite:///abs/path, sqlite://rel/path,
// sqlite:path or a bare path) into a file path.
func ParseURL(u string) (string, error) {
	rest, ok := strings.CutPrefix(u, "sqlite:")
	if !ok {
		if strings.Contains(u, "://") {
			return "", fmt.Errorf("parse database URL: %q is not a sqlite URL", u)
		}
		return u, nil
	}
	rest = strings.TrimPrefix(rest, "//")
	if p, err := url.PathUnescape(rest); err == nil {
		rest = p
	}
	if rest == "" {
		return "", fmt.Errorf("parse database URL: %q names no file", u)
	}
	return rest, nil
}

// Open opens (creating it when missing) the SQLite file at path, applies
// Herald's and River's migrations, and prepares the River client. Call
// Start to begin working jobs and Close when done.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Clock == nil {
		opts.Clock = herald.SystemClock{}
	}
	sync := "NORMAL"
	switch strings.ToLower(opts.Synchronous) {
	case "", "normal":
	case "full":
		sync = "FULL"
	default:
		return nil, fmt.Errorf("open sqlite: synchronous must be normal or full, got %q", opts.Synchronous)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	if err := restrictFiles(path); err != nil {
		return nil, err
	}
	dsn := func(extra string) string {
		return "file:" + uriPath.Replace(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(" + sync + ")&_txlock=immediate" + extra
	}
	db := openDB(dsn(fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", WriterCheckpointPages)))
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	rdb := openDB(dsn("&_pragma=query_only(1)"))
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(4) // keep connections, and their cached statements
	s := &DB{path: path, db: db, rdb: rdb, clock: opts.Clock, eventTypes: typecache.New(eventTypeTTL, true)}
	var err error
	if err = s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	cfg := queue.RiverConfig(opts.Queue)
	cfg.PollOnly = true
	s.driver = newWakeDriver(db)
	s.river, err = river.NewClient[*sql.Tx](s.driver, cfg)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("create queue client: %w", err)
	}
	cdb := openDB(dsn("&_pragma=query_only(1)"))
	cdb.SetMaxOpenConns(1)
	cdb.SetMaxIdleConns(1)
	s.checkpoints = startCheckpointer(cdb)
	s.writer = newGroupWriter(db, s.river, func(jobs []river.InsertManyParams) {
		s.checkpoints.committed()
		s.driver.wake(jobs)
	})
	return s, nil
}

// Migrate applies every pending migration to the file at path and closes it:
// "herald migrate".
func Migrate(ctx context.Context, path string) error {
	s, err := Open(ctx, path, Options{})
	if err != nil {
		return err
	}
	return s.Close()
}

func (s *DB) migrate(ctx context.Context) error {
	p, err := s.goose()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate herald schema: %w", err)
	}
	m, err := rivermigrate.New(riversqlite.New(s.db), nil)
	if err != nil {
		return fmt.Errorf("migrate queue schema: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue schema: %w", err)
	}
	return nil
}

func (s *DB) goose() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, sub)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Start begins working queued jobs, when Options.Queue had workers.
func (s *DB) Start(ctx context.Context) error {
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// RequeueRunningJobs makes every job left running available again at
// once, and returns how many it moved. Only a process that holds the data
// dir's lock (LockDir) may call it, before Start: the lock proves that no
// other process is working them, so they were orphaned by a process that
// died. Their attempt counts and scheduled_at (past already, so they keep
// their place in line) stay; the next run counts one more attempt, as after
// River's own rescue.
func (s *DB) RequeueRunningJobs(ctx context.Context) (int, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("requeue running jobs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("requeue running jobs: %w", err)
	}
	return int(n), nil
}

// Stop stops taking jobs and waits for running ones until ctx ends; then
// it cancels them, and River puts them back in the queue.
func (s *DB) Stop(ctx context.Context) error {
	err := s.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = s.river.StopAndCancel(stopCtx)
	}
	if err != nil && !strings.Contains(err.Error(), "not started") {
		return fmt.Errorf("stop queue: %w", err)
	}
	return nil
}

// Close closes both pools, once the group of writes running, if any, is
// done (the writes still queued fail). Stop the queue first.
func (s *DB) Close() error {
	if s.writer != nil {
		s.writer.close()
	}
	var cerr error
	if s.checkpoints != nil {
		cerr = s.checkpoints.close()
	}
	return errors.Join(cerr, s.rdb.Close(), s.db.Close())
}

// Ready returns nil when the file answers and no migration is pending. It
// reads through the reader pool, so probes never wait behind the writer.
func (s *DB) Ready(ctx context.Context) error {
	want, err := latestMigration()
	if err != nil {
		return err
	}
	var have sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&have); err != nil {
		return herald.Errorf(herald.EUNAVAILABLE, "database: %s", err)
	}
	if have.Int64 < want {
		return herald.Errorf(herald.EUNAVAILABLE, "database: at migration %d of %d; run herald migrate", have.Int64, want)
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
	err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(sum(CASE WHEN kind = ? THEN json_array_length(args, '$.delivery_ids')
		ELSE 1 END), 0) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')`,
		queue.BatchArgs{}.Kind()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count queued jobs: %w", err)
	}
	return n, nil
}

// uriPath escapes what a "file:" URI would otherwise read as its query,
// fragment or an escape, so that a data dir holding "?", "#" or "%" opens
// the file it names.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Enqueue queues one job of args now, on the queue its InsertOpts name,
// for the nodes that work it (a periodic job run out of turn).
func (s *DB) Enqueue(ctx context.Context, args river.JobArgs) error {
	if _, err := s.river.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("queue %s: %w", args.Kind(), err)
	}
	return nil
}
