package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/jsjson"
)

// maxMetricPoints bounds the points one AgentMetrics call returns.
const maxMetricPoints = 10000

const agentColumns = `tenant_id, id, status, node_id, error, metadata, last_metrics, last_metrics_at, last_seen,
	status_changed_at, created_at, updated_at, name, runtime`

// ReportAgentStatus applies an agent-status report of r.TenantID, which
// must exist, in one write: the agent's new state (herald.ApplyReport),
// its log lines, and the events of herald.AgentEvents with their
// deliveries and jobs. SQLite's one writer applies reports one at a time,
// so each sees the state the last one left.
func (s *DB) ReportAgentStatus(ctx context.Context, r *herald.AgentReport) (*herald.ReportResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.reportTime(r.Now)
	var res *herald.ReportResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, r.TenantID); err != nil {
			return effects{}, err
		}
		a, specs, err := applyAgentReport(ctx, tx, r, now)
		if err != nil {
			return effects{}, err
		}
		evs, jobs, err := s.publishSpecs(ctx, tx, r.TenantID, specs, now)
		if err != nil {
			return effects{}, err
		}
		res = &herald.ReportResult{Agent: a, Events: evs}
		return effects{jobs: jobs}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ReportMetrics stores one point per metric at r.Timestamp (or the report's
// time), merges the values into the last metrics of the agent of
// r.TenantID (which must exist), registering an unknown agent with status
// "unknown", and publishes metrics.report, in one write. It moves
// last_seen but never the status.
func (s *DB) ReportMetrics(ctx context.Context, r *herald.MetricsReport) (*herald.ReportResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.reportTime(r.Now)
	at := now
	if !r.Timestamp.IsZero() {
		at = r.Timestamp.UTC().Truncate(time.Microsecond)
	}
	var res *herald.ReportResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, r.TenantID); err != nil {
			return effects{}, err
		}
		old, err := loadAgent(ctx, tx, string(r.TenantID), r.AgentID)
		if err != nil {
			return effects{}, err
		}
		a := herald.ApplyMetrics(old, r, at, now)
		if err := saveAgent(ctx, tx, a); err != nil {
			return effects{}, err
		}
		for name, v := range r.Metrics {
			if _, err := tx.ExecContext(ctx, `INSERT INTO metric_points (tenant_id, agent_id, name, value, ts)
				VALUES (?, ?, ?, ?, ?)`, string(a.TenantID), a.ID, name, v, micros(at)); err != nil {
				return effects{}, fmt.Errorf("insert metric point: %w", err)
			}
		}
		evs, jobs, err := s.publishSpecs(ctx, tx, r.TenantID, []herald.EventSpec{herald.MetricsEvent(r)}, now)
		if err != nil {
			return effects{}, err
		}
		res = &herald.ReportResult{Agent: a, Events: evs}
		return effects{jobs: jobs}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MarkUnresponsive marks every running agent, of every tenant, last seen
// before p.Before unresponsive at p.Now, each agent in a write of its own
// that checks the condition again, and publishes its agent.status event
// for the agent's tenant. On an error it returns what it did so far.
func (s *DB) MarkUnresponsive(ctx context.Context, p herald.UnresponsiveParams) ([]*herald.ReportResult, error) {
	now := s.reportTime(p.Now)
	before := p.Before.UTC().Truncate(time.Microsecond)
	rows, err := s.rdb.QueryContext(ctx, `SELECT tenant_id, id FROM agents WHERE status = ? AND last_seen < ?
		ORDER BY last_seen, id, tenant_id`, herald.AgentRunning, micros(before))
	if err != nil {
		return nil, fmt.Errorf("select silent agents: %w", err)
	}
	type silent struct{ tenant, id string }
	var ids []silent
	for rows.Next() {
		var a silent
		if err := rows.Scan(&a.tenant, &a.id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan agent: %w", err)
		}
		ids = append(ids, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select silent agents: %w", err)
	}

	out := []*herald.ReportResult{}
	for _, ag := range ids {
		var res *herald.ReportResult
		err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
			res = nil
			old, err := loadAgent(ctx, tx, ag.tenant, ag.id)
			if err != nil || old == nil || old.Status != herald.AgentRunning || !old.LastSeen.Before(before) {
				return effects{}, err // reported or removed meanwhile
			}
			a := *old
			a.Status, a.StatusChangedAt, a.UpdatedAt = herald.AgentUnresponsive, now, now
			if err := saveAgent(ctx, tx, &a); err != nil {
				return effects{}, err
			}
			specs := herald.AgentEvents(old, &herald.AgentReport{TenantID: old.TenantID, AgentID: old.ID,
				Status: herald.AgentUnresponsive})
			evs, jobs, err := s.publishSpecs(ctx, tx, old.TenantID, specs, now)
			if err != nil {
				return effects{}, err
			}
			res = &herald.ReportResult{Agent: &a, Events: evs}
			return effects{jobs: jobs}, nil
		})
		if err != nil {
			return out, err
		}
		if res != nil {
			out = append(out, res)
		}
	}
	return out, nil
}

