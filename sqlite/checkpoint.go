package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints. SQLite appends each commit to the WAL; a checkpoint copies
// the WAL's pages into the database file, syncing the WAL before and the
// file after. Left to SQLite, the connection whose commit takes the WAL
// past 1,000 pages runs the checkpoint inside that commit. Here that is the
// one writer, so every publish and recorded attempt waited behind the copy
// and both syncs: under fan-out the writer spent about 15% of its time
// there, and the rest of the server waited on it.
//
// The store moves that work to a connection of its own, the checkpointer.
// After the writer's commits it runs a PASSIVE checkpoint, at most one per
// CheckpointInterval, which copies what it can while the writer goes on
// appending. The writer keeps SQLite's own checkpoint, at
// WriterCheckpointPages: by then the checkpointer has copied and synced most
// pages, so the writer's checkpoint has little left to do, and it lets the
// WAL start again from its beginning, which a checkpoint that runs beside a
// busy writer seldom can. That bounds the WAL however busy the writer.
// Durability is unchanged: each checkpoint syncs the WAL before it copies
// and the file after.
const (
	// CheckpointInterval is the least time between two checkpoints of the
	// checkpointer: 100ms.
	CheckpointInterval = 100 * time.Millisecond
	// WriterCheckpointPages is the WAL size, in pages, past which the
	// writer checkpoints in its commit: 8,000 (32 MiB with SQLite's 4 KiB
	// pages), where SQLite's default is 1,000.
	WriterCheckpointPages = 8000
)

// checkpointer runs PASSIVE checkpoints on a connection of its own after
// the writer's commits (see committed).
type checkpointer struct {
	db      *sql.DB
	kick    chan struct{} // one pending run at most
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
	// ran, when set (by tests), is called after each checkpoint with the
	// WAL's size in pages and how many of them are in the file.
	ran atomic.Pointer[func(walPages, copied int)]
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c
}

// committed tells the checkpointer that the writer committed. It never
// waits.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.stopped)
	for {
		select {
		case <-c.quit:
			return
		case <-c.kick:
		}
		// PASSIVE waits for no reader nor writer; it fails when another
		// checkpoint runs (the writer's), which leaves the pages to the
		// next one.
		var busy, walPages, copied int
		err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &walPages, &copied)
		if f := c.ran.Load(); f != nil && err == nil {
			(*f)(walPages, copied)
		}
		t := time.NewTimer(CheckpointInterval)
		select {
		case <-c.quit:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// stop ends the loop once the checkpoint running, if any, is done.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.stopped
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	c.stop()
	return c.db.Close()
}
