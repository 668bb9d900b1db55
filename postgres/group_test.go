package postgres

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/groupcommit"
	"github.com/heraldhq/herald/internal/pgtest"
	"github.com/heraldhq/herald/storetest"
)

// runGroup runs ops as one group of s's writer, as its loop would, and
// returns each one's outcome.
func runGroup(t *testing.T, s *DB, ops ...groupOp) []error {
	t.Helper()
	group := make([]*write, len(ops))
	for i, op := range ops {
		group[i] = groupcommit.NewWrite(context.Background(), op)
	}
	tx, err := s.pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.writer.run(tx, group)
	errs := make([]error, len(ops))
	for _, w := range group {
		<-w.Done()
		for i, op := range ops {
			if op == w.Op {
				errs[i] = w.Err
			}
		}
	}
	return errs
}

// openFresh opens a store on a schema of its own, closed when the test
// ends.
func openFresh(ctx context.Context, t *testing.T) *DB {
	t.Helper()
	_, u := pgtest.Schema(t)
	s, err := Open(ctx, u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPublishOp(id, data string) *publishOp {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &publishOp{ev: &herald.Event{ID: id, Type: "agent.status", Data: json.RawMessage(data), Created: now}}
}

// One write of a group that fails in the database is rolled back alone:
// the others commit, with their deliveries and jobs. Publishes, and
// attempts, that run together fail together first, then run again one by
// one.
func TestGroupFailureIsolation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := openFresh(ctx, t)
	w := storetest.NewWebhook(t, s, []string{"*"})

	// Three publishes together; the middle one's data is not JSON.
	pubs := []*publishOp{newPublishOp("ev-a", `{}`), newPublishOp("ev-b", `{not json`), newPublishOp("ev-c", `{"n":1}`)}
	errs := runGroup(t, s, pubs[0], pubs[1], pubs[2])
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Fatalf("publish outcomes %v, want only the second to fail", errs)
	}
	for _, i := range []int{0, 2} {
		ev, err := s.Event(ctx, herald.Ref{ID: pubs[i].ev.ID, Tenancy: herald.AnyTenant()})
		if err != nil || len(ev.Deliveries) != 1 || !pubs[i].res.Created {
			t.Fatalf("event %s: %+v, %v; want stored with one delivery", pubs[i].ev.ID, ev, err)
		}
	}
	if _, err := s.Event(ctx, herald.Ref{ID: "ev-b", Tenancy: herald.AnyTenant()}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("failed event: %v, want not found", err)
	}
	if n, err := s.QueueDepth(ctx); err != nil || n != 2 {
		t.Fatalf("queue depth %d (%v), want 2", n, err)
	}

	// Attempts of both deliveries and a publish, in one group; the two
	// attempts have one ID, which the database refuses to the one that runs
	// second (the group sorts attempts by delivery ID).
	d0, d2 := pubs[0].res.Deliveries[0].ID, pubs[2].res.Deliveries[0].ID
	at := time.Now()
	a0 := &attemptOp{r: herald.AttemptResult{DeliveryID: d0, Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{ID: "att-1", StartedAt: at, Success: true}}}
	a2 := &attemptOp{r: herald.AttemptResult{DeliveryID: d2, Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{ID: "att-1", StartedAt: at, Success: true}}}
	missing := &attemptOp{r: herald.AttemptResult{DeliveryID: "dl_missing", Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{StartedAt: at, Success: true}}}
	pd := newPublishOp("ev-d", `{}`)
	errs = runGroup(t, s, a0, a2, missing, pd)
	first, second := d0, d2
	if d2 < d0 {
		first, second = d2, d0
		errs[0], errs[1] = errs[1], errs[0]
	}
	if errs[0] != nil || errs[3] != nil {
		t.Fatalf("outcomes %v, want the first attempt and the publish to commit", errs)
	}
	if errs[1] == nil || herald.ErrorCode(errs[2]) != herald.ENOTFOUND {
		t.Fatalf("outcomes %v, want the repeated attempt ID to fail and the missing delivery not found", errs)
	}
	for id, want := range map[string]int{first: 1, second: 0} {
		d, err := s.Delivery(ctx, herald.Ref{ID: id, Tenancy: herald.AnyTenant()})
		if err != nil || len(d.AttemptList) != want || d.Attempts != want {
			t.Fatalf("delivery %s: %+v, %v; want %d attempts", id, d, err, want)
		}
	}
	if _, err := s.Event(ctx, herald.Ref{ID: "ev-d", Tenancy: herald.AnyTenant()}); err != nil {
		t.Fatalf("event of the group: %v", err)
	}

	// Attempts that all succeed are recorded together, each with its
	// outcome: a retry due later, and a final failure.
	next := at.Add(time.Minute)
	code := 503
	retry := &attemptOp{r: herald.AttemptResult{DeliveryID: second, Status: herald.DeliveryPending, NextAttemptAt: &next,
		Attempt: &herald.Attempt{StartedAt: at, StatusCode: &code, Error: "HTTP 503", DurationMS: 7}}}
	final := &attemptOp{r: herald.AttemptResult{DeliveryID: pd.res.Deliveries[0].ID, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: at, StatusCode: &code, Error: "HTTP 503"}}}
	if ops, _, _ := splitSet([]*write{{Op: retry}, {Op: final}}, attemptMember); len(ops) != 2 {
		t.Fatal("two attempts do not make a set")
	}
	if errs := runGroup(t, s, retry, final); errs[0] != nil || errs[1] != nil {
		t.Fatalf("outcomes %v, want both recorded", errs)
	}
	for _, c := range []struct {
		op     *attemptOp
		status string
		next   bool
	}{{retry, herald.DeliveryPending, true}, {final, herald.DeliveryFailed, false}} {
		d, err := s.Delivery(ctx, herald.Ref{ID: c.op.r.DeliveryID, Tenancy: herald.AnyTenant()})
		if err != nil {
			t.Fatal(err)
		}
		last := d.AttemptList[len(d.AttemptList)-1]
		if d.Status != c.status || (d.NextAttemptAt != nil) != c.next || d.ResponseStatusCode == nil ||
			*d.ResponseStatusCode != 503 || last.Error != "HTTP 503" || last.Number != d.Attempts || c.op.d == nil ||
			c.op.d.Attempts != d.Attempts {
			t.Fatalf("delivery %s after a set: %+v, last attempt %+v; want %s", d.ID, d, last, c.status)
		}
	}
	got, err := s.Webhook(ctx, herald.Ref{ID: w.ID, Tenancy: herald.AnyTenant()})
	if err != nil || got.LastSuccessAt == nil || got.LastTriggeredAt == nil {
		t.Fatalf("webhook %+v, %v; want its last success recorded", got, err)
	}
}
