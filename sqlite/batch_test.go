package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/groupcommit"
	"github.com/heraldhq/herald/storetest"
)

// TestGroupWriteFailsAlone runs a group of three writes whose second
// fails after a statement: the group runs again with a savepoint per
// write, the failing write gets its error and leaves nothing, and the
// other two commit, once each.
func TestGroupWriteFailsAlone(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "herald.db"))
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE group_test (x TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	runs := map[string]int{}
	insert := func(x string, fail bool) *write {
		return groupcommit.NewWrite(ctx, &writeOp{fn: func(ctx context.Context, tx *sql.Tx) (effects, error) {
			runs[x]++
			if _, err := tx.ExecContext(ctx, `INSERT INTO group_test (x) VALUES (?)`, x); err != nil {
				return effects{}, err
			}
			if fail {
				return effects{}, boom
			}
			return effects{}, nil
		}})
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

// TestGroupAttemptSet records the attempts of a group together: each gets
// its delivery and outcome, one whose delivery is gone gets ENOTFOUND
// alone, and when the set fails in the database (two attempts with one ID)
// the group runs again write by write, so that only the bad one fails.
func TestGroupAttemptSet(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "herald.db"))
	w := storetest.NewWebhook(t, s, []string{"*"})
	var ids []string
	for range 4 {
		res, err := s.PublishEvent(ctx, herald.PublishParams{Type: "order.paid", Data: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Deliveries[0].ID)
	}
	at := time.Now()
	code := 503
	next := at.Add(time.Minute)
	attempt := func(deliveryID, attemptID, status string) *attemptWrite {
		r := herald.AttemptResult{DeliveryID: deliveryID, Status: status,
			Attempt: &herald.Attempt{ID: attemptID, StartedAt: at, StatusCode: &code, Error: "HTTP 503", DurationMS: 3}}
		if status == herald.DeliveryPending {
			r.NextAttemptAt = &next
		}
		return &attemptWrite{r: r}
	}
	runSet := func(aws ...*attemptWrite) []error {
		t.Helper()
		group := make([]*write, len(aws))
		for i, aw := range aws {
			group[i] = groupcommit.NewWrite(ctx, &writeOp{attempt: aw, fn: func(ctx context.Context, tx *sql.Tx) (effects, error) {
				d, tc, err := recordAttempt(ctx, tx, aw.r)
				aw.d = d
				return effects{touches: []touch{tc}}, err
			}})
		}
		if set, _ := attemptSet(group); len(set) != len(group) {
			t.Fatalf("%d of %d attempts in the set", len(set), len(group))
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.writer.run(tx, group)
		errs := make([]error, len(group))
		for i, w := range group {
			<-w.Done()
			errs[i] = w.Err
		}
		return errs
	}

	retry, final, gone := attempt(ids[0], "", herald.DeliveryPending), attempt(ids[1], "", herald.DeliveryFailed),
		attempt("dlv_gone", "", herald.DeliveryFailed)
	errs := runSet(retry, final, gone)
	if errs[0] != nil || errs[1] != nil || herald.ErrorCode(errs[2]) != herald.ENOTFOUND {
		t.Fatalf("outcomes %v, want two recorded and the gone delivery not found", errs)
	}
	for _, c := range []struct {
		aw     *attemptWrite
		status string
	}{{retry, herald.DeliveryPending}, {final, herald.DeliveryFailed}} {
		d, err := s.Delivery(ctx, herald.Ref{ID: c.aw.r.DeliveryID, Tenancy: herald.AnyTenant()})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != c.status || d.Attempts != 1 || len(d.AttemptList) != 1 || d.AttemptList[0].Error != "HTTP 503" ||
			d.AttemptList[0].Number != 1 || (d.NextAttemptAt != nil) != (c.status == herald.DeliveryPending) ||
			c.aw.d == nil || c.aw.d.Status != c.status {
			t.Fatalf("delivery %s: %+v; want %s with its one attempt", d.ID, d, c.status)
		}
	}

	// One attempt ID twice: the set fails, and the writes run again alone.
	first, second := attempt(ids[2], "att_same", herald.DeliveryFailed), attempt(ids[3], "att_same", herald.DeliveryFailed)
	errs = runSet(first, second)
	if errs[0] != nil || errs[1] == nil {
		t.Fatalf("outcomes %v, want the first recorded and the repeated ID refused", errs)
	}
	for id, want := range map[string]int{ids[2]: 1, ids[3]: 0} {
		d, err := s.Delivery(ctx, herald.Ref{ID: id, Tenancy: herald.AnyTenant()})
		if err != nil || d.Attempts != want || len(d.AttemptList) != want {
			t.Fatalf("delivery %s: %+v, %v; want %d attempts", id, d, err, want)
		}
	}
	got, err := s.Webhook(ctx, herald.Ref{ID: w.ID, Tenancy: herald.AnyTenant()})
	if err != nil || got.LastFailureAt == nil || got.LastTriggeredAt == nil {
		t.Fatalf("webhook %+v, %v; want its last failure recorded", got, err)
	}
}

// openFile opens a store on a new file at path, closed when the test ends.
func openFile(t *testing.T, path string) *DB {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRecordAttemptsPadded: recordAttempts writes its statements with a
// power of two of rows, whatever the group's size, and the rows it adds
// change nothing: the set records each attempt once and none for a
// delivery that is gone, without failing over to one write at a time.
func TestRecordAttemptsPadded(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 4, 5: 8, 64: 64, 65: 128} {
		if got := padRows(n); got != want {
			t.Errorf("padRows(%d) = %d, want %d", n, got, want)
		}
	}
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "herald.db"))
	storetest.NewWebhook(t, s, []string{"*"})
	var ws []*attemptWrite
	for range 4 {
		res, err := s.PublishEvent(ctx, herald.PublishParams{Type: "order.paid", Data: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, &attemptWrite{r: herald.AttemptResult{DeliveryID: res.Deliveries[0].ID, Status: herald.DeliverySuccess,
			Attempt: &herald.Attempt{StartedAt: time.Now(), Success: true}}})
	}
	// Five attempts, one of a delivery that is gone: eight rows updated,
	// four inserted.
	ws = append(ws, &attemptWrite{r: herald.AttemptResult{DeliveryID: "dlv_gone", Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: time.Now()}}})
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	touches, err := recordAttempts(ctx, tx, ws)
	if err != nil || len(touches) != 4 || ws[4].d != nil {
		t.Fatalf("recordAttempts: %v, %d touches, gone delivery %+v", err, len(touches), ws[4].d)
	}
	var attempts, delivered int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM attempts),
		(SELECT count(*) FROM deliveries WHERE status = 'success' AND attempts = 1)`).Scan(&attempts, &delivered); err != nil {
		t.Fatal(err)
	}
	if attempts != 4 || delivered != 4 {
		t.Fatalf("%d attempts and %d deliveries recorded, want 4 and 4", attempts, delivered)
	}
}
