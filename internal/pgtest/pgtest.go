// Package pgtest gives tests a fresh PostgreSQL schema on the database named
// by HERALD_TEST_POSTGRES_URL. Without the variable the tests that need it
// are skipped, saying so; with it set and the server unreachable they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the test database URL, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "HERALD_TEST_POSTGRES_URL"

// BaseURL returns the test database URL, skipping the test when it is unset.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests", Env)
	}
	return u
}

// Admin runs statements on the test database outside any test schema.
func Admin(t testing.TB, sql ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseURL(t))
	if err != nil {
		t.Fatalf("connect to %s: %v", Env, err)
	}
	defer conn.Close(context.Background())
	for _, q := range sql {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// Schema creates an empty schema with a random name, drops it with
// everything in it when the test ends, and returns its name and the test
// URL with search_path set to it. Register cleanups that close stores after
// calling Schema, so that they run before the drop.
func Schema(t testing.TB) (name, schemaURL string) {
	t.Helper()
	base := BaseURL(t)
	var b [8]byte
	rand.Read(b[:])
	name = "herald_test_" + hex.EncodeToString(b[:])
	Admin(t, "CREATE SCHEMA "+name)
	t.Cleanup(func() { Admin(t, "DROP SCHEMA "+name+" CASCADE") })
	if !strings.Contains(base, "://") { // key=value form
		return name, base + " search_path=" + name
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return name, u.String()
}
