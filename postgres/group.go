package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/groupcommit"
	"github.com/heraldhq/herald/queue"
)

// maxGroup bounds how many writes one group transaction takes. Each write
// runs in a savepoint, a subtransaction with an XID of its own, and
// PostgreSQL keeps up to 64 of those per transaction in shared memory;
// beyond that every other session's snapshot has to look them up on disk.
const maxGroup = 64

// groupOp is one caller's write in a group transaction: a publish
// (publishOp) or a recorded attempt (attemptOp). A group runs its ops in
// stages, each stage one round trip for the whole group:
//
//  1. the webhooks of the publishes' tenants are read once (tenant, plan);
//  2. the lines of the ordered writes are locked, and every op's statements
//     are sent in one pipeline (queue, read), the publishes' merged into
//     one statement (publishSetOp);
//  3. follow-up reads (after), the River jobs, the webhooks' timestamps
//     and the commit.
//
// An op's statements make all its changes or, when one fails, are rolled
// back alone; any outcome decided in Go (a missing tenant, delivery or
// webhook) comes from statements that changed nothing.
type groupOp interface {
	// order sorts the ops of a group: see groupWriter.run.
	order() string
	// tenant names the tenant whose webhooks the op needs (publishes).
	tenant() (string, bool)
	// plan picks what the op does from the webhooks read, and returns the
	// lines it locks.
	plan(hooks []*herald.Webhook) []herald.Line
	// queue adds the op's statements to b, and read reads their results in
	// the same order; an error from read is the op's own.
	queue(b *pgx.Batch)
	read(br pgx.BatchResults) error
	// after finishes the op once all statements have run: outcome is the
	// op's result (nil when it committed its changes), err a failure of the
	// database that fails the group.
	after(ctx context.Context, tx pgx.Tx) (e effects, outcome, err error)
}

// effects are what an op leaves to the end of its group, where those of all
// the ops that succeeded are applied together.
type effects struct {
	jobs    []river.InsertManyParams // River jobs to insert
	touches []touch                  // webhook timestamps to move forward
}

// touch moves a webhook's last_triggered_at, and its last_success_at or
// last_failure_at, forward to at.
type touch struct {
	webhookID string
	at        time.Time
	success   bool
}

// write is one caller's write, queued or in a group.
type write = groupcommit.Write[groupOp]

// groupWriter runs concurrent publishes and recorded attempts in shared
// transactions: group commit. A small write's cost is mostly its round
// trips and its commit's WAL flush; and each recorded attempt used to
// update its webhook's row, so attempts to one webhook queued behind each
// other's commits. A group pays one flush and a handful of round trips for
// up to maxGroup writes, and updates each webhook's timestamps once.
//
// Each write runs in a savepoint of its own: one that fails is rolled back
// alone and its caller gets its error; the others commit. The River jobs of
// all the writes are inserted with one statement at the end. Under no
// contention a write runs alone, as soon as it comes. One group runs at a
// time per store, and writes that come meanwhile wait for the next: groups
// that overlapped would hold the tenants' rows FOR KEY SHARE without a
// break, and DeleteTenant, which waits for FOR UPDATE, would starve.
//
// Locks. A group holds every lock its writes take until it commits, so it
// takes them in one global order, the same in every group on every node:
// first the advisory locks of all its lines (sorted, in one statement, as
// lockLines does), then the rows its ops write, ops sorted by kind and key
// (attempts by delivery ID, publishes by tenant and event ID), and the
// webhooks' rows last, sorted by ID. Two groups therefore never wait on each
// other in a cycle. The other lock holders take one line lock (TakeTurn) or
// sorted line locks (lockLines) first too. A deadlock PostgreSQL still finds
// (with a deletion cascading the other way, say) fails one statement,
// which rolls back its own write alone.
type groupWriter struct {
	pool   *pgxpool.Pool
	river  *river.Client[pgx.Tx]
	writes *groupcommit.Queue[groupOp]
}

