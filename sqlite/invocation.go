package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlcol"
	"github.com/heraldhq/herald/queue"
)

const invocationColumns = `id, tenant_id, agent, source, mode, status, message, context, user, room, response, actions,
	error, duration_ms, created_at, started_at, finished_at, reply_to, reply_status, reply_error`

// SaveAgent registers an agent of the one tenant of p.Tenancy (which must
// exist) with status "unknown" (p.Create) or updates the name and runtime
// of an existing one, setting the fields of p.Input that are set, in one
// write. It publishes no events.
func (s *DB) SaveAgent(ctx context.Context, p herald.SaveAgentParams) (*herald.Agent, error) {
	id := p.ID
	if id == "" && p.Input.ID != nil {
		id = *p.Input.ID
	}
	tenant, one := p.Tenancy.Tenant()
	if !one {
		return nil, herald.Errorf(herald.EINVALID, "tenant_id: an agent is saved for one tenant, not %s", p.Tenancy)
	}
	now := s.reportTime(p.Now)
	var out *herald.Agent
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if p.Create {
			if err := checkTenant(ctx, tx, herald.TenantID(tenant)); err != nil {
				return effects{}, err
			}
		}
		old, err := loadAgent(ctx, tx, tenant, id)
		if err != nil {
			return effects{}, err
		}
		switch {
		case p.Create && old != nil:
			return effects{}, herald.Errorf(herald.ECONFLICT, "agent %q already exists", id)
		case !p.Create && old == nil:
			return effects{}, herald.Errorf(herald.ENOTFOUND, "agent %q not found", id)
		}
		a := &herald.Agent{ID: id, TenantID: herald.TenantID(tenant), Status: herald.AgentUnknown, LastMetrics: map[string]float64{},
			LastSeen: now, StatusChangedAt: now, CreatedAt: now}
		if old != nil {
			cp := *old
			a = &cp
		}
		a.UpdatedAt = now
		if p.Input.Name != nil {
			a.Name = *p.Input.Name
		}
		if p.Input.Runtime != nil {
			rt := *p.Input.Runtime
			a.Runtime = &rt
		}
		if old == nil {
			if err := saveAgent(ctx, tx, a); err != nil {
				return effects{}, err
			}
			out = a
			return effects{}, nil
		}
		rt, err := runtimeText(a.Runtime)
		if err != nil {
			return effects{}, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET name = ?, runtime = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, a.Name, rt, micros(now), tenant, id); err != nil {
			return effects{}, fmt.Errorf("update agent: %w", err)
		}
		out = a
		return effects{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateInvocation stores p.Invocation (status "queued" when empty) for
// its TenantID, which must exist, publishes p.Events for that tenant with
// their deliveries, and with p.Queue queues the River job that runs it, in
// one write. A taken ID is an ECONFLICT.
func (s *DB) CreateInvocation(ctx context.Context, p herald.CreateInvocationParams) error {
	inv := p.Invocation
	if inv.Status == "" {
		inv.Status = herald.InvocationQueued
	}
	if inv.CreatedAt.IsZero() {
		inv.CreatedAt = s.clock.Now()
	}
	inv.CreatedAt = inv.CreatedAt.UTC().Truncate(time.Microsecond)
	actions, err := sqlcol.Actions(inv.Actions)
	if err != nil {
		return err
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, inv.TenantID); err != nil {
			return effects{}, err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM invocations WHERE id = ?`, inv.ID).Scan(&one)
		if err == nil {
			return effects{}, herald.Errorf(herald.ECONFLICT, "invocation %q already exists", inv.ID)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return effects{}, fmt.Errorf("select invocation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invocations (`+invocationColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, invocationArgs(inv, actions)...); err != nil {
			return effects{}, fmt.Errorf("insert invocation: %w", err)
		}
		_, jobs, err := s.publishSpecs(ctx, tx, inv.TenantID, p.Events, inv.CreatedAt)
		if err != nil {
			return effects{}, err
		}
		if p.Queue {
			jobs = append(jobs, river.InsertManyParams{Args: queue.InvokeArgs{InvocationID: inv.ID}})
		}
		return effects{jobs: jobs}, nil
	})
}

// invocationArgs are the values of invocationColumns for inv, with its
// actions as their column holds them.
func invocationArgs(inv *herald.Invocation, actions any) []any {
	return []any{inv.ID, string(inv.TenantID), inv.Agent, inv.Source, inv.Mode, inv.Status, inv.Message,
		sqlcol.Object(inv.Context), jsonText(inv.User), jsonText(inv.Room), inv.Response, actions, inv.Error,
		inv.DurationMS, micros(inv.CreatedAt), microsPtr(inv.StartedAt), microsPtr(inv.FinishedAt),
		replyToText(inv.ReplyTo), inv.ReplyStatus, inv.ReplyError}
}

