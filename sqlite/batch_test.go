package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/internal/groupcommit"
)

// TestGroupWriteFailsAlone runs a group of three writes whose second
// fails after a statement: the group runs again with a savepoint per
// write, the failing write gets its error and leaves nothing, and the
// other two commit, once each.
func TestGroupWriteFailsAlone(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "herald.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE group_test (x TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	runs := map[string]int{}
	insert := func(x string, fail bool) *write {
		return groupcommit.NewWrite(ctx, writeFunc(func(ctx context.Context, tx *sql.Tx) (effects, error) {
			runs[x]++
			if _, err := tx.ExecContext(ctx, `INSERT INTO group_test (x) VALUES (?)`, x); err != nil {
				return effects{}, err
			}
			if fail {
				return effects{}, boom
			}
			return effects{}, nil
		}))
	}
	group := []*write{insert("a", false), insert("b", true), insert("c", false)}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.writer.run(tx, group)
	for i, want := range []error{nil, boom, nil} {
		<-group[i].Done()
		if !errors.Is(group[i].Err, want) {
			t.Fatalf("write %d: error %v, want %v", i, group[i].Err, want)
		}
	}
	var got []string
	rows, err := s.rdb.QueryContext(ctx, `SELECT x FROM group_test ORDER BY x`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("rows %v, want [a c]", got)
	}
	if runs["a"] != 2 || runs["b"] != 2 || runs["c"] != 1 {
		t.Fatalf("runs %v: want a and b run twice (the first run stops at b), c once", runs)
	}
}