func newGroupWriter(pool *pgxpool.Pool, rc *river.Client[pgx.Tx]) *groupWriter {
	g := &groupWriter{pool: pool, river: rc}
	begin := func() (pgx.Tx, error) { return pool.Begin(context.Background()) }
	g.writes = groupcommit.New(maxGroup, begin, g.run)
	return g
}

// do runs op in a group transaction and returns once that has committed or
// failed (see groupcommit.Queue.Do).
func (g *groupWriter) do(ctx context.Context, op groupOp) error {
	return g.writes.Do(ctx, op)
}

// close stops the writer once the group running, if any, is done; the
// writes still queued, and later ones, get groupcommit.ErrClosed.
func (g *groupWriter) close() { g.writes.Close() }

// run runs a group in tx and commits it. Any failure outside a write's own
// statements fails the whole group, which then commits nothing.
func (g *groupWriter) run(tx pgx.Tx, group []*write) {
	ctx := context.Background()
	defer tx.Rollback(ctx)
	slices.SortStableFunc(group, func(a, b *write) int { return cmp.Compare(a.Op.order(), b.Op.order()) })

	lines, err := planGroup(ctx, tx, group)
	if err != nil {
		groupcommit.Finish(group, err)
		return
	}
	ok, failed, err := runWrites(ctx, tx, group, lines)
	if err != nil {
		groupcommit.Finish(group, err)
		return
	}
	var all effects
	committed := ok[:0:0]
	for _, w := range ok {
		e, outcome, err := w.Op.after(context.WithoutCancel(w.Ctx), tx)
		if err != nil {
			groupcommit.Finish(group, err)
			return
		}
		if outcome != nil {
			w.Err, failed = outcome, append(failed, w)
			continue
		}
		all.jobs, all.touches = append(all.jobs, e.jobs...), append(all.touches, e.touches...)
		committed = append(committed, w)
	}
	if len(all.jobs) > 0 {
		if _, err = g.river.InsertManyFastTx(ctx, tx, queue.Batch(all.jobs)); err != nil {
			err = fmt.Errorf("queue deliveries: %w", err)
		}
	}
	// Last before the commit, as every group of every node locks the
	// webhooks it touches until it commits.
	if err == nil {
		err = applyTouches(ctx, tx, all.touches)
	}
	if err == nil {
		if err = tx.Commit(ctx); err != nil {
			err = fmt.Errorf("commit writes: %w", err)
		}
	}
	groupcommit.Finish(committed, err)
	groupcommit.Finish(failed, nil)
}

