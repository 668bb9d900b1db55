package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A batch's deliveries and events are read with one index lookup each, by
// plans made while the tables have no statistics (before autovacuum first
// analyzes them): a connection keeps the plan of a prepared statement as
// the table grows, so a plan that read every row would read more on every
// batch.
func TestTaskQueriesUseIndexes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := openFresh(ctx, t)

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	simple := pgx.QueryExecModeSimpleProtocol
	for _, stmt := range []string{
		`ALTER TABLE events SET (autovacuum_enabled = false)`,
		`ALTER TABLE deliveries SET (autovacuum_enabled = false)`,
		`SET plan_cache_mode = force_generic_plan`,
		// Planned on the empty table, as a new server's first batch is.
		`PREPARE task_deliveries (text[]) AS ` + taskDeliveriesQuery("$1", "WHERE id = k.id AND TRUE"),
		`INSERT INTO events (tenant_id, id, type, data, created_at)
			SELECT '', 'evt_' || g, 'agent.status', '{}', now() FROM generate_series(1, 5000) g`,
		`PREPARE task_events (text[], text[]) AS ` + taskEventsQuery,
	} {
		if _, err := conn.Exec(ctx, stmt, simple); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var analyzed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_user_tables
		WHERE relid IN ('events'::regclass, 'deliveries'::regclass)
		AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`).Scan(&analyzed); err != nil {
		t.Fatal(err)
	}
	if analyzed != 0 {
		t.Fatal("events or deliveries has been analyzed; the test needs tables without statistics")
	}
	for explain, index := range map[string]string{
		`EXPLAIN EXECUTE task_deliveries ('{dlv_1, dlv_2}')`:         "deliveries_pkey",
		`EXPLAIN EXECUTE task_events ('{"", ""}', '{evt_1, evt_2}')`: "events_pkey",
	} {
		rows, err := conn.Query(ctx, explain, simple)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, "Index Scan using "+index) || strings.Contains(plan, "Seq Scan") {
			t.Fatalf("%s: not read through %s:\n%s", explain, index, plan)
		}
	}

	// And the events query reads what it should.
	rows, err := conn.Query(ctx, taskEventsQuery, []string{"", "", "other"}, []string{"evt_7", "evt_9", "evt_7"})
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
