package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
)

// ExportAgentData streams the log lines of the agent of p.TenantID (by
// timestamp, then arrival) and then its metric points (by name, time, then
// arrival), each kind from one query on a read connection, in chunks of
// p.Chunk().
func (s *DB) ExportAgentData(ctx context.Context, p herald.ExportParams) error {
	if err := s.agentExists(ctx, p.TenantID, p.AgentID); err != nil {
		return err
	}
	if p.Logs != nil {
		err := streamChunks(ctx, s.rdb, p.Chunk(), p.Logs, "agent logs", func(rows *sql.Rows) (herald.LogEntry, error) {
			var (
				l  herald.LogEntry
				ts int64
			)
			err := rows.Scan(&l.Level, &l.Message, &ts)
			l.Timestamp = fromMicros(ts)
			return l, err
		}, `SELECT level, message, ts FROM agent_logs WHERE tenant_id = ? AND agent_id = ? ORDER BY ts, seq`,
			p.TenantID, p.AgentID)
		if err != nil {
			return err
		}
	}
	if p.Points != nil {
		err := streamChunks(ctx, s.rdb, p.Chunk(), p.Points, "metric points", func(rows *sql.Rows) (herald.MetricPoint, error) {
			var (
				m  herald.MetricPoint
				ts int64
			)
			err := rows.Scan(&m.Name, &m.Value, &ts)
			m.Timestamp = fromMicros(ts)
			return m, err
		}, `SELECT name, value, ts FROM metric_points WHERE tenant_id = ? AND agent_id = ? ORDER BY name, ts, rowid`,
			p.TenantID, p.AgentID)
		if err != nil {
			return err
		}
	}
	return nil
}

// ExportInbound streams every invocation (by created_at, then ID), then the
// inbound request log (by at, then ID), of every tenant, then the claims
// unexpired at p.Now (by scope, then id), each kind from one query on a read connection, in
// chunks of p.Chunk().
func (s *DB) ExportInbound(ctx context.Context, p herald.InboundExportParams) error {
	if p.Invocations != nil {
		err := streamChunks(ctx, s.rdb, p.Chunk(), p.Invocations, "invocations", func(rows *sql.Rows) (*herald.Invocation, error) {
			return scanInvocation(rows)
		}, `SELECT `+invocationColumns+` FROM invocations ORDER BY created_at, id`)
		if err != nil {
			return err
		}
	}
	if p.Requests != nil {
		err := streamChunks(ctx, s.rdb, p.Chunk(), p.Requests, "inbound requests", func(rows *sql.Rows) (*herald.InboundRequest, error) {
			return scanInboundRequest(rows)
		},
			`SELECT `+inboundRequestColumns+` FROM inbound_requests ORDER BY at, id`)
		if err != nil {
			return err
		}
	}
	if p.Claims != nil {
		now := p.Now
		if now.IsZero() {
			now = s.clock.Now()
		}
		err := streamChunks(ctx, s.rdb, p.Chunk(), p.Claims, "inbound claims", func(rows *sql.Rows) (herald.InboundClaim, error) {
			var (
				c       herald.InboundClaim
				expires int64
			)
			err := rows.Scan(&c.Scope, &c.ID, &expires)
			c.ExpiresAt = fromMicros(expires)
			return c, err
		}, `SELECT scope, id, expires_at FROM inbound_claims WHERE expires_at > ? ORDER BY scope, id`, micros(now))
		if err != nil {
			return err
		}
	}
	return nil
}

// scanInboundRequest scans a row holding inboundRequestColumns.
func scanInboundRequest(row scanner) (*herald.InboundRequest, error) {
	var (
		r       herald.InboundRequest
		at      int64
		headers string
	)
	if err := row.Scan(&r.ID, &r.TenantID, &r.Webhook, &at, &r.SourceIP, &headers, &r.Body, &r.EventType, &r.Verdict,
		&r.Reason, &r.Status, &r.InvocationID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	r.At = fromMicros(at)
	return &r, nil
}

// streamChunks runs query and hands its rows, read by scan, to emit in
// chunks of size, each a new slice. An error of emit is returned as is.
func streamChunks[T any](ctx context.Context, q querier, size int, emit func([]T) error, what string,
	scan func(*sql.Rows) (T, error), query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("select %s: %w", what, err)
	}
	defer rows.Close()
	chunk := make([]T, 0, size)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("scan %s: %w", what, err)
		}
		if chunk = append(chunk, v); len(chunk) == size {
			if err := emit(chunk); err != nil {
				return err
			}
			chunk = make([]T, 0, size)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("select %s: %w", what, err)
	}
	if len(chunk) > 0 {
		return emit(chunk)
	}
	return nil
}
