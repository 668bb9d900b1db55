package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// ExportAgentData streams the log lines of agent p.AgentID of p.TenantID
// (by timestamp, then arrival) and then its metric points (by name, then time), each kind from
// one query whose rows pgx reads off the connection as they are used, in
// chunks of p.Chunk().
func (s *DB) ExportAgentData(ctx context.Context, p herald.ExportParams) error {
	if err := s.agentExists(ctx, p.TenantID, p.AgentID); err != nil {
		return err
	}
	if p.Logs != nil {
		err := streamChunks(ctx, s, p.Chunk(), p.Logs, "agent logs", func(rows pgx.Rows) (herald.LogEntry, error) {
			var l herald.LogEntry
			return l, rows.Scan(&l.Level, freeText(&l.Message), &l.Timestamp)
		}, `SELECT level, message, ts FROM agent_logs WHERE tenant_id = $1 AND agent_id = $2 ORDER BY ts, seq`,
			p.TenantID, p.AgentID)
		if err != nil {
			return err
		}
	}
	if p.Points != nil {
		err := streamChunks(ctx, s, p.Chunk(), p.Points, "metric points", func(rows pgx.Rows) (herald.MetricPoint, error) {
			var m herald.MetricPoint
			return m, rows.Scan(&m.Name, &m.Value, &m.Timestamp)
		}, `SELECT name, value, ts FROM metric_points WHERE tenant_id = $1 AND agent_id = $2 ORDER BY name, ts`,
			p.TenantID, p.AgentID)
		if err != nil {
			return err
		}
	}
	return nil
}

// ExportInbound streams every invocation of every tenant (by created_at,
// then ID), then the inbound request log (by at, then ID), then the claims unexpired at p.Now
// (by scope, then id), each kind from one query whose rows pgx reads off
// the connection as they are used, in chunks of p.Chunk().
func (s *DB) ExportInbound(ctx context.Context, p herald.InboundExportParams) error {
	if p.Invocations != nil {
		err := streamChunks(ctx, s, p.Chunk(), p.Invocations, "invocations", func(rows pgx.Rows) (*herald.Invocation, error) {
			return scanInvocation(rows)
		}, `SELECT `+invocationColumns+` FROM invocations ORDER BY created_at, id`)
		if err != nil {
			return err
		}
	}
	if p.Requests != nil {
		err := streamChunks(ctx, s, p.Chunk(), p.Requests, "inbound requests", func(rows pgx.Rows) (*herald.InboundRequest, error) {
			return scanInboundRequest(rows)
		}, `SELECT `+inboundRequestColumns+` FROM inbound_requests ORDER BY at, id`)
		if err != nil {
			return err
		}
	}
	if p.Claims != nil {
		now := p.Now
		if now.IsZero() {
			now = s.clock.Now()
		}
		err := streamChunks(ctx, s, p.Chunk(), p.Claims, "inbound claims", func(rows pgx.Rows) (herald.InboundClaim, error) {
			var c herald.InboundClaim
			return c, rows.Scan(&c.Scope, &c.ID, &c.ExpiresAt)
		}, `SELECT scope, id, expires_at FROM inbound_claims WHERE expires_at > $1 ORDER BY scope, id`,
			now.UTC().Truncate(time.Microsecond))
		if err != nil {
			return err
		}
	}
	return nil
}

// scanInboundRequest scans a row holding inboundRequestColumns; headers
// are read as their JSON text.
func scanInboundRequest(row scanner) (*herald.InboundRequest, error) {
	var (
		r       herald.InboundRequest
		headers string
	)
	if err := row.Scan(&r.ID, &r.TenantID, &r.Webhook, &r.At, &r.SourceIP, &headers, freeText(&r.Body), &r.EventType, &r.Verdict,
		freeText(&r.Reason), &r.Status, &r.InvocationID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	return &r, nil
}

// streamChunks runs query and hands its rows, read by scan, to emit in
// chunks of size, each a new slice. An error of emit is returned as is.
func streamChunks[T any](ctx context.Context, s *DB, size int, emit func([]T) error, what string,
	scan func(pgx.Rows) (T, error), query string, args ...any) error {
	rows, err := s.pool.Query(ctx, query, args...)
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