// Agent returns one agent of ref.Tenancy's owner (see
// herald.Tenancy.Owner).
func (s *DB) Agent(ctx context.Context, ref herald.Ref) (*herald.Agent, error) {
	var a *herald.Agent
	if tenant, ok := ref.Tenancy.Owner(); ok {
		var err error
		if a, err = loadAgent(ctx, s.rdb, tenant, ref.ID); err != nil {
			return nil, err
		}
	}
	if a == nil {
		return nil, herald.Errorf(herald.ENOTFOUND, "agent %q not found", ref.ID)
	}
	return a, nil
}

// ListAgents returns a page of agents within f.Tenancy, most recently seen
// first, and the total.
func (s *DB) ListAgents(ctx context.Context, f herald.AgentFilter) ([]*herald.Agent, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	if f.Status != "" {
		q.and("status = ?", f.Status)
	}
	return listPage(ctx, s, pageQuery{table: "agents", cols: agentColumns, where: q.String(), args: q.args,
		order: "last_seen DESC, id DESC, tenant_id DESC", skip: skip, limit: limit}, scanAgent)
}

// AgentLogs returns an agent's log lines at or after f.Since, oldest first
// (by timestamp, then by arrival), at most f.Limit.
func (s *DB) AgentLogs(ctx context.Context, f herald.LogFilter) ([]*herald.LogEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = herald.DefaultLimit
	} else if limit > herald.MaxLimit {
		limit = herald.MaxLimit
	}
	tenant, err := s.agentOf(ctx, f.Tenancy, f.AgentID)
	if err != nil {
		return nil, err
	}
	q := (&where{}).and("tenant_id = ?", tenant).and("agent_id = ?", f.AgentID)
	if !f.Since.IsZero() {
		q.and("ts >= ?", micros(f.Since))
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT level, message, ts FROM agent_logs `+q.String()+
		` ORDER BY ts, seq LIMIT ?`, append(q.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("select agent logs: %w", err)
	}
	defer rows.Close()
	out := []*herald.LogEntry{}
	for rows.Next() {
		var (
			l  herald.LogEntry
			ts int64
		)
		if err := rows.Scan(&l.Level, &l.Message, &ts); err != nil {
			return nil, fmt.Errorf("scan agent log: %w", err)
		}
		l.Timestamp = fromMicros(ts)
		out = append(out, &l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select agent logs: %w", err)
	}
	return out, nil
}

// ListAgentLogs returns a page of an agent's log lines, newest first (by
// timestamp, then by arrival), and the total.
func (s *DB) ListAgentLogs(ctx context.Context, f herald.LogPage) ([]*herald.LogEntry, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	tenant, err := s.agentOf(ctx, f.Tenancy, f.AgentID)
	if err != nil {
		return nil, 0, err
	}
	q := (&where{}).and("tenant_id = ?", tenant).and("agent_id = ?", f.AgentID)
	return listPage(ctx, s, pageQuery{table: "agent_logs", cols: "level, message, ts", where: q.String(), args: q.args,
		order: "ts DESC, seq DESC", skip: skip, limit: limit}, func(row scanner) (*herald.LogEntry, error) {
		var (
			l  herald.LogEntry
			ts int64
		)
		err := row.Scan(&l.Level, &l.Message, &ts)
		l.Timestamp = fromMicros(ts)
		return &l, err
	})
}

// AgentMetrics returns an agent's metric points, oldest first (then by
// name), at most f.Limit (default herald.MaxLimit, at most 10000).
func (s *DB) AgentMetrics(ctx context.Context, f herald.MetricFilter) ([]herald.MetricPoint, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = herald.MaxLimit
	} else if limit > maxMetricPoints {
		limit = maxMetricPoints
	}
	tenant, err := s.agentOf(ctx, f.Tenancy, f.AgentID)
	if err != nil {
		return nil, err
	}
	q := (&where{}).and("tenant_id = ?", tenant).and("agent_id = ?", f.AgentID)
	if f.Name != "" {
		q.and("name = ?", f.Name)
	}
	if !f.Since.IsZero() {
		q.and("ts >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		q.and("ts < ?", micros(f.Until))
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, value, ts FROM metric_points `+q.String()+
		` ORDER BY ts, name LIMIT ?`, append(q.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("select metric points: %w", err)
	}
	defer rows.Close()
	out := []herald.MetricPoint{}
	for rows.Next() {
		var (
			p  herald.MetricPoint
			ts int64
		)
		if err := rows.Scan(&p.Name, &p.Value, &ts); err != nil {
			return nil, fmt.Errorf("scan metric point: %w", err)
		}
		p.Timestamp = fromMicros(ts)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select metric points: %w", err)
	}
	return out, nil
}