// planGroup reads, with one query, the webhooks the group's publishes may
// reach, lets each op plan with them, and returns the lines of the group,
// sorted and without repeats.
func planGroup(ctx context.Context, tx pgx.Tx, group []*write) ([]string, error) {
	var tenants []string
	for _, w := range group {
		if t, ok := w.Op.tenant(); ok && !slices.Contains(tenants, t) {
			tenants = append(tenants, t)
		}
	}
	byTenant := map[string][]*herald.Webhook{}
	if len(tenants) > 0 {
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, all_tenants, events, agent_id, is_active, ordering FROM webhooks
			WHERE tenant_id = ANY($1) OR (tenant_id = '' AND all_tenants)`, tenants)
		if err != nil {
			return nil, fmt.Errorf("select webhooks: %w", err)
		}
		var hooks []*herald.Webhook
		for rows.Next() {
			var h herald.Webhook
			if err := rows.Scan(&h.ID, &h.TenantID, &h.AllTenants, &h.Events, &h.AgentID, &h.IsActive, &h.Ordering); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan webhook: %w", err)
			}
			hooks = append(hooks, &h)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("select webhooks: %w", err)
		}
		// The webhooks each tenant's events may reach: its own, and the
		// platform's all_tenants ones (all of the platform's, for its own
		// events), as reachesEvent says.
		for _, t := range tenants {
			for _, h := range hooks {
				if string(h.TenantID) == t || (h.TenantID == "" && h.AllTenants) {
					byTenant[t] = append(byTenant[t], h)
				}
			}
		}
	}
	var lines []string
	for _, w := range group {
		t, _ := w.Op.tenant()
		for _, l := range w.Op.plan(byTenant[t]) {
			lines = append(lines, lineName(l))
		}
	}
	slices.Sort(lines)
	return slices.Compact(lines), nil
}

// lineName is the name of a line's advisory lock, as lineLockSQL and
// lockLines make it.
func lineName(l herald.Line) string { return l.WebhookID + "/" + l.Key }

// runWrites runs the statements of a sorted group, its publishes together
// (see publishSetOp) and its attempts together (see attemptSetOp) when it
// has several of either, and returns the writes that ran and those that
// failed, with their error set; err fails the whole group. When the
// writes of a set fail together, they run again one by one.
func runWrites(ctx context.Context, tx pgx.Tx, group []*write, lines []string) (ok, failed []*write, err error) {
	savepoints := len(group) > 1
	units, sets := groupSets(ctx, group)
	if len(sets) == 0 {
		return runPipelined(ctx, tx, group, lines, savepoints)
	}
	slices.SortStableFunc(units, func(a, b *write) int { return cmp.Compare(a.Op.order(), b.Op.order()) })
	ok, failed, err = runPipelined(ctx, tx, units, lines, savepoints)
	if err != nil {
		return nil, nil, err
	}
	for _, set := range sets {
		if i := slices.Index(ok, set.write); i >= 0 {
			ok = append(slices.Delete(ok, i, i+1), set.members...)
			continue
		}
		failed = slices.DeleteFunc(failed, func(w *write) bool { return w == set.write })
		ok2, failed2, err := runPipelined(ctx, tx, set.members, nil, true) // the lines are locked
		if err != nil {
			return nil, nil, err
		}
		ok, failed = append(ok, ok2...), append(failed, failed2...)
	}
	return ok, failed, nil
}

// writeSet is the write of a set of ops that run together, and the writes
// of its members.
type writeSet struct {
	write   *write
	members []*write
}

// groupSets returns the writes of group to run, with the attempts and the
// publishes that run together each replaced by one write of their set, and
// those sets, in the order their writes sort.
func groupSets(ctx context.Context, group []*write) ([]*write, []writeSet) {
	var sets []writeSet
	units := group
	add := func(op groupOp, members, rest []*write) {
		setWrite := &write{Ctx: ctx, Op: op}
		sets = append(sets, writeSet{write: setWrite, members: members})
		units = append(rest, setWrite)
	}
	if ops, members, rest := splitSet(units, attemptMember); ops != nil {
		add(&attemptSetOp{ops: ops}, members, rest)
	}
	if ops, members, rest := splitSet(units, publishMember); ops != nil {
		add(&publishSetOp{ops: ops}, members, rest)
	}
	return units, sets
}

// splitSet splits the writes of a sorted group into the ops of kind O that
// run together, when there are two or more, with their writes, and the
// other writes. member says whether an op may join, and its key: the first
// op of each key joins, and the others run on their own.
func splitSet[O groupOp](group []*write, member func(O) (string, bool)) (ops []O, members, rest []*write) {
	seen := map[string]bool{}
	for _, w := range group {
		if o, ok := w.Op.(O); ok {
			if key, may := member(o); may && !seen[key] {
				seen[key] = true
				ops, members = append(ops, o), append(members, w)
				continue
			}
		}
		rest = append(rest, w)
	}
	if len(ops) < 2 {
		return nil, nil, group
	}
	return ops, members, rest
}

// runPipelined locks lines and runs the statements of the group's writes,
// each in a savepoint when there are several, in one pipeline, followed by
// the webhooks' timestamps of the attempts recorded (touchSQL). When a
// write's statement fails, PostgreSQL skips the rest of the pipeline; that
// write is rolled back to its savepoint, and the writes after it are sent
// again. It returns the writes that ran and those that failed (with their
// error set); err fails the whole group.
func runPipelined(ctx context.Context, tx pgx.Tx, group []*write, lines []string, savepoints bool) (ok, failed []*write, err error) {
	pending := group
	for {
		if len(pending) == 0 {
			return ok, failed, nil
		}
		b := &pgx.Batch{}
		if len(lines) > 0 {
			b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended(l, 0)))
				FROM (SELECT l FROM unnest($1::text[]) AS l ORDER BY l COLLATE "C") s`, lines)
		}
		for _, w := range pending {
			if savepoints {
				b.Queue(`SAVEPOINT write`)
			}
			w.Op.queue(b)
			if savepoints {
				b.Queue(`RELEASE write`)
			}
		}
		br := tx.SendBatch(ctx, b)
		k, werr, gerr := readPipelined(br, pending, len(lines) > 0, savepoints)
		cerr := br.Close()
		if gerr != nil {
			return nil, nil, gerr
		}
		if k < 0 {
			if cerr != nil {
				return nil, nil, fmt.Errorf("run writes: %w", cerr)
			}
			return append(ok, pending...), failed, nil
		}
		if !savepoints {
			pending[k].Err = werr
			return ok, append(failed, pending[k]), nil
		}
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT write; RELEASE write`); err != nil {
			return nil, nil, fmt.Errorf("roll back savepoint: %w", err)
		}
		pending[k].Err = werr
		ok, failed = append(ok, pending[:k]...), append(failed, pending[k])
		pending, lines = pending[k+1:], nil // the lines are locked
	}
}

// readPipelined reads the results of a pipeline that runPipelined sent. It
// returns the index of the first write that failed and its error (-1 when
// none did), or an error that fails the group.
func readPipelined(br pgx.BatchResults, pending []*write, locked, savepoints bool) (int, error, error) {
	if locked {
		if _, err := br.Exec(); err != nil {
			return -1, nil, fmt.Errorf("lock lines: %w", err)
		}
	}
	for i, w := range pending {
		if savepoints {
			if _, err := br.Exec(); err != nil {
				return -1, nil, fmt.Errorf("begin savepoint: %w", err)
			}
		}
		if err := w.Op.read(br); err != nil {
			return i, err, nil
		}
		if savepoints {
			if _, err := br.Exec(); err != nil {
				return -1, nil, fmt.Errorf("release savepoint: %w", err)
			}
		}
	}
	return -1, nil, nil
}

// applyTouches moves each touched webhook's timestamps forward once,
// however many of its attempts the group recorded, one webhook after the
// other in the order of their IDs (see groupWriter on locks), in one
// pipeline. The timestamps only move forward (GREATEST ignores NULL), so
// attempts recorded out of order by several nodes keep the latest.
func applyTouches(ctx context.Context, tx pgx.Tx, touches []touch) error {
	type latest struct {
		triggered        time.Time
		success, failure *time.Time
	}
	byID := map[string]*latest{}
	for _, t := range touches {
		l := byID[t.webhookID]
		if l == nil {
			l = &latest{triggered: t.at}
			byID[t.webhookID] = l
		}
		if t.at.After(l.triggered) {
			l.triggered = t.at
		}
		last := &l.failure
		if t.success {
			last = &l.success
		}
		if *last == nil || t.at.After(**last) {
			at := t.at
			*last = &at
		}
	}
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := &pgx.Batch{}
	for _, id := range ids {
		l := byID[id]
		b.Queue(`UPDATE webhooks SET last_triggered_at = GREATEST(last_triggered_at, $1),
			last_success_at = GREATEST(last_success_at, $2), last_failure_at = GREATEST(last_failure_at, $3)
			WHERE id = $4`, l.triggered, l.success, l.failure, id)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("update webhook: %w", err)
	}
	return nil
}
