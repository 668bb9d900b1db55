package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// retentionExpr is the retention of an event's tenant t in seconds: the
// tenant's own, or the server's (the argument that follows it).
const retentionExpr = `COALESCE(t.retention_seconds, ?)`

// PruneHistory removes at most p.Batch() events their retention lets go
// (see herald.PruneParams), oldest first, with their deliveries and
// attempts, in one write.
func (s *DB) PruneHistory(ctx context.Context, p herald.PruneParams) (herald.PruneResult, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	def := int64(p.Retention / time.Second)
	var res herald.PruneResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res = herald.PruneResult{}
		// No event younger than the shortest retention goes: a bound the
		// events_created index reads.
		var shortest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT min(r) FROM (SELECT retention_seconds AS r FROM tenants
			WHERE retention_seconds > 0 UNION ALL SELECT ? WHERE ? > 0)`, def, def).Scan(&shortest); err != nil {
			return effects{}, fmt.Errorf("select shortest retention: %w", err)
		}
		if !shortest.Valid {
			return effects{}, nil // everything is kept
		}
		nowUS := micros(now)
		cutoff := `? - ` + retentionExpr + ` * 1000000`
		q := confined("e.tenant_id", p.Tenancy).
			and(`e.created_at < ?`, nowUS-shortest.Int64*1_000_000).
			and(retentionExpr+` > 0`, def).
			and(`e.created_at < `+cutoff, nowUS, def).
			and(`NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.event_tenant_id = e.tenant_id
				AND (d.status = 'pending' OR d.last_attempt_at >= `+cutoff+`))`, nowUS, def)
		rows, err := tx.QueryContext(ctx, `SELECT e.seq FROM events e LEFT JOIN tenants t ON t.id = e.tenant_id `+
			q.String()+` ORDER BY e.created_at LIMIT ?`, append(q.args, p.Batch())...)
		if err != nil {
			return effects{}, fmt.Errorf("select events to prune: %w", err)
		}
		var seqs []any
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return effects{}, fmt.Errorf("scan event to prune: %w", err)
			}
			seqs = append(seqs, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return effects{}, fmt.Errorf("select events to prune: %w", err)
		}
		if len(seqs) == 0 {
			return effects{}, nil
		}
		in := `(` + strings.TrimSuffix(strings.Repeat("?, ", len(seqs)), ", ") + `)`
		for _, d := range []struct {
			what  string
			query string
			n     *int
		}{
			{"attempts", `DELETE FROM attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d
				JOIN events e ON e.id = d.event_id AND e.tenant_id = d.event_tenant_id WHERE e.seq IN ` + in + `)`, &res.Attempts},
			{"deliveries", `DELETE FROM deliveries WHERE (event_id, event_tenant_id) IN
				(SELECT id, tenant_id FROM events WHERE seq IN ` + in + `)`, &res.Deliveries},
			{"events", `DELETE FROM events WHERE seq IN ` + in, &res.Events},
		} {
			r, err := tx.ExecContext(ctx, d.query, seqs...)
			if err != nil {
				return effects{}, fmt.Errorf("prune %s: %w", d.what, err)
			}
			n, err := r.RowsAffected()
			if err != nil {
				return effects{}, fmt.Errorf("prune %s: %w", d.what, err)
			}
			*d.n = int(n)
		}
		return effects{}, nil
	})
	if err != nil {
		return herald.PruneResult{}, err
	}
	return res, nil
}

// Stats counts the rows of every table and measures its pages, with its
// indexes', in the dbstat virtual table.
func (s *DB) Stats(ctx context.Context) (*herald.Stats, error) {
	st := &herald.Stats{Engine: "sqlite", Method: "dbstat", Tables: []herald.TableStats{}}
	rows, err := s.rdb.QueryContext(ctx, `SELECT m.name, COALESCE((SELECT sum(d.pgsize) FROM dbstat d
			WHERE d.name = m.name OR d.name IN (SELECT i.name FROM sqlite_schema i WHERE i.type = 'index' AND i.tbl_name = m.name)), 0)
		FROM sqlite_schema m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name`)
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
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM "`+t.Table+`"`).Scan(&t.Rows); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Table, err)
		}
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).
		Scan(&st.TotalBytes); err != nil {
		return nil, fmt.Errorf("select database size: %w", err)
	}
	return st, nil
}
