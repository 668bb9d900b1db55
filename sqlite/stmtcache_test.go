package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// TestLimitVariantsCached shows that a query whose LIMIT is a parameter is
// cached once per LIMIT value, so that binding another value never makes
// SQLite plan the statement again, and that its variants are bounded, the
// least recently used giving way.
func TestLimitVariantsCached(t *testing.T) {
	ctx := context.Background()
	db := openDB("file:" + filepath.Join(t.TempDir(), "cache.db"))
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	const limited = `SELECT v FROM t WHERE v <> ? ORDER BY id LIMIT ?`
	count := func(limit int) int {
		t.Helper()
		rows, err := db.QueryContext(ctx, limited, "x", limit)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		return n
	}
	c := onlyConn(t, db)

	for _, limit := range []int{1, 2, 1, 2, 3} {
		if got, want := count(limit), min(limit, 5); got != want {
			t.Fatalf("LIMIT %d: %d rows, want %d", limit, got, want)
		}
	}
	if got := len(c.variants[limited]); got != 3 {
		t.Fatalf("cached variants = %d, want one per LIMIT value: 3", got)
	}
	for limit := range maxLimitVariants + 4 {
		count(limit)
	}
	if got := len(c.variants[limited]); got != maxLimitVariants {
		t.Fatalf("cached variants = %d, want at most %d", got, maxLimitVariants)
	}
	if _, ok := c.stmts[string(append([]byte(limited), "\x003"...))]; ok {
		t.Fatal("the least recently used variant (LIMIT 3) is still cached")
	}
	// A query without a LIMIT parameter is cached once, whatever it binds.
	for i := range 3 {
		if _, err := db.ExecContext(ctx, `UPDATE t SET v = v WHERE id = ?`, i); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := c.stmts[`UPDATE t SET v = v WHERE id = ?`]; !ok {
		t.Fatal("a query without a LIMIT parameter is not cached under its own text")
	}
}

// SQLite took the statement journal's spill threshold: the package set it
// before any connection opened.
func TestStmtJournalSpillSet(t *testing.T) {
	if stmtJournalErr != nil {
		t.Fatal(stmtJournalErr)
	}
}

// TestCacheEvictsLeastRecentlyUsed: when the cache is full, the statement
// used least recently gives way, so that statements run once (such as the
// migrations') never keep out the ones that run all the time.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	db := openDB("file:" + filepath.Join(t.TempDir(), "cache.db"))
	defer db.Close()
	db.SetMaxOpenConns(1)
	const hot = `SELECT count(*) FROM t WHERE id > ?`
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	c := onlyConn(t, db)
	once := func(i int) string { return fmt.Sprintf("SELECT %d FROM t", i) }
	for i := range 2 * maxCachedStmts {
		var n int
		if err := db.QueryRowContext(ctx, hot, i).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, once(i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.stmts) != maxCachedStmts {
		t.Fatalf("%d statements cached, want the cache full: %d", len(c.stmts), maxCachedStmts)
	}
	if _, ok := c.stmts[hot]; !ok {
		t.Fatal("the statement run all the time was evicted")
	}
	if _, ok := c.stmts[once(2*maxCachedStmts-1)]; !ok {
		t.Fatal("the newest statement is not cached")
	}
	if _, ok := c.stmts[once(0)]; ok {
		t.Fatal("the oldest statement run once is still cached")
	}
}

// onlyConn returns the one connection of db, whose pool holds one.
func onlyConn(t *testing.T, db *sql.DB) *cachingConn {
	t.Helper()
	var c *cachingConn
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error { c = dc.(*cachingConn); return nil }); err != nil {
		t.Fatal(err)
	}
	return c
}