// agentOf returns the tenant of the agent id of t's owner (see
// herald.Tenancy.Owner), and ENOTFOUND when it has no such agent.
func (s *DB) agentOf(ctx context.Context, t herald.Tenancy, id string) (string, error) {
	tenant, ok := t.Owner()
	if !ok {
		return "", herald.Errorf(herald.ENOTFOUND, "agent %q not found", id)
	}
	return tenant, s.agentExists(ctx, tenant, id)
}

// agentExists returns ENOTFOUND for an unknown agent of tenant.
func (s *DB) agentExists(ctx context.Context, tenant, id string) error {
	var one int
	err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM agents WHERE tenant_id = ? AND id = ?`, tenant, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "agent %q not found", id)
	} else if err != nil {
		return fmt.Errorf("select agent: %w", err)
	}
	return nil
}

// reportTime is when a report is applied: t, or the clock's time when t is
// zero, in UTC at the microsecond, the precision of the stored times.
func (s *DB) reportTime(t time.Time) time.Time {
	if t.IsZero() {
		t = s.clock.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// applyAgentReport applies r to its agent of r.TenantID in tx, appends
// its logs, and returns the agent's new state and the events to publish:
// the one code path of status reports and of the agent side of deployment
// reports. The caller has checked the tenant.
func applyAgentReport(ctx context.Context, tx *sql.Tx, r *herald.AgentReport, now time.Time) (*herald.Agent, []herald.EventSpec, error) {
	old, err := loadAgent(ctx, tx, string(r.TenantID), r.AgentID)
	if err != nil {
		return nil, nil, err
	}
	a := herald.ApplyReport(old, r, now)
	if err := saveAgent(ctx, tx, a); err != nil {
		return nil, nil, err
	}
	for _, l := range r.Logs {
		l.Normalize(now) // l is a copy: the report is left as it is
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_logs (tenant_id, agent_id, level, message, ts)
			VALUES (?, ?, ?, ?, ?)`, string(a.TenantID), a.ID, l.Level, l.Message, micros(l.Timestamp)); err != nil {
			return nil, nil, fmt.Errorf("insert agent log: %w", err)
		}
	}
	return a, herald.AgentEvents(old, r), nil
}

