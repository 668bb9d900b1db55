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

const webhookColumns = `id, tenant_id, all_tenants, name, description, url, events, agent_id, is_active, secret,
	headers, timeout_seconds, max_retries, retry_schedule, verify_ssl, signature_header, signature_format,
	created_at, updated_at, last_triggered_at, last_success_at, last_failure_at,
	previous_secrets, secret_rotated_at, disabled_reason, disabled_at, enabled_at,
	rate_limit_requests, rate_limit_per_us, ordering`

// webhookPlaceholders are the parameters of an INSERT of webhookColumns.
const webhookPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

// webhookArgs are the values of webhookColumns for w.
func webhookArgs(w *herald.Webhook) []any {
	events, headers, schedule := webhookJSON(w)
	requests, per := rateLimitArgs(w.RateLimit)
	return []any{w.ID, string(w.TenantID), w.AllTenants, w.Name, w.Description, w.URL, events, w.AgentID, w.IsActive,
		w.Secret, headers, w.TimeoutSeconds, w.MaxRetries, schedule, w.VerifySSL, w.SignatureHeader, w.SignatureFormat,
		micros(w.CreatedAt), micros(w.UpdatedAt), microsPtr(w.LastTriggeredAt), microsPtr(w.LastSuccessAt),
		microsPtr(w.LastFailureAt), previousSecretsJSON(w.PreviousSecrets), microsPtr(w.SecretRotatedAt),
		w.DisabledReason, microsPtr(w.DisabledAt), microsPtr(w.EnabledAt), requests, per, herald.OrderingOrNone(w.Ordering)}
}

// rateLimitArgs are the rate_limit_requests and rate_limit_per_us of r:
// NULLs for no limit.
func rateLimitArgs(r *herald.RateLimit) (requests, per any) {
	if r == nil {
		return nil, nil
	}
	return r.Requests, time.Duration(r.Per).Microseconds()
}

// rateLimitOf reads the rate_limit columns back.
func rateLimitOf(requests, per sql.NullInt64) *herald.RateLimit {
	if !requests.Valid || !per.Valid {
		return nil
	}
	return &herald.RateLimit{Requests: int(requests.Int64), Per: herald.Duration(time.Duration(per.Int64) * time.Microsecond)}
}

// storedSecret is a herald.PreviousSecret in the previous_secrets column.
type storedSecret struct {
	Secret    string `json:"secret"`
	ExpiresAt int64  `json:"expires_at"` // unix microseconds
}

