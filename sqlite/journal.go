package sqlite

import (
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// StmtJournalSpill is how large a statement journal grows in memory before
// SQLite moves it to a temporary file: 4 MiB, against SQLite's default of
// 64 KiB. A statement that may fail after changing some rows (a
// multi-row INSERT checked by foreign keys, as a publish's deliveries are)
// keeps, in a transaction of several statements, the pages it changes in
// such a journal, to undo itself alone. A group of publishes writes a few
// hundred kilobytes of them; spilled to a file, those writes were a tenth of
// the store's CPU under fan-out. One statement runs at a time on the one
// writing connection, so this bounds the memory it takes; larger
// statements (deleting a tenant) spill to a file as before.
const StmtJournalSpill = 4 << 20

// stmtJournalErr is the outcome of setting StmtJournalSpill, which SQLite
// takes only before its first connection; it is set as the package loads.
var stmtJournalErr = setStmtJournalSpill(StmtJournalSpill)

// setStmtJournalSpill sets SQLite's process-wide statement journal spill
// threshold (SQLITE_CONFIG_STMTJRNL_SPILL) to n bytes.
func setStmtJournalSpill(n int) error {
	tls := libc.NewTLS()
	defer tls.Close()
	const slot = 8 // libc.VaList's stride per argument
	args := libc.Xmalloc(tls, slot)
	if args == 0 {
		return fmt.Errorf("set statement journal spill: out of memory")
	}
	defer libc.Xfree(tls, args)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_STMTJRNL_SPILL, libc.VaList(args, int32(n))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("set statement journal spill: sqlite3_config returned %d", rc)
	}
	return nil
}
