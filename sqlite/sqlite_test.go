package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/storetest"
)

func open(t *testing.T) herald.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestParseURL(t *testing.T) {
	cases := map[string]string{
		"sqlite:///var/lib/herald.db": "/var/lib/herald.db",
		"sqlite://data/h.db":          "data/h.db",
		"sqlite:h.db":                 "h.db",
		"/abs/h.db":                   "/abs/h.db",
	}
	for in, want := range cases {
		if got, err := sqlite.ParseURL(in); err != nil || got != want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := sqlite.ParseURL("postgres://x"); err == nil {
		t.Error("postgres URL accepted")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := storetest.NewWebhook(t, db, []string{"*"})
	db.Close()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Webhook(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: w.ID}); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestRequeueRunningJobs leaves one job running and one available, as a
// killed server leaves them: RequeueRunningJobs makes the running one
// available, keeps its attempt count, and leaves the other alone.
func TestRequeueRunningJobs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.NewWebhook(t, db, []string{"*"})
	for range 2 {
		if _, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE river_job SET state = 'running', attempt = 3, attempted_at = datetime('now'),
		attempted_by = json_array('dead') WHERE id = (SELECT min(id) FROM river_job)`); err != nil {
		t.Fatal(err)
	}
	n, err := db.RequeueRunningJobs(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RequeueRunningJobs = %d, %v; want 1", n, err)
	}
	rows, err := raw.Query(`SELECT state, attempt FROM river_job ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var state string
		var attempt int
		rows.Scan(&state, &attempt)
		got = append(got, fmt.Sprintf("%s/%d", state, attempt))
	}
	if want := []string{"available/3", "available/0"}; !slices.Equal(got, want) {
		t.Fatalf("jobs: %v, want %v", got, want)
	}
	if n, err := db.RequeueRunningJobs(ctx); err != nil || n != 0 {
		t.Fatalf("second RequeueRunningJobs = %d, %v; want 0", n, err)
	}
}

// TestLockDir takes a data dir's lock twice: the second fails, naming the
// lock file and the holder's PID, until the first is released.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	l, err := sqlite.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.LockDir(dir)
	lock := filepath.Join(dir, sqlite.LockFileName)
	if err == nil || !strings.Contains(err.Error(), lock) || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Fatalf("second LockDir: %v; want an error naming %s and PID %d", err, lock, os.Getpid())
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := sqlite.LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after Unlock: %v", err)
	}
	l2.Unlock()
}
