package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

const inboundWebhookColumns = `tenant_id, name, agent, secret, description, enabled, provider, transform, filters,
	response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token`

const inboundRequestColumns = `id, tenant_id, webhook, at, source_ip, headers, body, event_type, verdict, reason,
	status, invocation_id`

// CreateInboundWebhook stores a named inbound webhook for w.TenantID, which
// must exist (see checkTenant), setting its timestamps when zero
// (ECONFLICT when the tenant has the name already).
func (s *DB) CreateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	args, err := inboundWebhookArgs(w)
	if err != nil {
		return err
	}
	return s.forTenant(ctx, w.TenantID, "create inbound webhook", func(q querier) error {
		tag, err := q.Exec(ctx, `INSERT INTO inbound_webhooks (`+inboundWebhookColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (tenant_id, name) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("insert inbound webhook: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return herald.Errorf(herald.ECONFLICT, "inbound webhook %q already exists", w.Name)
		}
		return nil
	})
}

// inboundWebhookArgs are the values of inboundWebhookColumns for w.
func inboundWebhookArgs(w *herald.InboundWebhook) ([]any, error) {
	cols, err := inboundWebhookJSON(w)
	if err != nil {
		return nil, err
	}
	return []any{string(w.TenantID), w.Name, w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform,
		cols.filters, w.ResponseMode, nonNil(w.AllowedIPs), cols.rateLimit, w.CreatedAt, w.UpdatedAt, w.LastTriggeredAt,
		w.BotToken}, nil
}

// InboundWebhook returns one named inbound webhook of the owner of
// ref.Tenancy (see herald.Tenancy.Owner), with its secret.
func (s *DB) InboundWebhook(ctx context.Context, ref herald.Ref) (*herald.InboundWebhook, error) {
	owner, ok := ref.Tenancy.Owner()
	if !ok {
		return nil, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", ref.ID)
	}
	w, err := scanInboundWebhook(s.pool.QueryRow(ctx,
		`SELECT `+inboundWebhookColumns+` FROM inbound_webhooks WHERE tenant_id = $1 AND name = $2`, owner, ref.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select inbound webhook: %w", err)
	}
	return w, nil
}

// ListInboundWebhooks returns the named inbound webhooks within f.Tenancy,
// by tenant, then name.
func (s *DB) ListInboundWebhooks(ctx context.Context, f herald.InboundWebhookFilter) ([]*herald.InboundWebhook, error) {
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	rows, err := s.pool.Query(ctx, `SELECT `+inboundWebhookColumns+` FROM inbound_webhooks `+c.where()+
		` ORDER BY tenant_id, name`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("select inbound webhooks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*herald.InboundWebhook, error) {
		return scanInboundWebhook(row)
	})
	if err != nil {
		return nil, fmt.Errorf("select inbound webhooks: %w", err)
	}
	return out, nil
}

// UpdateInboundWebhook replaces the settings of w.Name of w.TenantID, its
// secret included, and sets its updated_at (to now when w.UpdatedAt is
// zero).
func (s *DB) UpdateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = s.now()
	}
	cols, err := inboundWebhookJSON(w)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE inbound_webhooks SET agent = $3, secret = $4, description = $5,
		enabled = $6, provider = $7, transform = $8, filters = $9, response_mode = $10, allowed_ips = $11,
		rate_limit = $12, updated_at = $13, bot_token = $14 WHERE tenant_id = $1 AND name = $2`,
		string(w.TenantID), w.Name, w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform, cols.filters,
		w.ResponseMode, nonNil(w.AllowedIPs), cols.rateLimit, w.UpdatedAt, w.BotToken)
	if err != nil {
		return fmt.Errorf("update inbound webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", w.Name)
	}
	return nil
}

// DeleteInboundWebhook removes a named inbound webhook of the owner of
// ref.Tenancy and its request log in one transaction, and for a platform
// webhook the delivery ids claimed in its scope, its name. (A tenant's
// claims are scoped as the caller chose; they expire.)
func (s *DB) DeleteInboundWebhook(ctx context.Context, ref herald.Ref) error {
	owner, ok := ref.Tenancy.Owner()
	if !ok {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", ref.ID)
	}
	return s.inTx(ctx, "delete inbound webhook", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM inbound_webhooks WHERE tenant_id = $1 AND name = $2`, owner, ref.ID)
		if err != nil {
			return fmt.Errorf("delete inbound webhook: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", ref.ID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbound_requests WHERE tenant_id = $1 AND webhook = $2`, owner, ref.ID); err != nil {
			return fmt.Errorf("delete inbound requests: %w", err)
		}
		if owner != "" {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbound_claims WHERE scope = $1`, ref.ID); err != nil {
			return fmt.Errorf("delete inbound claims: %w", err)
		}
		return nil
	})
}

