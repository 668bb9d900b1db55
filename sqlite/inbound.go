package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

const inboundWebhookColumns = `tenant_id, name, agent, secret, description, enabled, provider, transform, filters,
	response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token`

const inboundRequestColumns = `id, tenant_id, webhook, at, source_ip, headers, body, event_type, verdict, reason, status,
	invocation_id`

// CreateInboundWebhook stores a named inbound webhook for w.TenantID,
// which must exist, setting its timestamps when zero (ECONFLICT when the
// tenant has the name already).
func (s *DB) CreateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	if w.CreatedAt.IsZero() {
		w.CreatedAt = now
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	cols, err := inboundWebhookJSON(w)
	if err != nil {
		return err
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, w.TenantID); err != nil {
			return effects{}, err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM inbound_webhooks WHERE tenant_id = ? AND name = ?`,
			string(w.TenantID), w.Name).Scan(&one)
		if err == nil {
			return effects{}, herald.Errorf(herald.ECONFLICT, "inbound webhook %q already exists", w.Name)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return effects{}, fmt.Errorf("select inbound webhook: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbound_webhooks (`+inboundWebhookColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inboundWebhookArgs(w, cols)...); err != nil {
			return effects{}, fmt.Errorf("insert inbound webhook: %w", err)
		}
		return effects{}, nil
	})
}

// inboundWebhookArgs are the values of inboundWebhookColumns for w, with
// its JSON columns.
func inboundWebhookArgs(w *herald.InboundWebhook, cols inboundWebhookCols) []any {
	return []any{string(w.TenantID), w.Name, w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform,
		cols.filters, w.ResponseMode, cols.allowedIPs, cols.rateLimit, micros(w.CreatedAt), micros(w.UpdatedAt),
		microsPtr(w.LastTriggeredAt), w.BotToken}
}

// InboundWebhook returns one named inbound webhook (ref.ID is its name) of
// ref.Tenancy's owner (see herald.Tenancy.Owner), with its secret.
func (s *DB) InboundWebhook(ctx context.Context, ref herald.Ref) (*herald.InboundWebhook, error) {
	name := ref.ID
	tenant, ok := ref.Tenancy.Owner()
	if !ok {
		return nil, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	}
	w, err := scanInboundWebhook(s.rdb.QueryRowContext(ctx,
		`SELECT `+inboundWebhookColumns+` FROM inbound_webhooks WHERE tenant_id = ? AND name = ?`, tenant, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	} else if err != nil {
		return nil, fmt.Errorf("select inbound webhook: %w", err)
	}
	return w, nil
}

// ListInboundWebhooks returns the named inbound webhooks within f.Tenancy,
// by tenant, then name.
func (s *DB) ListInboundWebhooks(ctx context.Context, f herald.InboundWebhookFilter) ([]*herald.InboundWebhook, error) {
	q := confined("tenant_id", f.Tenancy)
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+inboundWebhookColumns+` FROM inbound_webhooks `+q.String()+
		` ORDER BY tenant_id, name`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("select inbound webhooks: %w", err)
	}
	defer rows.Close()
	out := []*herald.InboundWebhook{}
	for rows.Next() {
		w, err := scanInboundWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("scan inbound webhook: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select inbound webhooks: %w", err)
	}
	return out, nil
}

// UpdateInboundWebhook replaces the settings of w.Name of w.TenantID, its
// secret included, and sets its updated_at (to now when w.UpdatedAt is
// zero).
func (s *DB) UpdateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = s.clock.Now().UTC().Truncate(time.Microsecond)
	}
	cols, err := inboundWebhookJSON(w)
	if err != nil {
		return err
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res, err := tx.ExecContext(ctx, `UPDATE inbound_webhooks SET agent = ?, secret = ?, description = ?,
			enabled = ?, provider = ?, transform = ?, filters = ?, response_mode = ?, allowed_ips = ?,
			rate_limit = ?, updated_at = ?, bot_token = ? WHERE tenant_id = ? AND name = ?`,
			w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform, cols.filters,
			w.ResponseMode, cols.allowedIPs, cols.rateLimit, micros(w.UpdatedAt), w.BotToken, string(w.TenantID), w.Name)
		if err != nil {
			return effects{}, fmt.Errorf("update inbound webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", w.Name)
		}
		return effects{}, nil
	})
}