// StartInvocation marks a queued invocation, of any tenant, running at now
// and returns it; one no longer queued is an ECONFLICT.
func (s *DB) StartInvocation(ctx context.Context, id string, now time.Time) (*herald.Invocation, error) {
	now = s.reportTime(now)
	var out *herald.Invocation
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		inv, err := loadInvocation(ctx, tx, id)
		if err != nil {
			return effects{}, err
		}
		if inv.Status != herald.InvocationQueued {
			return effects{}, herald.Errorf(herald.ECONFLICT, "invocation %q is %s, not queued", id, inv.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invocations SET status = ?, started_at = ? WHERE id = ?`,
			herald.InvocationRunning, micros(now), id); err != nil {
			return effects{}, fmt.Errorf("start invocation: %w", err)
		}
		inv.Status, inv.StartedAt = herald.InvocationRunning, &now
		out = inv
		return effects{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishInvocation records an outcome (started_at is set to o.Now when the
// invocation never started) and publishes o.Events for the invocation's
// tenant, in one write. A finished invocation is an ECONFLICT.
func (s *DB) FinishInvocation(ctx context.Context, o herald.InvocationOutcome) (*herald.Invocation, error) {
	now := s.reportTime(o.Now)
	var out *herald.Invocation
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		inv, err := loadInvocation(ctx, tx, o.ID)
		if err != nil {
			return effects{}, err
		}
		if inv.Finished() {
			return effects{}, herald.Errorf(herald.ECONFLICT, "invocation %q is %s already", o.ID, inv.Status)
		}
		inv.ApplyOutcome(o, now)
		actions, err := sqlcol.Actions(inv.Actions)
		if err != nil {
			return effects{}, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invocations SET status = ?, response = ?, actions = ?, error = ?,
			duration_ms = ?, started_at = ?, finished_at = ? WHERE id = ?`,
			inv.Status, inv.Response, actions, inv.Error, inv.DurationMS, microsPtr(inv.StartedAt),
			micros(now), o.ID); err != nil {
			return effects{}, fmt.Errorf("finish invocation: %w", err)
		}
		_, jobs, err := s.publishSpecs(ctx, tx, inv.TenantID, o.Events, now)
		if err != nil {
			return effects{}, err
		}
		if o.Reply != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE invocations SET reply_status = ?, reply_error = '' WHERE id = ?`,
				herald.ReplyPending, o.ID); err != nil {
				return effects{}, fmt.Errorf("queue reply: %w", err)
			}
			inv.ReplyStatus, inv.ReplyError = herald.ReplyPending, ""
			jobs = append(jobs, queue.ReplyJob(o.ID, o.Reply.RunAt))
		}
		out = inv
		return effects{jobs: jobs}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Invocation returns one invocation within ref.Tenancy.
func (s *DB) Invocation(ctx context.Context, ref herald.Ref) (*herald.Invocation, error) {
	return loadInvocationIn(ctx, s.rdb, ref)
}

// ListInvocations returns a page of invocations within f.Tenancy, newest
// first, and the total.
func (s *DB) ListInvocations(ctx context.Context, f herald.InvocationFilter) ([]*herald.Invocation, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	if f.Agent != "" {
		q.and("agent = ?", f.Agent)
	}
	if f.Status != "" {
		q.and("status = ?", f.Status)
	}
	if len(f.Sources) > 0 {
		args := make([]any, len(f.Sources))
		for i, src := range f.Sources {
			args[i] = src
		}
		q.and("source IN (?"+strings.Repeat(", ?", len(args)-1)+")", args...)
	}
	return listPage(ctx, s, pageQuery{table: "invocations", cols: invocationColumns, where: q.String(), args: q.args,
		order: "created_at DESC, id DESC", skip: skip, limit: limit}, scanInvocation)
}

// loadInvocation returns one invocation of any tenant, ENOTFOUND when
// there is none.
func loadInvocation(ctx context.Context, q querier, id string) (*herald.Invocation, error) {
	return loadInvocationIn(ctx, q, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
}

// loadInvocationIn returns one invocation within ref.Tenancy, ENOTFOUND
// when there is none.
func loadInvocationIn(ctx context.Context, q querier, ref herald.Ref) (*herald.Invocation, error) {
	id := ref.ID
	w := confined("tenant_id", ref.Tenancy).and("id = ?", id)
	inv, err := scanInvocation(q.QueryRowContext(ctx, `SELECT `+invocationColumns+` FROM invocations `+w.String(), w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "invocation %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select invocation: %w", err)
	}
	return inv, nil
}

func scanInvocation(row scanner) (*herald.Invocation, error) {
	var (
		inv                 herald.Invocation
		ctxText             string
		user, room, actions sql.NullString
		replyTo             sql.NullString
		created             int64
		started, finishedAt sql.NullInt64
	)
	if err := row.Scan(&inv.ID, &inv.TenantID, &inv.Agent, &inv.Source, &inv.Mode, &inv.Status, &inv.Message, &ctxText,
		&user, &room, &inv.Response, &actions, &inv.Error, &inv.DurationMS, &created, &started, &finishedAt,
		&replyTo, &inv.ReplyStatus, &inv.ReplyError); err != nil {
		return nil, err
	}
	inv.Context = json.RawMessage(ctxText)
	if user.Valid {
		inv.User = json.RawMessage(user.String)
	}
	if room.Valid {
		inv.Room = json.RawMessage(room.String)
	}
	if actions.Valid {
		var err error
		if inv.Actions, err = sqlcol.DecodeActions(actions.String); err != nil {
			return nil, err
		}
	}
	inv.CreatedAt, inv.StartedAt, inv.FinishedAt = fromMicros(created), fromNull(started), fromNull(finishedAt)
	if replyTo.Valid && replyTo.String != "" {
		inv.ReplyTo = &herald.ReplyTarget{}
		if err := json.Unmarshal([]byte(replyTo.String), inv.ReplyTo); err != nil {
			return nil, fmt.Errorf("decode reply_to: %w", err)
		}
	}
	return &inv, nil
}

// replyToText is an invocation's reply target for its column: NULL when
// none.
func replyToText(t *herald.ReplyTarget) any {
	if t == nil {
		return nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil
	}
	return string(b)
}

// RecordReply sets an invocation's reply_status and reply_error.
func (s *DB) RecordReply(ctx context.Context, p herald.RecordReplyParams) error {
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res, err := tx.ExecContext(ctx, `UPDATE invocations SET reply_status = ?, reply_error = ? WHERE id = ?`,
			p.Status, p.Error, p.InvocationID)
		if err != nil {
			return effects{}, fmt.Errorf("record reply: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "invocation %q not found", p.InvocationID)
		}
		return effects{}, nil
	})
}
