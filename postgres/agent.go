package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/jsjson"
)

// maxMetricPoints bounds the points one AgentMetrics call returns.
const maxMetricPoints = 10000

const agentColumns = `tenant_id, id, status, node_id, error, metadata, last_metrics, last_metrics_at, last_seen,
	status_changed_at, created_at, updated_at, name, runtime`

// ReportAgentStatus applies an agent-status report for r.TenantID, which
// must exist (see checkTenant), in one transaction: the agent's new state
// (herald.ApplyReport), its log lines, and the events of
// herald.AgentEvents with their deliveries and jobs. The agent's row is
// locked first (see writeAgent), so concurrent reports for one agent, from
// any node, apply one at a time and each sees the state the last one left.
func (s *DB) ReportAgentStatus(ctx context.Context, r *herald.AgentReport) (*herald.ReportResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.reportTime(r.Now)
	var res *herald.ReportResult
	err := s.inTx(ctx, "report agent status", func(tx pgx.Tx) error {
		if err := checkTenant(ctx, tx, string(r.TenantID)); err != nil {
			return err
		}
		a, specs, err := applyAgentReport(ctx, tx, r, now)
		if err != nil {
			return err
		}
		evs, err := s.publishSpecs(ctx, tx, r.TenantID, specs, now)
		res = &herald.ReportResult{Agent: a, Events: evs}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ReportMetrics stores one point per metric at r.Timestamp (or the report's
// time) for r.TenantID, which must exist (see checkTenant), merges the values into the agent's last metrics, registering an
// unknown agent with status "unknown", and publishes metrics.report, in one
// transaction. It moves last_seen but never the status.
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
	err := s.inTx(ctx, "report metrics", func(tx pgx.Tx) error {
		if err := checkTenant(ctx, tx, string(r.TenantID)); err != nil {
			return err
		}
		_, a, err := writeAgent(ctx, tx, r.TenantID, r.AgentID, func(old *herald.Agent) *herald.Agent {
			return herald.ApplyMetrics(old, r, at, now)
		})
		if err != nil {
			return err
		}
		names := make([]string, 0, len(r.Metrics))
		values := make([]float64, 0, len(r.Metrics))
		for name, v := range r.Metrics {
			names, values = append(names, name), append(values, v)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO metric_points (tenant_id, agent_id, name, value, ts)
			SELECT $1, $2, u.name, u.value, $5 FROM unnest($3::text[], $4::float8[]) AS u (name, value)`,
			string(a.TenantID), a.ID, names, values, at); err != nil {
			return fmt.Errorf("insert metric points: %w", err)
		}
		evs, err := s.publishSpecs(ctx, tx, r.TenantID, []herald.EventSpec{herald.MetricsEvent(r)}, now)
		res = &herald.ReportResult{Agent: a, Events: evs}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MarkUnresponsive marks every running agent, of every tenant, last seen
// before p.Before unresponsive at p.Now, each agent in a transaction of its
// own that checks the condition again under the row's lock, and publishes
// its agent.status event for the agent's tenant. On an error it returns
// what it did so far.
func (s *DB) MarkUnresponsive(ctx context.Context, p herald.UnresponsiveParams) ([]*herald.ReportResult, error) {
	now := s.reportTime(p.Now)
	before := p.Before.UTC().Truncate(time.Microsecond)
	type agentKey struct {
		tenant herald.TenantID
		id     string
	}
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, id FROM agents WHERE status = $1 AND last_seen < $2
		ORDER BY last_seen, tenant_id, id`, herald.AgentRunning, before)
	if err != nil {
		return nil, fmt.Errorf("select silent agents: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (agentKey, error) {
		var k agentKey
		return k, row.Scan(&k.tenant, &k.id)
	})
	if err != nil {
		return nil, fmt.Errorf("select silent agents: %w", err)
	}
	out := []*herald.ReportResult{}
	for _, k := range keys {
		var res *herald.ReportResult
		err := s.inTx(ctx, "mark agent unresponsive", func(tx pgx.Tx) error {
			old, err := lockAgent(ctx, tx, k.tenant, k.id)
			if err != nil || old == nil || old.Status != herald.AgentRunning || !old.LastSeen.Before(before) {
				return err // reported meanwhile
			}
			a := *old
			a.Status, a.StatusChangedAt, a.UpdatedAt = herald.AgentUnresponsive, now, now
			if err := updateAgent(ctx, tx, &a); err != nil {
				return err
			}
			specs := herald.AgentEvents(old, &herald.AgentReport{TenantID: k.tenant, AgentID: k.id, Status: herald.AgentUnresponsive})
			evs, err := s.publishSpecs(ctx, tx, k.tenant, specs, now)
			res = &herald.ReportResult{Agent: &a, Events: evs}
			return err
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

// Agent returns one agent of the owner of ref.Tenancy (see
// herald.Tenancy.Owner).
func (s *DB) Agent(ctx context.Context, ref herald.Ref) (*herald.Agent, error) {
	owner, ok := ref.Tenancy.Owner()
	if !ok {
		return nil, herald.Errorf(herald.ENOTFOUND, "agent %q not found", ref.ID)
	}
	a, err := scanAgent(s.pool.QueryRow(ctx, `SELECT `+agentColumns+` FROM agents WHERE tenant_id = $1 AND id = $2`,
		owner, ref.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "agent %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select agent: %w", err)
	}
	return a, nil
}

// ListAgents returns a page of the agents within f.Tenancy, most recently
// seen first, and the total (see pageTotal).
func (s *DB) ListAgents(ctx context.Context, f herald.AgentFilter) ([]*herald.Agent, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	if f.Status != "" {
		c.eq("status", f.Status)
	}
	return listPage(ctx, s, pageQuery{table: "agents", cols: agentColumns, where: c.where(), args: c.args,
		order: "last_seen DESC, id DESC, tenant_id DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Agent, error) {
		return scanAgent(row, total)
	})
}

// AgentLogs returns the log lines of an agent of the owner of f.Tenancy at
// or after f.Since, oldest first (by timestamp, then by arrival), at most
// f.Limit.
func (s *DB) AgentLogs(ctx context.Context, f herald.LogFilter) ([]*herald.LogEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = herald.DefaultLimit
	} else if limit > herald.MaxLimit {
		limit = herald.MaxLimit
	}
	owner, err := s.agentOwner(ctx, f.Tenancy, f.AgentID)
	if err != nil {
		return nil, err
	}
	var since *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	rows, err := s.pool.Query(ctx, `SELECT level, message, ts FROM agent_logs
		WHERE tenant_id = $1 AND agent_id = $2 AND ($3::timestamptz IS NULL OR ts >= $3)
		ORDER BY ts, seq LIMIT $4`, owner, f.AgentID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("select agent logs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*herald.LogEntry, error) {
		var l herald.LogEntry
		return &l, row.Scan(&l.Level, freeText(&l.Message), &l.Timestamp)
	})
	if err != nil {
		return nil, fmt.Errorf("select agent logs: %w", err)
	}
	return out, nil
}

// ListAgentLogs returns a page of the log lines of an agent of the owner
// of f.Tenancy, newest first (by timestamp, then by arrival), and the
// total.
func (s *DB) ListAgentLogs(ctx context.Context, f herald.LogPage) ([]*herald.LogEntry, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	owner, err := s.agentOwner(ctx, f.Tenancy, f.AgentID)
	if err != nil {
		return nil, 0, err
	}
	var c conds
	c.eq("tenant_id", owner)
	c.eq("agent_id", f.AgentID)
	return listPage(ctx, s, pageQuery{table: "agent_logs", cols: "level, message, ts", where: c.where(), args: c.args,
		order: "ts DESC, seq DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.LogEntry, error) {
		var l herald.LogEntry
		return &l, row.Scan(&l.Level, freeText(&l.Message), &l.Timestamp, total)
	})
}

// AgentMetrics returns the metric points of an agent of the owner of
// f.Tenancy, oldest first (then by name), at most f.Limit (default
// herald.MaxLimit, at most 10000).
func (s *DB) AgentMetrics(ctx context.Context, f herald.MetricFilter) ([]herald.MetricPoint, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = herald.MaxLimit
	} else if limit > maxMetricPoints {
		limit = maxMetricPoints
	}
	owner, err := s.agentOwner(ctx, f.Tenancy, f.AgentID)
	if err != nil {
		return nil, err
	}
	var c conds
	c.eq("tenant_id", owner)
	c.eq("agent_id", f.AgentID)
	if f.Name != "" {
		c.eq("name", f.Name)
	}
	if !f.Since.IsZero() {
		c.add("ts >= " + c.arg(f.Since))
	}
	if !f.Until.IsZero() {
		c.add("ts < " + c.arg(f.Until))
	}
	rows, err := s.pool.Query(ctx, `SELECT name, value, ts FROM metric_points `+c.where()+`
		ORDER BY ts, name LIMIT `+c.arg(limit), c.args...)
	if err != nil {
		return nil, fmt.Errorf("select metric points: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (herald.MetricPoint, error) {
		var p herald.MetricPoint
		return p, row.Scan(&p.Name, &p.Value, &p.Timestamp)
	})
	if err != nil {
		return nil, fmt.Errorf("select metric points: %w", err)
	}
	return out, nil
}

// agentOwner returns the owner of t (see herald.Tenancy.Owner), and
// ENOTFOUND when it has no agent id.
func (s *DB) agentOwner(ctx context.Context, t herald.Tenancy, id string) (string, error) {
	owner, ok := t.Owner()
	if !ok {
		return "", herald.Errorf(herald.ENOTFOUND, "agent %q not found", id)
	}
	return owner, s.agentExists(ctx, owner, id)
}

// agentExists returns ENOTFOUND for an unknown agent of tenant.
func (s *DB) agentExists(ctx context.Context, tenant, id string) error {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM agents WHERE tenant_id = $1 AND id = $2`, tenant, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "agent %q not found", id)
	} else if err != nil {
		return fmt.Errorf("select agent: %w", err)
	}
	return nil
}

// reportTime is when a report is applied: t, or the clock's time when t is
// zero, in UTC at the microsecond, the precision of timestamptz.
func (s *DB) reportTime(t time.Time) time.Time {
	if t.IsZero() {
		t = s.clock.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *DB) inTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin %s: %w", what, err)
	}
	defer tx.Rollback(context.Background())
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit %s: %w", what, err)
	}
	return nil
}

// applyAgentReport applies r to its agent of r.TenantID in tx, appends its
// logs, and
// returns the agent's new state and the events to publish: the one code
// path of status reports and of the agent side of deployment reports.
func applyAgentReport(ctx context.Context, tx pgx.Tx, r *herald.AgentReport, now time.Time) (*herald.Agent, []herald.EventSpec, error) {
	old, a, err := writeAgent(ctx, tx, r.TenantID, r.AgentID, func(old *herald.Agent) *herald.Agent {
		return herald.ApplyReport(old, r, now)
	})
	if err != nil {
		return nil, nil, err
	}
	if len(r.Logs) > 0 {
		levels := make([]string, len(r.Logs))
		messages := make([]string, len(r.Logs))
		times := make([]time.Time, len(r.Logs))
		for i, l := range r.Logs {
			l.Normalize(now) // l is a copy: the report is left as it is
			levels[i], messages[i], times[i] = l.Level, escapeText(l.Message), l.Timestamp.Truncate(time.Microsecond)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agent_logs (tenant_id, agent_id, level, message, ts)
			SELECT $1, $2, u.level, u.message, u.ts
			FROM unnest($3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS u (level, message, ts, n)
			ORDER BY u.n`, string(a.TenantID), a.ID, levels, messages, times); err != nil {
			return nil, nil, fmt.Errorf("insert agent logs: %w", err)
		}
	}
	return a, herald.AgentEvents(old, r), nil
}

// writeAgent takes the row of agent id of tenant, locked until tx ends,
// and writes the state change returns for it (change gets nil for a new
// agent). The lock
// is what serializes reports for one agent: a second report waits for the
// first to commit and then reads its state. When two reports register a
// new agent at once, the loser's INSERT ... ON CONFLICT DO NOTHING waits for
// the winner, inserts nothing, and the loser then locks the winner's row.
func writeAgent(ctx context.Context, tx pgx.Tx, tenant herald.TenantID, id string, change func(old *herald.Agent) *herald.Agent) (old, a *herald.Agent, err error) {
	for range 2 {
		if old, err = lockAgent(ctx, tx, tenant, id); err != nil {
			return nil, nil, err
		}
		if old != nil {
			a = change(old)
			a.TenantID = tenant
			return old, a, updateAgent(ctx, tx, a)
		}
		a = change(nil)
		a.TenantID = tenant
		args, err := agentArgs(a)
		if err != nil {
			return nil, nil, err
		}
		var inserted bool
		err = tx.QueryRow(ctx, `INSERT INTO agents (`+agentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (tenant_id, id) DO NOTHING RETURNING true`, args...).Scan(&inserted)
		if err == nil {
			return nil, a, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, nil, fmt.Errorf("insert agent: %w", err)
		}
	}
	return nil, nil, fmt.Errorf("lock agent %q: inserted meanwhile but not found", id)
}

// agentArgs are the values of agentColumns for a.
func agentArgs(a *herald.Agent) ([]any, error) {
	rt, err := runtimeArg(a.Runtime)
	if err != nil {
		return nil, err
	}
	return []any{string(a.TenantID), a.ID, a.Status, a.NodeID, escapeText(a.Error), jsonArg(a.Metadata),
		nonNilMetrics(a.LastMetrics), a.LastMetricsAt, a.LastSeen, a.StatusChangedAt, a.CreatedAt, a.UpdatedAt,
		a.Name, rt}, nil
}

// lockAgent returns one agent of tenant locked until tx ends, or nil when
// there is none. FOR NO KEY UPDATE is the lock an UPDATE takes: it
// excludes other reports, not the foreign keys of log lines and points.
func lockAgent(ctx context.Context, tx pgx.Tx, tenant herald.TenantID, id string) (*herald.Agent, error) {
	a, err := scanAgent(tx.QueryRow(ctx, `SELECT `+agentColumns+` FROM agents
		WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, string(tenant), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("lock agent: %w", err)
	}
	return a, nil
}

// updateAgent writes an existing agent's state.
func updateAgent(ctx context.Context, tx pgx.Tx, a *herald.Agent) error {
	if _, err := tx.Exec(ctx, `UPDATE agents SET status = $2, node_id = $3, error = $4, metadata = $5,
		last_metrics = $6, last_metrics_at = $7, last_seen = $8, status_changed_at = $9, updated_at = $10
		WHERE id = $1 AND tenant_id = $11`,
		a.ID, a.Status, a.NodeID, escapeText(a.Error), jsonArg(a.Metadata), nonNilMetrics(a.LastMetrics), a.LastMetricsAt,
		a.LastSeen, a.StatusChangedAt, a.UpdatedAt, string(a.TenantID)); err != nil {
		return fmt.Errorf("update agent: %w", err)
	}
	return nil
}

// publishSpecs publishes events of tenant in tx, in order, as PublishEvent
// does, with payloads in jsjson's canonical form and their agent (if any) as
// their ordering key, and queues all their deliveries with one insert. The caller has checked the tenant, or holds
// the lock of a row of the tenant's.
func (s *DB) publishSpecs(ctx context.Context, tx pgx.Tx, tenant herald.TenantID, specs []herald.EventSpec, now time.Time) ([]*herald.Event, error) {
	evs := make([]*herald.Event, 0, len(specs))
	var all []*herald.Delivery
	for _, spec := range specs {
		data, err := jsjson.Marshal(spec.Data)
		if err != nil {
			return nil, fmt.Errorf("encode %s event: %w", spec.Type, err)
		}
		ev := &herald.Event{ID: herald.NewID(herald.PrefixEvent, now), TenantID: tenant, Type: spec.Type, Data: data, Created: now,
			OrderingKey: herald.EventAgentID(data)}
		ds, err := publishNew(ctx, tx, ev)
		if err != nil {
			return nil, err
		}
		evs, all = append(evs, ev), append(all, ds...)
	}
	if err := s.queueDeliveries(ctx, tx, all); err != nil {
		return nil, err
	}
	return evs, nil
}

// scanAgent scans a row holding agentColumns, then those of after. JSON
// columns are read as their text.
func scanAgent(row scanner, after ...any) (*herald.Agent, error) {
	var (
		a        herald.Agent
		metadata *string
		last     string
		rt       *string
	)
	if err := row.Scan(append([]any{&a.TenantID, &a.ID, &a.Status, &a.NodeID, freeText(&a.Error), &metadata, &last, &a.LastMetricsAt,
		&a.LastSeen, &a.StatusChangedAt, &a.CreatedAt, &a.UpdatedAt, &a.Name, &rt}, after...)...); err != nil {
		return nil, err
	}
	if rt != nil {
		if err := json.Unmarshal([]byte(*rt), &a.Runtime); err != nil {
			return nil, fmt.Errorf("decode runtime: %w", err)
		}
	}
	if metadata != nil {
		a.Metadata = json.RawMessage(*metadata)
	}
	if err := json.Unmarshal([]byte(last), &a.LastMetrics); err != nil {
		return nil, fmt.Errorf("decode last metrics: %w", err)
	}
	a.LastMetrics = nonNilMetrics(a.LastMetrics)
	return &a, nil
}

func nonNilMetrics(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// runtimeArg is an agent's runtime for the nullable jsonb runtime column,
// sent as text: its JSON, or NULL when it has none.
func runtimeArg(r *herald.Runtime) (any, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode runtime: %w", err)
	}
	return string(b), nil
}

// jsonArg is a JSON value for a nullable json column, sent as text: NULL
// when empty.
func jsonArg(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