// DeleteInboundWebhook removes a named inbound webhook of ref.Tenancy's
// owner (see herald.Tenancy.Owner) and its request log, and for the
// platform's, its claimed delivery ids (a tenant's claims are scoped by
// the caller, and expire).
func (s *DB) DeleteInboundWebhook(ctx context.Context, ref herald.Ref) error {
	name := ref.ID
	tenant, ok := ref.Tenancy.Owner()
	if !ok {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM inbound_webhooks WHERE tenant_id = ? AND name = ?`, tenant, name)
		if err != nil {
			return effects{}, fmt.Errorf("delete inbound webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM inbound_requests WHERE tenant_id = ? AND webhook = ?`,
			tenant, name); err != nil {
			return effects{}, fmt.Errorf("delete inbound requests: %w", err)
		}
		if tenant == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM inbound_claims WHERE scope = ?`, name); err != nil {
				return effects{}, fmt.Errorf("delete inbound claims: %w", err)
			}
		}
		return effects{}, nil
	})
}

// TouchInboundWebhook sets the last_triggered_at of a named inbound
// webhook of p.Tenancy's owner (see herald.Tenancy.Owner).
func (s *DB) TouchInboundWebhook(ctx context.Context, p herald.TouchInboundParams) error {
	name := p.Name
	tenant, ok := p.Tenancy.Owner()
	if !ok {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res, err := tx.ExecContext(ctx, `UPDATE inbound_webhooks SET last_triggered_at = ? WHERE tenant_id = ? AND name = ?`,
			micros(p.At), tenant, name)
		if err != nil {
			return effects{}, fmt.Errorf("touch inbound webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
		}
		return effects{}, nil
	})
}

// RecordInboundRequest appends to the inbound request log of r.TenantID,
// which must exist, setting r.ID and r.At when empty.
func (s *DB) RecordInboundRequest(ctx context.Context, r *herald.InboundRequest) error {
	if r.At.IsZero() {
		r.At = s.clock.Now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if r.ID == "" {
		r.ID = herald.NewID(herald.PrefixInboundRequest, r.At)
	}
	headers, err := headersText(r.Headers)
	if err != nil {
		return err
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, r.TenantID); err != nil {
			return effects{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbound_requests (`+inboundRequestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inboundRequestArgs(r, headers)...); err != nil {
			return effects{}, fmt.Errorf("insert inbound request: %w", err)
		}
		return effects{}, nil
	})
}

// inboundRequestArgs are the values of inboundRequestColumns for r, with
// its headers' JSON.
func inboundRequestArgs(r *herald.InboundRequest, headers string) []any {
	return []any{r.ID, string(r.TenantID), r.Webhook, micros(r.At), r.SourceIP, headers, r.Body, r.EventType, r.Verdict,
		r.Reason, r.Status, r.InvocationID}
}

