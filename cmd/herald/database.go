package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/sqlite"
)

// database is a store with a queue to start and stop: *sqlite.DB or
// *postgres.DB.
type database interface {
	herald.Store
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Close() error
	// Enqueue queues one job now.
	Enqueue(ctx context.Context, args river.JobArgs) error
}

// isPostgres reports whether a database URL names PostgreSQL.
func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// checkDatabaseURL accepts sqlite URLs and paths, and postgres:// URLs.
func checkDatabaseURL(url string) error {
	if url == "" || isPostgres(url) {
		return nil
	}
	if _, err := sqlite.ParseURL(url); err != nil {
		return fmt.Errorf("database: %q is not supported; use sqlite:///path/to/herald.db or postgres://user@host/db", url)
	}
	return nil
}

// openDatabase opens (and migrates) the configured database. On error the
// database is nil, not a nil store of either engine, which Close would
// take for an open one.
func openDatabase(ctx context.Context, cfg Config, qc queue.Config) (database, error) {
	if isPostgres(cfg.Database) {
		db, err := postgres.Open(ctx, cfg.Database, postgres.Options{Queue: qc, NodeHeartbeat: cfg.NodeHeartbeat,
			NodeDeadAfter: cfg.NodeDeadAfter})
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, cfg.DatabasePath(), sqlite.Options{Synchronous: cfg.SQLiteSynchronous, Queue: qc})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// migrateDatabase applies the configured database's migrations.
func migrateDatabase(ctx context.Context, cfg Config) error {
	if isPostgres(cfg.Database) {
		return postgres.Migrate(ctx, cfg.Database)
	}
	return sqlite.Migrate(ctx, cfg.DatabasePath())
}

// databaseName describes the database for logs, without credentials.
func databaseName(cfg Config) string {
	if isPostgres(cfg.Database) {
		if i := strings.LastIndex(cfg.Database, "@"); i >= 0 {
			return "postgres://…@" + cfg.Database[i+1:]
		}
		return cfg.Database
	}
	return cfg.DatabasePath()
}

// lockDataDir makes the data dir readable by its owner only (mode 0700,
// also when it existed: it holds admin.key and, on SQLite, webhook secrets
// and bot tokens) and, on SQLite, takes the exclusive lock of one server
// on it, <data-dir>/herald.lock, and on the SQLite file's own directory
// when that is another. Unlock the locks returned when the server stops.
func lockDataDir(cfg Config) ([]*sqlite.DirLock, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict data dir: %w", err)
	}
	if isPostgres(cfg.Database) {
		return nil, nil
	}
	dirs := []string{cfg.DataDir}
	if d := filepath.Dir(cfg.DatabasePath()); !sameDir(d, cfg.DataDir) {
		dirs = append(dirs, d)
	}
	var locks []*sqlite.DirLock
	for _, d := range dirs {
		l, err := sqlite.LockDir(d)
		if err != nil {
			unlockAll(locks)
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

func unlockAll(locks []*sqlite.DirLock) {
	for _, l := range locks {
		_ = l.Unlock()
	}
}

// sameDir reports whether a and b name one directory.
func sameDir(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(ia, ib)
}
