package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSecondServerOnDataDirRefused starts a server on a data dir, then a
// second one on the same dir: the second fails at once, naming the lock
// file and the PID of the first; once the first stops, a server starts.
func TestSecondServerOnDataDirRefused(t *testing.T) {
	first := startServer(t)
	cfg := first.Config
	second := NewMain(cfg)
	second.Stdout, second.Logger = io.Discard, newLogger(cfg, io.Discard)
	err := second.Run(context.Background())
	second.Close()
	if err == nil {
		t.Fatal("a second server started on a data dir in use")
	}
	lock := filepath.Join(cfg.DataDir, "herald.lock")
	if !strings.Contains(err.Error(), lock) || !strings.Contains(err.Error(), "PID "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("error %q names neither %s nor PID %d", err, lock, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third := NewMain(cfg)
	third.Stdout, third.Logger = io.Discard, newLogger(cfg, io.Discard)
	if err := third.Run(context.Background()); err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	if err := third.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDataDirModes starts a server on a data dir that exists with mode
// 0755: the dir becomes 0700 and the SQLite files are 0600.
func TestDataDirModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) { c.DataDir = dir })
	ts.createWebhook(map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"*"}}) // a write: -wal exists
	want := map[string]os.FileMode{"": 0o700, "herald.db": 0o600, "herald.db-wal": 0o600, "herald.db-shm": 0o600, "herald.lock": 0o600}
	for name, mode := range want {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s: mode %o, want %o", filepath.Join(dir, name), got, mode)
		}
	}
	// Files left readable by others (by an older version) are fixed too.
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "herald.db"} {
		os.Chmod(filepath.Join(dir, name), 0o755)
	}
	startServer(t, func(c *Config) { c.DataDir = dir })
	for _, name := range []string{"", "herald.db"} {
		if st, _ := os.Stat(filepath.Join(dir, name)); st.Mode().Perm() != want[name] {
			t.Errorf("%s after restart: mode %o, want %o", filepath.Join(dir, name), st.Mode().Perm(), want[name])
		}
	}
}

// TestQueueLogLevel: River's own lines (its job counts every second are
// Info) are dropped unless --log-level is debug; its warnings stay.
func TestQueueLogLevel(t *testing.T) {
	for _, level := range []string{"info", "debug"} {
		var buf strings.Builder
		cfg := DefaultConfig()
		cfg.LogLevel = level
		l := queueLogger(newLogger(cfg, &buf), level).With("component", "queue")
		l.Info("queue: Producer job counts")
		l.Warn("queue: something is wrong")
		out := buf.String()
		if !strings.Contains(out, "something is wrong") {
			t.Errorf("level %s: warning dropped: %q", level, out)
		}
		if got, want := strings.Contains(out, "Producer job counts"), level == "debug"; got != want {
			t.Errorf("level %s: info line logged %v, want %v: %q", level, got, want, out)
		}
	}
}

// TestServerOnUnreachableDatabase starts a server on a PostgreSQL URL that
// nothing answers and one on a SQLite file under a regular file: each
// fails, and Close then returns rather than panicking.
func TestServerOnUnreachableDatabase(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{
		"postgres": "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2",
		"sqlite":   "sqlite://" + filepath.Join(file, "herald.db"),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Addr, cfg.DataDir, cfg.Database = "127.0.0.1:0", t.TempDir(), url
			m := NewMain(cfg)
			m.Stdout, m.Logger = io.Discard, newLogger(cfg, io.Discard)
			err := m.Run(context.Background())
			if err == nil {
				m.Close()
				t.Fatal("a server started on a database it cannot open")
			}
			if cerr := m.Close(); cerr != nil {
				t.Fatalf("close after a failed start: %v", cerr)
			}
		})
	}
}