// publishSpecs publishes events of tenant in tx, in order, as
// PublishEvent does, with payloads in jsjson's canonical form and their
// agent (if any) as their ordering key, and returns them and their jobs.
func (s *DB) publishSpecs(ctx context.Context, tx *sql.Tx, tenant herald.TenantID, specs []herald.EventSpec, now time.Time) ([]*herald.Event, []river.InsertManyParams, error) {
	evs := make([]*herald.Event, 0, len(specs))
	var jobs []river.InsertManyParams
	for _, spec := range specs {
		data, err := jsjson.Marshal(spec.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s event: %w", spec.Type, err)
		}
		res, js, err := s.publish(ctx, tx, herald.PublishParams{TenantID: string(tenant), Type: spec.Type, Data: data,
			OrderingKey: herald.EventAgentID(data)}, now)
		if err != nil {
			return nil, nil, err
		}
		evs, jobs = append(evs, res.Event), append(jobs, js...)
	}
	return evs, jobs, nil
}

// loadAgent returns one agent of tenant, or nil when there is none.
func loadAgent(ctx context.Context, q querier, tenant, id string) (*herald.Agent, error) {
	a, err := scanAgent(q.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE tenant_id = ? AND id = ?`,
		tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("select agent: %w", err)
	}
	return a, nil
}

// saveAgent inserts or replaces an agent's row.
func saveAgent(ctx context.Context, tx *sql.Tx, a *herald.Agent) error {
	last, err := json.Marshal(nonNilMetrics(a.LastMetrics))
	if err != nil {
		return fmt.Errorf("encode last metrics: %w", err)
	}
	rt, err := runtimeText(a.Runtime)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO agents (`+agentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, id) DO UPDATE SET status = excluded.status, node_id = excluded.node_id,
			error = excluded.error, metadata = excluded.metadata, last_metrics = excluded.last_metrics,
			last_metrics_at = excluded.last_metrics_at, last_seen = excluded.last_seen,
			status_changed_at = excluded.status_changed_at, updated_at = excluded.updated_at`,
		string(a.TenantID), a.ID, a.Status, a.NodeID, a.Error, jsonText(a.Metadata), string(last), microsPtr(a.LastMetricsAt),
		micros(a.LastSeen), micros(a.StatusChangedAt), micros(a.CreatedAt), micros(a.UpdatedAt), a.Name, rt); err != nil {
		return fmt.Errorf("save agent: %w", err)
	}
	return nil
}

func scanAgent(row scanner) (*herald.Agent, error) {
	var (
		a                               herald.Agent
		metadata, rt                    sql.NullString
		last                            string
		lastAt                          sql.NullInt64
		seen, changed, created, updated int64
	)
	if err := row.Scan(&a.TenantID, &a.ID, &a.Status, &a.NodeID, &a.Error, &metadata, &last, &lastAt, &seen,
		&changed, &created, &updated, &a.Name, &rt); err != nil {
		return nil, err
	}
	if rt.Valid {
		if err := json.Unmarshal([]byte(rt.String), &a.Runtime); err != nil {
			return nil, fmt.Errorf("decode runtime: %w", err)
		}
	}
	if metadata.Valid {
		a.Metadata = json.RawMessage(metadata.String)
	}
	if err := json.Unmarshal([]byte(last), &a.LastMetrics); err != nil {
		return nil, fmt.Errorf("decode last metrics: %w", err)
	}
	a.LastMetrics = nonNilMetrics(a.LastMetrics)
	a.LastMetricsAt = fromNull(lastAt)
	a.LastSeen, a.StatusChangedAt = fromMicros(seen), fromMicros(changed)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

// runtimeText is an agent's runtime for the nullable runtime column: its
// JSON, or NULL when it has none.
func runtimeText(r *herald.Runtime) (any, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode runtime: %w", err)
	}
	return string(b), nil
}

func nonNilMetrics(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}
