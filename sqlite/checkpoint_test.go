package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// publishBig publishes n events of about 100 KiB each (25 pages) through
// the group writer.
func publishBig(t *testing.T, s *DB, from, n int) {
	t.Helper()
	data := json.RawMessage(`{"text":"` + strings.Repeat("x", 100<<10) + `"}`)
	for i := from; i < from+n; i++ {
		if _, err := s.PublishEvent(context.Background(), herald.PublishParams{ID: fmt.Sprintf("ev-%d", i), Type: "big", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
}

// The checkpointer copies the writer's commits into the file on its own
// connection, and the writer checkpoints only past WriterCheckpointPages.
func TestCheckpointerCopiesCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	s := openFile(t, path)
	var pages int
	if err := s.db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != WriterCheckpointPages {
		t.Fatalf("the writer checkpoints at %d pages, want %d", pages, WriterCheckpointPages)
	}

	runs := make(chan struct{}, 1)
	report := func(walPages, copied int) {
		select {
		case runs <- struct{}{}:
		default:
		}
	}
	s.checkpoints.ran.Store(&report)
	// A commit's pages reach the file only through a checkpoint, and the
	// writer's own is thousands of pages away: the event's data shows in
	// the file once the checkpointer has copied it.
	marker := []byte("copied-by-the-checkpointer")
	if _, err := s.PublishEvent(context.Background(), herald.PublishParams{Type: "checkpoint",
		Data: json.RawMessage(`{"text":"` + string(marker) + `"}`)}); err != nil {
		t.Fatal(err)
	}
	inFile := func() bool {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(b, marker)
	}
	deadline := time.After(10 * time.Second)
	for !inFile() {
		select {
		case <-runs:
		case <-deadline:
			t.Fatal("the event published is not in the database file after 10s")
		}
	}
}

// With the checkpointer stopped, the writer's own checkpoint keeps the WAL
// to about WriterCheckpointPages however much is written.
func TestWriterBoundsWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	s := openFile(t, path)
	s.checkpoints.stop()
	// 400 events of 25 pages: 10,000 pages and more, past the threshold.
	publishBig(t, s, 0, 400)
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// A commit may take the WAL a little past the threshold before its
	// checkpoint; each frame is a page and a 24-byte header.
	limit := int64(WriterCheckpointPages+100) * (4096 + 24)
	if fi.Size() > limit {
		t.Fatalf("WAL is %d bytes after 10,000 pages written, want at most %d", fi.Size(), limit)
	}
}
