package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlcol"
	"github.com/heraldhq/herald/queue"
)

const invocationColumns = `id, tenant_id, agent, source, mode, status, message, context, "user", room, response, actions,
	error, duration_ms, created_at, started_at, finished_at, reply_to, reply_status, reply_error`

// SaveAgent registers an agent with status "unknown" (p.Create) or updates
// the name and runtime of an existing one, setting the fields of p.Input
// that are set, in one transaction under the agent's row lock, for the one
// tenant of p.Tenancy, which must exist when the agent is created (see
// checkTenant). It publishes no events.
func (s *DB) SaveAgent(ctx context.Context, p herald.SaveAgentParams) (*herald.Agent, error) {
	id := p.ID
	if id == "" && p.Input.ID != nil {
		id = *p.Input.ID
	}
	owner, ok := p.Tenancy.Tenant()
	if !ok {
		return nil, herald.Errorf(herald.EINVALID, "tenant_id: an agent is saved for one tenant, not %s", p.Tenancy)
	}
	tenant := herald.TenantID(owner)
	now := s.reportTime(p.Now)
	var out *herald.Agent
	err := s.inTx(ctx, "save agent", func(tx pgx.Tx) error {
		if p.Create {
			if err := checkTenant(ctx, tx, owner); err != nil {
				return err
			}
		}
		old, err := lockAgent(ctx, tx, tenant, id)
		if err != nil {
			return err
		}
		switch {
		case p.Create && old != nil:
			return herald.Errorf(herald.ECONFLICT, "agent %q already exists", id)
		case !p.Create && old == nil:
			return herald.Errorf(herald.ENOTFOUND, "agent %q not found", id)
		}
		a := &herald.Agent{ID: id, TenantID: tenant, Status: herald.AgentUnknown, LastMetrics: map[string]float64{},
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
		if old != nil {
			rt, err := runtimeArg(a.Runtime)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE agents SET name = $3, runtime = $4, updated_at = $5
				WHERE tenant_id = $1 AND id = $2`, owner, id, a.Name, rt, now); err != nil {
				return fmt.Errorf("update agent: %w", err)
			}
			out = a
			return nil
		}
		args, err := agentArgs(a)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO agents (`+agentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (tenant_id, id) DO NOTHING`,
			args...)
		if err != nil {
			return fmt.Errorf("insert agent: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return herald.Errorf(herald.ECONFLICT, "agent %q already exists", id)
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateInvocation stores p.Invocation (status "queued" when empty) for its
// TenantID, which must exist (see checkTenant), publishes p.Events of that
// tenant with their deliveries, and with p.Queue queues the
// River job that runs it, in one transaction. A taken ID is an ECONFLICT.
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
	return s.inTx(ctx, "create invocation", func(tx pgx.Tx) error {
		if err := checkTenant(ctx, tx, string(inv.TenantID)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO invocations (`+invocationColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
			ON CONFLICT (id) DO NOTHING`, invocationArgs(inv, actions)...)
		if err != nil {
			return fmt.Errorf("insert invocation: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return herald.Errorf(herald.ECONFLICT, "invocation %q already exists", inv.ID)
		}
		if _, err := s.publishSpecs(ctx, tx, inv.TenantID, p.Events, inv.CreatedAt); err != nil {
			return err
		}
		if p.Queue {
			if _, err := s.river.InsertTx(ctx, tx, queue.InvokeArgs{InvocationID: inv.ID}, nil); err != nil {
				return fmt.Errorf("queue invocation: %w", err)
			}
		}
		return nil
	})
}

// StartInvocation marks a queued invocation running at now and returns
// it, in one statement; one no longer queued is an ECONFLICT.
func (s *DB) StartInvocation(ctx context.Context, id string, now time.Time) (*herald.Invocation, error) {
	now = s.reportTime(now)
	inv, err := scanInvocation(s.pool.QueryRow(ctx, `UPDATE invocations SET status = $2, started_at = $3
		WHERE id = $1 AND status = $4 RETURNING `+invocationColumns,
		id, herald.InvocationRunning, now, herald.InvocationQueued))
	if err == nil {
		return inv, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("start invocation: %w", err)
	}
	cur, err := s.Invocation(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
	if err != nil {
		return nil, err
	}
	return nil, herald.Errorf(herald.ECONFLICT, "invocation %q is %s, not queued", id, cur.Status)
}

// FinishInvocation records an outcome (started_at is set to o.Now when the
// invocation never started) and publishes o.Events for the invocation's
// tenant, in one transaction
// under the invocation's row lock. A finished invocation is an ECONFLICT.
func (s *DB) FinishInvocation(ctx context.Context, o herald.InvocationOutcome) (*herald.Invocation, error) {
	now := s.reportTime(o.Now)
	var out *herald.Invocation
	err := s.inTx(ctx, "finish invocation", func(tx pgx.Tx) error {
		inv, err := scanInvocation(tx.QueryRow(ctx, `SELECT `+invocationColumns+` FROM invocations
			WHERE id = $1 FOR UPDATE`, o.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			return herald.Errorf(herald.ENOTFOUND, "invocation %q not found", o.ID)
		} else if err != nil {
			return fmt.Errorf("lock invocation: %w", err)
		}
		if inv.Finished() {
			return herald.Errorf(herald.ECONFLICT, "invocation %q is %s already", o.ID, inv.Status)
		}
		inv.ApplyOutcome(o, now)
		actions, err := sqlcol.Actions(inv.Actions)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invocations SET status = $2, response = $3, actions = $4, error = $5,
			duration_ms = $6, started_at = $7, finished_at = $8 WHERE id = $1`,
			o.ID, inv.Status, escapeText(inv.Response), actions, escapeText(inv.Error), inv.DurationMS, inv.StartedAt, now); err != nil {
			return fmt.Errorf("finish invocation: %w", err)
		}
		if _, err := s.publishSpecs(ctx, tx, inv.TenantID, o.Events, now); err != nil {
			return err
		}
		if o.Reply != nil {
			if _, err := tx.Exec(ctx, `UPDATE invocations SET reply_status = $2, reply_error = '' WHERE id = $1`,
				o.ID, herald.ReplyPending); err != nil {
				return fmt.Errorf("queue reply: %w", err)
			}
			inv.ReplyStatus, inv.ReplyError = herald.ReplyPending, ""
			p := queue.ReplyJob(o.ID, o.Reply.RunAt)
			if _, err := s.river.InsertTx(ctx, tx, p.Args, p.InsertOpts); err != nil {
				return fmt.Errorf("queue reply: %w", err)
			}
		}
		out = inv
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Invocation returns one invocation within ref.Tenancy.
func (s *DB) Invocation(ctx context.Context, ref herald.Ref) (*herald.Invocation, error) {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	inv, err := scanInvocation(s.pool.QueryRow(ctx, `SELECT `+invocationColumns+` FROM invocations `+c.where(), c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "invocation %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select invocation: %w", err)
	}
	return inv, nil
}

// ListInvocations returns a page of the invocations within f.Tenancy,
// newest first, and the total (see pageTotal).
func (s *DB) ListInvocations(ctx context.Context, f herald.InvocationFilter) ([]*herald.Invocation, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	if f.Agent != "" {
		c.eq("agent", f.Agent)
	}
	if f.Status != "" {
		c.eq("status", f.Status)
	}
	if len(f.Sources) > 0 {
		c.add("source = ANY(" + c.arg(f.Sources) + ")")
	}
	return listPage(ctx, s, pageQuery{table: "invocations", cols: invocationColumns, where: c.where(), args: c.args,
		order: "created_at DESC, id DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Invocation, error) {
		return scanInvocation(row, total)
	})
}

// invocationArgs are the values of invocationColumns for inv, with its
// actions encoded.
func invocationArgs(inv *herald.Invocation, actions any) []any {
	return []any{inv.ID, string(inv.TenantID), inv.Agent, inv.Source, inv.Mode, inv.Status, escapeText(inv.Message),
		sqlcol.Object(inv.Context), jsonArg(inv.User), jsonArg(inv.Room), escapeText(inv.Response), actions,
		escapeText(inv.Error), inv.DurationMS, inv.CreatedAt, inv.StartedAt, inv.FinishedAt, replyToArg(inv.ReplyTo),
		inv.ReplyStatus, escapeText(inv.ReplyError)}
}

// scanInvocation scans a row holding invocationColumns, then those of
// after. JSON columns are read as their text.
func scanInvocation(row scanner, after ...any) (*herald.Invocation, error) {
	var (
		inv                 herald.Invocation
		ctxText             string
		user, room, actions *string
		replyTo             *string
	)
	if err := row.Scan(append([]any{&inv.ID, &inv.TenantID, &inv.Agent, &inv.Source, &inv.Mode, &inv.Status, freeText(&inv.Message),
		&ctxText, &user, &room, freeText(&inv.Response), &actions, freeText(&inv.Error), &inv.DurationMS, &inv.CreatedAt,
		&inv.StartedAt, &inv.FinishedAt, &replyTo, &inv.ReplyStatus, freeText(&inv.ReplyError)}, after...)...); err != nil {
		return nil, err
	}
	inv.Context = json.RawMessage(ctxText)
	if user != nil {
		inv.User = json.RawMessage(*user)
	}
	if room != nil {
		inv.Room = json.RawMessage(*room)
	}
	if actions != nil {
		var err error
		if inv.Actions, err = sqlcol.DecodeActions(*actions); err != nil {
			return nil, err
		}
	}
	if replyTo != nil && *replyTo != "" {
		inv.ReplyTo = &herald.ReplyTarget{}
		if err := json.Unmarshal([]byte(*replyTo), inv.ReplyTo); err != nil {
			return nil, fmt.Errorf("decode reply_to: %w", err)
		}
	}
	return &inv, nil
}

// replyToArg is an invocation's reply target for its column: NULL when
// none.
func replyToArg(t *herald.ReplyTarget) *string {
	if t == nil {
		return nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

// RecordReply sets an invocation's reply_status and reply_error.
func (s *DB) RecordReply(ctx context.Context, p herald.RecordReplyParams) error {
	tag, err := s.pool.Exec(ctx, `UPDATE invocations SET reply_status = $2, reply_error = $3 WHERE id = $1`,
		p.InvocationID, p.Status, escapeText(p.Error))
	if err != nil {
		return fmt.Errorf("record reply: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "invocation %q not found", p.InvocationID)
	}
	return nil
}