// TouchInboundWebhook sets the last_triggered_at of a named inbound webhook
// of the owner of p.Tenancy.
func (s *DB) TouchInboundWebhook(ctx context.Context, p herald.TouchInboundParams) error {
	owner, ok := p.Tenancy.Owner()
	if !ok {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", p.Name)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE inbound_webhooks SET last_triggered_at = $3 WHERE tenant_id = $1 AND name = $2`,
		owner, p.Name, p.At.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("touch inbound webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", p.Name)
	}
	return nil
}

// RecordInboundRequest appends to the inbound request log for r.TenantID,
// which must exist (see checkTenant), setting r.ID and r.At when empty.
func (s *DB) RecordInboundRequest(ctx context.Context, r *herald.InboundRequest) error {
	if r.At.IsZero() {
		r.At = s.clock.Now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if r.ID == "" {
		r.ID = herald.NewID(herald.PrefixInboundRequest, r.At)
	}
	return s.forTenant(ctx, r.TenantID, "record inbound request", func(q querier) error {
		if _, err := q.Exec(ctx, `INSERT INTO inbound_requests (`+inboundRequestColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, inboundRequestArgs(r)...); err != nil {
			return fmt.Errorf("insert inbound request: %w", err)
		}
		return nil
	})
}

// inboundRequestArgs are the values of inboundRequestColumns for r.
func inboundRequestArgs(r *herald.InboundRequest) []any {
	headers := r.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	return []any{r.ID, string(r.TenantID), r.Webhook, r.At, r.SourceIP, headers, escapeText(r.Body), r.EventType,
		r.Verdict, escapeText(r.Reason), r.Status, r.InvocationID}
}

// ListInboundRequests returns the logged requests of a webhook of the
// owner of f.Tenancy (see herald.Tenancy.Owner), newest first, at most
// f.Limit (default herald.DefaultLimit, at most herald.MaxLimit), past
// the newest f.Skip.
func (s *DB) ListInboundRequests(ctx context.Context, f herald.InboundRequestFilter) ([]*herald.InboundRequest, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	owner, ok := f.Tenancy.Owner()
	if !ok {
		return []*herald.InboundRequest{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+inboundRequestColumns+` FROM inbound_requests
		WHERE tenant_id = $1 AND webhook = $2 AND ($3 = '' OR verdict = $3)
		ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5`, owner, f.Webhook, f.Verdict, limit, skip)
	if err != nil {
		return nil, fmt.Errorf("select inbound requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*herald.InboundRequest, error) {
		return scanInboundRequest(row)
	})
	if err != nil {
		return nil, fmt.Errorf("select inbound requests: %w", err)
	}
	return out, nil
}

// PruneInboundRequests deletes logged requests, of every tenant, older
// than p.Before, then the oldest beyond the newest p.MaxRows, and the
// claims expired by the store's clock, and reports how many requests it
// deleted.
func (s *DB) PruneInboundRequests(ctx context.Context, p herald.PruneInboundParams) (int, error) {
	var n int64
	if !p.Before.IsZero() {
		tag, err := s.pool.Exec(ctx, `DELETE FROM inbound_requests WHERE at < $1`, p.Before)
		if err != nil {
			return 0, fmt.Errorf("delete inbound requests: %w", err)
		}
		n = tag.RowsAffected()
	}
	if p.MaxRows > 0 {
		// Everything at or before the first row past the cap, newest first.
		tag, err := s.pool.Exec(ctx, `DELETE FROM inbound_requests WHERE (at, id) <= (
			SELECT at, id FROM inbound_requests ORDER BY at DESC, id DESC OFFSET $1 LIMIT 1)`, p.MaxRows)
		if err != nil {
			return 0, fmt.Errorf("cap inbound requests: %w", err)
		}
		n += tag.RowsAffected()
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM inbound_claims WHERE expires_at <= $1`, s.now()); err != nil {
		return 0, fmt.Errorf("delete inbound claims: %w", err)
	}
	return int(n), nil
}

// ClaimRequestID claims p.ID in p.Scope until p.Now+p.TTL (p.Now defaults
// to the store's clock) and reports whether it was unclaimed, or its claim
// expired, in one statement: concurrent claims of one id, from any node,
// see one winner.
func (s *DB) ClaimRequestID(ctx context.Context, p herald.ClaimParams) (bool, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var claimed bool
	err := s.pool.QueryRow(ctx, `INSERT INTO inbound_claims (scope, id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (scope, id) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE inbound_claims.expires_at <= $4
		RETURNING true`, p.Scope, p.ID, now.Add(p.TTL), now).Scan(&claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("claim request id: %w", err)
	}
	return claimed, nil
}

// SetInboundSecret sets the secret of a built-in inbound endpoint; ""
// removes it. The secret is stored as given: it is needed in clear to
// verify signatures.
func (s *DB) SetInboundSecret(ctx context.Context, name, secret string) error {
	if secret == "" {
		if _, err := s.pool.Exec(ctx, `DELETE FROM inbound_secrets WHERE name = $1`, name); err != nil {
			return fmt.Errorf("delete inbound secret: %w", err)
		}
		return nil
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO inbound_secrets (name, secret) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET secret = EXCLUDED.secret`, name, secret); err != nil {
		return fmt.Errorf("save inbound secret: %w", err)
	}
	return nil
}

// InboundSecret returns the secret of a built-in inbound endpoint, "" when
// none is set.
func (s *DB) InboundSecret(ctx context.Context, name string) (string, error) {
	var secret string
	err := s.pool.QueryRow(ctx, `SELECT secret FROM inbound_secrets WHERE name = $1`, name).Scan(&secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("select inbound secret: %w", err)
	}
	return secret, nil
}

// inboundWebhookCols are the json columns of an inbound webhook, as text.
type inboundWebhookCols struct {
	transform, filters string
	rateLimit          any // NULL when there is no limit
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
		w                  herald.InboundWebhook
		transform, filters string
		rateLimit          *string
	)
	if err := row.Scan(&w.TenantID, &w.Name, &w.Agent, &w.Secret, &w.Description, &w.Enabled, &w.Provider, &transform, &filters,
		&w.ResponseMode, &w.AllowedIPs, &rateLimit, &w.CreatedAt, &w.UpdatedAt, &w.LastTriggeredAt, &w.BotToken); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(transform), &w.Transform); err != nil {
		return nil, fmt.Errorf("decode transform: %w", err)
	}
	if err := json.Unmarshal([]byte(filters), &w.Filters); err != nil {
		return nil, fmt.Errorf("decode filters: %w", err)
	}
	if len(w.AllowedIPs) == 0 {
		w.AllowedIPs = nil
	}
	if rateLimit != nil {
		if err := json.Unmarshal([]byte(*rateLimit), &w.RateLimit); err != nil {
			return nil, fmt.Errorf("decode rate limit: %w", err)
		}
	}
	return &w, nil
}
