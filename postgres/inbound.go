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

const inboundWebhookColumns = `name, agent, secret, description, enabled, provider, transform, filters,
	response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token`

const inboundRequestColumns = `id, webhook, at, source_ip, headers, body, event_type, verdict, reason, status,
	invocation_id`

// CreateInboundWebhook stores a named inbound webhook, setting its
// timestamps when zero (ECONFLICT when the name is taken).
func (s *DB) CreateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	cols, err := inboundWebhookJSON(w)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO inbound_webhooks (`+inboundWebhookColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (name) DO NOTHING`,
		w.Name, w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform, cols.filters,
		w.ResponseMode, nonNil(w.AllowedIPs), cols.rateLimit, w.CreatedAt, w.UpdatedAt, w.LastTriggeredAt, w.BotToken)
	if err != nil {
		return fmt.Errorf("insert inbound webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ECONFLICT, "inbound webhook %q already exists", w.Name)
	}
	return nil
}

// InboundWebhook returns one named inbound webhook, with its secret.
func (s *DB) InboundWebhook(ctx context.Context, name string) (*herald.InboundWebhook, error) {
	w, err := scanInboundWebhook(s.pool.QueryRow(ctx,
		`SELECT `+inboundWebhookColumns+` FROM inbound_webhooks WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	} else if err != nil {
		return nil, fmt.Errorf("select inbound webhook: %w", err)
	}
	return w, nil
}

// ListInboundWebhooks returns every named inbound webhook, by name.
func (s *DB) ListInboundWebhooks(ctx context.Context) ([]*herald.InboundWebhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+inboundWebhookColumns+` FROM inbound_webhooks ORDER BY name`)
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

// UpdateInboundWebhook replaces the settings of w.Name, its secret
// included, and sets its updated_at (to now when w.UpdatedAt is zero).
func (s *DB) UpdateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = s.now()
	}
	cols, err := inboundWebhookJSON(w)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE inbound_webhooks SET agent = $2, secret = $3, description = $4,
		enabled = $5, provider = $6, transform = $7, filters = $8, response_mode = $9, allowed_ips = $10,
		rate_limit = $11, updated_at = $12, bot_token = $13 WHERE name = $1`,
		w.Name, w.Agent, w.Secret, w.Description, w.Enabled, w.Provider, cols.transform, cols.filters,
		w.ResponseMode, nonNil(w.AllowedIPs), cols.rateLimit, w.UpdatedAt, w.BotToken)
	if err != nil {
		return fmt.Errorf("update inbound webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", w.Name)
	}
	return nil
}

// DeleteInboundWebhook removes a named inbound webhook, its request log
// and its claimed delivery ids, in one transaction.
func (s *DB) DeleteInboundWebhook(ctx context.Context, name string) error {
	return s.inTx(ctx, "delete inbound webhook", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM inbound_webhooks WHERE name = $1`, name)
		if err != nil {
			return fmt.Errorf("delete inbound webhook: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbound_requests WHERE webhook = $1`, name); err != nil {
			return fmt.Errorf("delete inbound requests: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbound_claims WHERE scope = $1`, name); err != nil {
			return fmt.Errorf("delete inbound claims: %w", err)
		}
		return nil
	})
}

// TouchInboundWebhook sets its last_triggered_at.
func (s *DB) TouchInboundWebhook(ctx context.Context, name string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE inbound_webhooks SET last_triggered_at = $2 WHERE name = $1`,
		name, at.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("touch inbound webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	}
	return nil
}

// RecordInboundRequest appends to the inbound request log, setting r.ID and
// r.At when empty.
func (s *DB) RecordInboundRequest(ctx context.Context, r *herald.InboundRequest) error {
	if r.At.IsZero() {
		r.At = s.clock.Now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if r.ID == "" {
		r.ID = herald.NewID(herald.PrefixInboundRequest, r.At)
	}
	headers := r.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO inbound_requests (`+inboundRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.Webhook, r.At, r.SourceIP, headers, escapeText(r.Body), r.EventType, r.Verdict, escapeText(r.Reason),
		r.Status, r.InvocationID); err != nil {
		return fmt.Errorf("insert inbound request: %w", err)
	}
	return nil
}

// ListInboundRequests returns a webhook's logged requests, newest first,
// at most f.Limit (default herald.DefaultLimit, at most herald.MaxLimit).
func (s *DB) ListInboundRequests(ctx context.Context, f herald.InboundRequestFilter) ([]*herald.InboundRequest, error) {
	_, limit := herald.Page(0, f.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+inboundRequestColumns+` FROM inbound_requests
		WHERE webhook = $1 AND ($2 = '' OR verdict = $2)
		ORDER BY at DESC, id DESC LIMIT $3`, f.Webhook, f.Verdict, limit)
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

// PruneInboundRequests deletes logged requests older than p.Before, then
// the oldest beyond the newest p.MaxRows, and the claims expired by the
// store's clock, and reports how many requests it deleted.
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
	if err := row.Scan(&w.Name, &w.Agent, &w.Secret, &w.Description, &w.Enabled, &w.Provider, &transform, &filters,
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
