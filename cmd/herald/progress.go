package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/heraldhq/herald/sqlite"
)

// progressEvery is how often, at most, a progress line is redrawn.
const progressEvery = 200 * time.Millisecond

// progress redraws "<verb> N records" on one line of a terminal. A nil
// *progress shows nothing.
type progress struct {
	w     io.Writer
	verb  string
	every time.Duration
	last  time.Time
	shown bool
}

// newProgress returns a progress line on w when w is a terminal, and nil
// otherwise (a pipe or file gets only the final count).
func newProgress(w io.Writer, verb string) *progress {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: w, verb: verb, every: progressEvery}
}

// show redraws the line with n records when it was last drawn at least
// p.every ago.
func (p *progress) show(n int) {
	if p == nil {
		return
	}
	now := time.Now()
	if p.shown && now.Sub(p.last) < p.every {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprintf(p.w, "\r%s %d records...", p.verb, n)
}

// done ends the progress line, so that what follows starts a line of its
// own.
func (p *progress) done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// lockForExport takes, on SQLite, the lock of one server on the database's
// directory so that no server starts while the export reads, and returns
// it; when a server holds it already, it warns on w that the export may
// miss what the server changes meanwhile, and returns nil. On PostgreSQL
// it does nothing.
func lockForExport(cfg Config, w io.Writer) *sqlite.DirLock {
	if isPostgres(cfg.Database) {
		return nil
	}
	lock, err := sqlite.LockDir(filepath.Dir(cfg.DatabasePath()))
	if err != nil {
		if strings.Contains(err.Error(), "in use") {
			fmt.Fprintf(w, "warning: %v; the export may miss what the server changes while it runs (stop the server first)\n", err)
		} else {
			fmt.Fprintf(w, "warning: %v\n", err)
		}
		return nil
	}
	return lock
}
