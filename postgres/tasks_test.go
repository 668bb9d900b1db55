package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/pgtest"
)

// A batch's events are read with one index lookup each, on a table that
// autovacuum has not analyzed yet: the plan PostgreSQL caches for a
// connection's prepared statement then holds as the table grows, so a plan
// that read every row would read more on every batch.
func TestTaskEventsQueryUsesIndex(t *testing.T) {
	_, u := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := Open(ctx, u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	simple := pgx.QueryExecModeSimpleProtocol
	for _, stmt := range []string{
		`ALTER TABLE events SET (autovacuum_enabled = false)`,
		`INSERT INTO events (tenant_id, id, type, data, created_at)
			SELECT '', 'evt_' || g, 'agent.status', '{}', now() FROM generate_series(1, 5000) g`,
		`SET plan_cache_mode = force_generic_plan`,
		`PREPARE task_events (text[], text[]) AS ` + taskEventsQuery,
	} {
		if _, err := conn.Exec(ctx, stmt, simple); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var analyzed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_user_tables WHERE relid = 'events'::regclass
		AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`).Scan(&analyzed); err != nil {
		t.Fatal(err)
	}
	if analyzed != 0 {
		t.Fatal("events has been analyzed; the test needs a table without statistics")
	}
	rows, err := conn.Query(ctx, `EXPLAIN EXECUTE task_events ('{"", ""}', '{evt_1, evt_2}')`, simple)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "Index Scan using events_pkey") || strings.Contains(plan, "Seq Scan") {
		t.Fatalf("the events of tasks are not read through events_pkey:\n%s", plan)
	}

	// And the query reads what it should.
	rows, err = conn.Query(ctx, taskEventsQuery, []string{"", "", "other"}, []string{"evt_7", "evt_9", "evt_7"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(ev.TenantID)+"/"+ev.ID)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "/evt_7,/evt_9" {
		t.Fatalf("read %v, want the tenant-less evt_7 and evt_9 alone", got)
	}
}