func previousSecretsJSON(ps []herald.PreviousSecret) string {
	out := make([]storedSecret, len(ps))
	for i, p := range ps {
		out[i] = storedSecret{Secret: p.Secret, ExpiresAt: micros(p.ExpiresAt)}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodePreviousSecrets(s string) ([]herald.PreviousSecret, error) {
	var in []storedSecret
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	var out []herald.PreviousSecret
	for _, p := range in {
		out = append(out, herald.PreviousSecret{Secret: p.Secret, ExpiresAt: fromMicros(p.ExpiresAt)})
	}
	return out, nil
}

// CreateWebhook stores w for w.TenantID, which must exist, setting its ID
// and timestamps when empty.
func (s *DB) CreateWebhook(ctx context.Context, w *herald.Webhook) error {
	now := s.clock.Now().UTC()
	if w.ID == "" {
		w.ID = herald.NewID(herald.PrefixWebhook, now)
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = now
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if err := checkTenant(ctx, tx, w.TenantID); err != nil {
			return effects{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES (`+webhookPlaceholders+`)`, webhookArgs(w)...); err != nil {
			return effects{}, fmt.Errorf("insert webhook: %w", err)
		}
		return effects{}, nil
	})
}

// Webhook returns one webhook within ref.Tenancy, with its secret.
func (s *DB) Webhook(ctx context.Context, ref herald.Ref) (*herald.Webhook, error) {
	q := confined("tenant_id", ref.Tenancy).and("id = ?", ref.ID)
	w, err := scanWebhook(s.rdb.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks `+q.String(), q.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns a page of webhooks within f.Tenancy, newest first,
// and the total.
func (s *DB) ListWebhooks(ctx context.Context, f herald.WebhookFilter) ([]*herald.Webhook, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	q := confined("tenant_id", f.Tenancy)
	if f.AgentID != "" {
		q.and("agent_id = ?", f.AgentID)
	}
	return listPage(ctx, s, pageQuery{table: "webhooks", cols: webhookColumns, where: q.String(), args: q.args,
		order: "id DESC", skip: skip, limit: limit}, scanWebhook)
}

// UpdateWebhook replaces the stored fields of w.ID, a webhook of
// w.TenantID, with w's; its tenant stays.
func (s *DB) UpdateWebhook(ctx context.Context, w *herald.Webhook) error {
	w.UpdatedAt = s.clock.Now().UTC()
	events, headers, schedule := webhookJSON(w)
	requests, per := rateLimitArgs(w.RateLimit)
	res, err := s.db.ExecContext(ctx, `UPDATE webhooks SET all_tenants = ?, name = ?, description = ?, url = ?,
		events = ?, agent_id = ?, is_active = ?, secret = ?, headers = ?, timeout_seconds = ?, max_retries = ?,
		retry_schedule = ?, verify_ssl = ?, signature_header = ?, signature_format = ?, updated_at = ?,
		disabled_reason = ?, disabled_at = ?, enabled_at = ?, rate_limit_requests = ?, rate_limit_per_us = ?,
		ordering = ? WHERE id = ? AND tenant_id = ?`,
		w.AllTenants, w.Name, w.Description, w.URL, events, w.AgentID, w.IsActive, w.Secret, headers, w.TimeoutSeconds,
		w.MaxRetries, schedule, w.VerifySSL, w.SignatureHeader, w.SignatureFormat, micros(w.UpdatedAt),
		w.DisabledReason, microsPtr(w.DisabledAt), microsPtr(w.EnabledAt), requests, per,
		herald.OrderingOrNone(w.Ordering), w.ID, string(w.TenantID))
	if err != nil {
		return fmt.Errorf("update webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", w.ID)
	}
	return nil
}

// DeleteWebhook removes a webhook within ref.Tenancy with its deliveries
// and their attempts.
func (s *DB) DeleteWebhook(ctx context.Context, ref herald.Ref) error {
	q := confined("tenant_id", ref.Tenancy).and("id = ?", ref.ID)
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhooks `+q.String(), q.args...)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
	}
	return nil
}

func webhookJSON(w *herald.Webhook) (events, headers, schedule string) {
	e, _ := json.Marshal(nonNil(w.Events))
	h := w.Headers
	if h == nil {
		h = map[string]string{}
	}
	hb, _ := json.Marshal(h)
	ns := make([]int64, len(w.RetrySchedule))
	for i, d := range w.RetrySchedule {
		ns[i] = int64(d)
	}
	sb, _ := json.Marshal(ns)
	return string(e), string(hb), string(sb)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type scanner interface{ Scan(dest ...any) error }

func scanWebhook(row scanner) (*herald.Webhook, error) {
	return scanWebhookAfter(row)
}

// scanWebhookAfter scans a row holding the columns of before, then the
// webhook's columns.
func scanWebhookAfter(row scanner, before ...any) (*herald.Webhook, error) {
	var (
		w                      herald.Webhook
		events, headers, sched string
		created, updated       int64
		trig, success, failure sql.NullInt64
		prev                   string
		rotated, disabled      sql.NullInt64
		enabled                sql.NullInt64
		rateN, ratePer         sql.NullInt64
	)
	err := row.Scan(append(before, &w.ID, &w.TenantID, &w.AllTenants, &w.Name, &w.Description, &w.URL, &events, &w.AgentID,
		&w.IsActive, &w.Secret, &headers, &w.TimeoutSeconds, &w.MaxRetries, &sched, &w.VerifySSL, &w.SignatureHeader, &w.SignatureFormat,
		&created, &updated, &trig, &success, &failure, &prev, &rotated, &w.DisabledReason, &disabled, &enabled, &rateN, &ratePer, &w.Ordering)...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("decode events: %w", err)
	}
	if err := json.Unmarshal([]byte(headers), &w.Headers); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	var ns []int64
	if err := json.Unmarshal([]byte(sched), &ns); err != nil {
		return nil, fmt.Errorf("decode retry schedule: %w", err)
	}
	for _, n := range ns {
		w.RetrySchedule = append(w.RetrySchedule, time.Duration(n))
	}
	if w.PreviousSecrets, err = decodePreviousSecrets(prev); err != nil {
		return nil, fmt.Errorf("decode previous secrets: %w", err)
	}
	w.SecretRotatedAt, w.DisabledAt, w.EnabledAt = fromNull(rotated), fromNull(disabled), fromNull(enabled)
	w.RateLimit = rateLimitOf(rateN, ratePer)
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	w.LastTriggeredAt, w.LastSuccessAt, w.LastFailureAt = fromNull(trig), fromNull(success), fromNull(failure)
	return &w, nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNull(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// RotateWebhookSecret replaces the secret of the webhook p.Ref names,
// keeping the old one for p.Grace (see herald.RotatedSecrets), in one
// write transaction.
func (s *DB) RotateWebhookSecret(ctx context.Context, p herald.RotateSecretParams) (*herald.Webhook, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = fromMicros(micros(now))
	var w *herald.Webhook
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		q := confined("tenant_id", p.Ref.Tenancy).and("id = ?", p.Ref.ID)
		cur, err := scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks `+q.String(), q.args...))
		if errors.Is(err, sql.ErrNoRows) {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", p.Ref.ID)
		} else if err != nil {
			return effects{}, fmt.Errorf("select webhook: %w", err)
		}
		cur.PreviousSecrets = herald.RotatedSecrets(cur.PreviousSecrets, cur.Secret, p.Grace, now)
		cur.Secret, cur.SecretRotatedAt, cur.UpdatedAt = p.Secret, &now, now
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET secret = ?, previous_secrets = ?, secret_rotated_at = ?,
			updated_at = ? WHERE id = ?`, cur.Secret, previousSecretsJSON(cur.PreviousSecrets), micros(now), micros(now),
			cur.ID); err != nil {
			return effects{}, fmt.Errorf("rotate webhook secret: %w", err)
		}
		w = cur
		return effects{}, nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}
