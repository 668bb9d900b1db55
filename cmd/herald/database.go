package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/sqlite"
)

// database is a store with a queue to start and stop: *sqlite.DB or
// *postgres.DB.
type database interface {
	herald.Store
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Close() error
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

// openDatabase opens (and migrates) the configured database.
func openDatabase(ctx context.Context, cfg Config, queue delivery.QueueConfig) (database, error) {
	if isPostgres(cfg.Database) {
		return postgres.Open(ctx, cfg.Database, postgres.Options{Queue: queue})
	}
	return sqlite.Open(ctx, cfg.DatabasePath(), sqlite.Options{Synchronous: cfg.SQLiteSynchronous, Queue: queue})
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
