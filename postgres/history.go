package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// PruneHistory removes at most p.Batch() events their retention lets go
// (see herald.PruneParams), oldest first, with their deliveries and
// attempts, in one transaction. It locks the events it picks (skipping
// those another transaction holds) and then all their deliveries, and
// keeps an event whose delivery became pending meanwhile.
func (s *DB) PruneHistory(ctx context.Context, p herald.PruneParams) (herald.PruneResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.now()
	}
	def := int64(p.Retention / time.Second)
	var res herald.PruneResult
	err := s.inTx(ctx, "prune history", func(tx pgx.Tx) error {
		res = herald.PruneResult{}
		// No event younger than the shortest retention goes: a bound the
		// events_created index reads.
		var shortest *int64
		if err := tx.QueryRow(ctx, `SELECT min(r) FROM (SELECT retention_seconds AS r FROM tenants
			WHERE retention_seconds > 0 UNION ALL SELECT $1::bigint WHERE $1::bigint > 0) x`, def).Scan(&shortest); err != nil {
			return fmt.Errorf("select shortest retention: %w", err)
		}
		if shortest == nil {
			return nil // everything is kept
		}
		var c conds
		c.tenancy("e.tenant_id", p.Tenancy)
		ret := `COALESCE(t.retention_seconds, ` + c.arg(def) + `)`
		at := c.arg(now) + `::timestamptz`
		cutoff := at + ` - make_interval(secs => ` + ret + `)`
		c.add(`e.created_at < ` + c.arg(now.Add(-time.Duration(*shortest)*time.Second)))
		c.add(ret + ` > 0`)
		c.add(`e.created_at < ` + cutoff)
		c.add(`NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_tenant_id = e.tenant_id AND d.event_id = e.id
			AND (d.status = 'pending' OR d.last_attempt_at >= ` + cutoff + `))`)
		rows, err := tx.Query(ctx, `SELECT e.tenant_id, e.id FROM events e LEFT JOIN tenants t ON t.id = e.tenant_id `+
			c.where()+` ORDER BY e.created_at LIMIT `+c.arg(p.Batch())+` FOR UPDATE OF e SKIP LOCKED`, c.args...)
		if err != nil {
			return fmt.Errorf("select events to prune: %w", err)
		}
		var tenants, ids []string
		for rows.Next() {
			var tenant, id string
			if err := rows.Scan(&tenant, &id); err != nil {
				rows.Close()
				return fmt.Errorf("scan event to prune: %w", err)
			}
			tenants, ids = append(tenants, tenant), append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("select events to prune: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		const keys = `(SELECT * FROM unnest($1::text[], $2::text[]))`
		// Lock their deliveries, then keep the events one of which a retry
		// made pending since the snapshot above.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM deliveries WHERE (event_tenant_id, event_id) IN `+keys+` FOR UPDATE`,
			tenants, ids); err != nil {
			return fmt.Errorf("lock deliveries to prune: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, `WITH busy AS (SELECT DISTINCT event_tenant_id, event_id FROM deliveries
			WHERE (event_tenant_id, event_id) IN `+keys+` AND status = 'pending')
			SELECT array_agg(k.t), array_agg(k.i), count(*) FROM unnest($1::text[], $2::text[]) AS k (t, i)
			WHERE (k.t, k.i) NOT IN (SELECT * FROM busy)`, tenants, ids).Scan(&tenants, &ids, &n); err != nil {
			return fmt.Errorf("select events still to prune: %w", err)
		}
		if n == 0 {
			return nil
		}
		for _, d := range []struct {
			what  string
			query string
			n     *int
		}{
			{"attempts", `DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries
				WHERE (event_tenant_id, event_id) IN ` + keys + `)`, &res.Attempts},
			{"deliveries", `DELETE FROM deliveries WHERE (event_tenant_id, event_id) IN ` + keys, &res.Deliveries},
			{"events", `DELETE FROM events WHERE (tenant_id, id) IN ` + keys, &res.Events},
		} {
			tag, err := tx.Exec(ctx, d.query, tenants, ids)
			if err != nil {
				return fmt.Errorf("prune %s: %w", d.what, err)
			}
			*d.n = int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return herald.PruneResult{}, err
	}
	return res, nil
}

// Stats counts the rows of every table of the schema and measures it
// with pg_total_relation_size (the table, its indexes and TOAST).
func (s *DB) Stats(ctx context.Context) (*herald.Stats, error) {
	st := &herald.Stats{Engine: "postgres", Method: "pg_total_relation_size", Tables: []herald.TableStats{}}
	rows, err := s.pool.Query(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("select table sizes: %w", err)
	}
	for rows.Next() {
		var t herald.TableStats
		if err := rows.Scan(&t.Table, &t.Bytes); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan table size: %w", err)
		}
		st.Tables = append(st.Tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select table sizes: %w", err)
	}
	for i := range st.Tables {
		t := &st.Tables[i]
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t.Table}.Sanitize()).Scan(&t.Rows); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Table, err)
		}
	}
	if err := s.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&st.TotalBytes); err != nil {
		return nil, fmt.Errorf("select database size: %w", err)
	}
	return st, nil
}