// ListInboundRequests returns the logged requests of a webhook of
// f.Tenancy's owner (see herald.Tenancy.Owner), newest first, at most
// f.Limit (default herald.DefaultLimit, at most herald.MaxLimit), past
// the newest f.Skip.
func (s *DB) ListInboundRequests(ctx context.Context, f herald.InboundRequestFilter) ([]*herald.InboundRequest, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	tenant, ok := f.Tenancy.Owner()
	if !ok {
		return []*herald.InboundRequest{}, nil
	}
	q := (&where{}).and("tenant_id = ?", tenant).and("webhook = ?", f.Webhook)
	if f.Verdict != "" {
		q.and("verdict = ?", f.Verdict)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+inboundRequestColumns+` FROM inbound_requests `+q.String()+
		` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, append(q.args, limit, skip)...)
	if err != nil {
		return nil, fmt.Errorf("select inbound requests: %w", err)
	}
	defer rows.Close()
	out := []*herald.InboundRequest{}
	for rows.Next() {
		r, err := scanInboundRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("scan inbound request: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select inbound requests: %w", err)
	}
	return out, nil
}

// PruneInboundRequests deletes logged requests older than p.Before, then
// the oldest beyond the newest p.MaxRows, and the claims expired by the
// store's clock, and reports how many requests it deleted.
func (s *DB) PruneInboundRequests(ctx context.Context, p herald.PruneInboundParams) (int, error) {
	now := s.clock.Now()
	var n int64
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		n = 0
		if !p.Before.IsZero() {
			res, err := tx.ExecContext(ctx, `DELETE FROM inbound_requests WHERE at < ?`, micros(p.Before))
			if err != nil {
				return effects{}, fmt.Errorf("delete inbound requests: %w", err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return effects{}, fmt.Errorf("delete inbound requests: %w", err)
			}
		}
		if p.MaxRows > 0 {
			// Everything at or before the first row past the cap, newest
			// first.
			res, err := tx.ExecContext(ctx, `DELETE FROM inbound_requests WHERE (at, id) <= (
				SELECT at, id FROM inbound_requests ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?)`, p.MaxRows)
			if err != nil {
				return effects{}, fmt.Errorf("cap inbound requests: %w", err)
			}
			capped, err := res.RowsAffected()
			if err != nil {
				return effects{}, fmt.Errorf("cap inbound requests: %w", err)
			}
			n += capped
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM inbound_claims WHERE expires_at <= ?`, micros(now)); err != nil {
			return effects{}, fmt.Errorf("delete inbound claims: %w", err)
		}
		return effects{}, nil
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// ClaimRequestID claims p.ID in p.Scope until p.Now+p.TTL (p.Now defaults
// to the store's clock) and reports whether it was unclaimed, or its claim
// expired, in one statement.
func (s *DB) ClaimRequestID(ctx context.Context, p herald.ClaimParams) (bool, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	var claimed bool
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound_claims (scope, id, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (scope, id) DO UPDATE SET expires_at = excluded.expires_at
			WHERE inbound_claims.expires_at <= ?`,
			p.Scope, p.ID, micros(now.Add(p.TTL)), micros(now))
		if err != nil {
			return effects{}, fmt.Errorf("claim request id: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return effects{}, fmt.Errorf("claim request id: %w", err)
		}
		claimed = n > 0
		return effects{}, nil
	})
	if err != nil {
		return false, err
	}
	return claimed, nil
}

// SetInboundSecret sets the secret of a built-in inbound endpoint; ""
// removes it. The secret is stored as given: it is needed in clear to
// verify signatures.
func (s *DB) SetInboundSecret(ctx context.Context, name, secret string) error {
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if secret == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM inbound_secrets WHERE name = ?`, name); err != nil {
				return effects{}, fmt.Errorf("delete inbound secret: %w", err)
			}
			return effects{}, nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbound_secrets (name, secret) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET secret = excluded.secret`, name, secret); err != nil {
			return effects{}, fmt.Errorf("save inbound secret: %w", err)
		}
		return effects{}, nil
	})
}

// InboundSecret returns the secret of a built-in inbound endpoint, "" when
// none is set.
func (s *DB) InboundSecret(ctx context.Context, name string) (string, error) {
	var secret string
	err := s.rdb.QueryRowContext(ctx, `SELECT secret FROM inbound_secrets WHERE name = ?`, name).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("select inbound secret: %w", err)
	}
	return secret, nil
}

// inboundWebhookCols are the JSON columns of an inbound webhook.
type inboundWebhookCols struct {
	transform, filters, allowedIPs string
	rateLimit                      any // NULL when there is no limit
}

func inboundWebhookJSON(w *herald.InboundWebhook) (inboundWebhookCols, error) {
	var c inboundWebhookCols
	b, err := json.Marshal(w.Transform)
	if err != nil {
		return c, fmt.Errorf("encode transform: %w", err)
	}
	c.transform = string(b)
	if b, err = json.Marshal(w.Filters); err != nil {
		return c, fmt.Errorf("encode filters: %w", err)
	}
	c.filters = string(b)
	if b, err = json.Marshal(nonNil(w.AllowedIPs)); err != nil {
		return c, fmt.Errorf("encode allowed ips: %w", err)
	}
	c.allowedIPs = string(b)
	if w.RateLimit != nil {
		if b, err = json.Marshal(w.RateLimit); err != nil {
			return c, fmt.Errorf("encode rate limit: %w", err)
		}
		c.rateLimit = string(b)
	}
	return c, nil
}

func scanInboundWebhook(row scanner) (*herald.InboundWebhook, error) {
	var (
		w                              herald.InboundWebhook
		transform, filters, allowedIPs string
		rateLimit                      sql.NullString
		created, updated               int64
		triggered                      sql.NullInt64
	)
	if err := row.Scan(&w.TenantID, &w.Name, &w.Agent, &w.Secret, &w.Description, &w.Enabled, &w.Provider, &transform, &filters,
		&w.ResponseMode, &allowedIPs, &rateLimit, &created, &updated, &triggered, &w.BotToken); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(transform), &w.Transform); err != nil {
		return nil, fmt.Errorf("decode transform: %w", err)
	}
	if err := json.Unmarshal([]byte(filters), &w.Filters); err != nil {
		return nil, fmt.Errorf("decode filters: %w", err)
	}
	if err := json.Unmarshal([]byte(allowedIPs), &w.AllowedIPs); err != nil {
		return nil, fmt.Errorf("decode allowed ips: %w", err)
	}
	if len(w.AllowedIPs) == 0 {
		w.AllowedIPs = nil
	}
	if rateLimit.Valid {
		if err := json.Unmarshal([]byte(rateLimit.String), &w.RateLimit); err != nil {
			return nil, fmt.Errorf("decode rate limit: %w", err)
		}
	}
	w.CreatedAt, w.UpdatedAt, w.LastTriggeredAt = fromMicros(created), fromMicros(updated), fromNull(triggered)
	return &w, nil
}

// headersText is a request's headers for their column: a JSON object.
func headersText(h map[string]string) (string, error) {
	if h == nil {
		h = map[string]string{}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("encode headers: %w", err)
	}
	return string(b), nil
}
