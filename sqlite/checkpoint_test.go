package sqlite

import (
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
	s := openFile(t, filepath.Join(t.TempDir(), "herald.db"))
	var pages int
	if err := s.db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != WriterCheckpointPages {
		t.Fatalf("the writer checkpoints at %d pages, want %d", pages, WriterCheckpointPages)
	}

	type run struct{ walPages, copied int }
	runs := make(chan run, 100)
	report := func(walPages, copied int) {
		select {
		case runs <- run{walPages, copied}:
		default:
		}
	}
	s.checkpoints.ran.Store(&report)
	publishBig(t, s, 0, 3)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-runs:
			// 3 events of 25 pages each, all of them copied once the
			// checkpointer has caught up (no reader holds it back here).
			if r.walPages >= 75 && r.copied == r.walPages {
				return
			}
		case <-deadline:
			t.Fatal("the checkpointer copied no commit of 75 pages or more in 10s")
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
