package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald"
)

const webhookColumns = `id, tenant_id, all_tenants, name, description, url, events, agent_id, is_active, secret, headers,
	timeout_seconds, max_retries, retry_schedule, verify_ssl, signature_header, signature_format,
	created_at, updated_at, last_triggered_at, last_success_at, last_failure_at,
	previous_secrets, secret_rotated_at, disabled_reason, disabled_at, enabled_at,
	rate_limit_requests, rate_limit_per_us, ordering`

// webhookPlaceholders are the parameters of an INSERT of webhookColumns.
const webhookPlaceholders = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
	$21, $22, $23, $24, $25, $26, $27, $28, $29, $30`

// querier is what *pgxpool.Pool and pgx.Tx share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is what pgx.Row and pgx.Rows share.
type scanner interface{ Scan(dest ...any) error }

// CreateWebhook stores w for w.TenantID, which must exist (see
// checkTenant), setting its ID and timestamps when empty. AllTenants is
// kept as given; the fan-out heeds it on the platform's webhooks only.
func (s *DB) CreateWebhook(ctx context.Context, w *herald.Webhook) error {
	now := s.now()
	if w.ID == "" {
		w.ID = herald.NewID(herald.PrefixWebhook, now)
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = now
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	return s.forTenant(ctx, w.TenantID, "create webhook", func(q querier) error {
		if _, err := q.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES (`+webhookPlaceholders+`)`,
			webhookArgs(w)...); err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		return nil
	})
}

// webhookArgs are the values of webhookColumns for w.
func webhookArgs(w *herald.Webhook) []any {
	return []any{w.ID, string(w.TenantID), w.AllTenants, w.Name, w.Description, w.URL, nonNil(w.Events), w.AgentID,
		w.IsActive, w.Secret, headersOf(w), w.TimeoutSeconds, w.MaxRetries, nanos(w.RetrySchedule), w.VerifySSL,
		w.SignatureHeader, w.SignatureFormat, w.CreatedAt, w.UpdatedAt, w.LastTriggeredAt, w.LastSuccessAt, w.LastFailureAt,
		previousSecretsOf(w), w.SecretRotatedAt, w.DisabledReason, w.DisabledAt, w.EnabledAt,
		rateRequests(w.RateLimit), ratePerMicros(w.RateLimit), herald.OrderingOrNone(w.Ordering)}
}

// rateRequests is the rate_limit_requests of r: NULL for no limit.
func rateRequests(r *herald.RateLimit) *int {
	if r == nil {
		return nil
	}
	return &r.Requests
}

// ratePerMicros is the rate_limit_per_us of r: NULL for no limit.
func ratePerMicros(r *herald.RateLimit) *int64 {
	if r == nil {
		return nil
	}
	us := time.Duration(r.Per).Microseconds()
	return &us
}

// previousSecretsOf returns w's old secrets, never nil, for the jsonb column.
func previousSecretsOf(w *herald.Webhook) []herald.PreviousSecret {
	if w.PreviousSecrets == nil {
		return []herald.PreviousSecret{}
	}
	return w.PreviousSecrets
}

// Webhook returns one webhook within ref.Tenancy, with its secret.
func (s *DB) Webhook(ctx context.Context, ref herald.Ref) (*herald.Webhook, error) {
	var c conds
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks `+c.where(), c.args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("select webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns a page of the webhooks within f.Tenancy, newest
// first (by ID), and the total (see pageTotal).
func (s *DB) ListWebhooks(ctx context.Context, f herald.WebhookFilter) ([]*herald.Webhook, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	if f.AgentID != "" {
		c.eq("agent_id", f.AgentID)
	}
	return listPage(ctx, s, pageQuery{table: "webhooks", cols: webhookColumns, where: c.where(), args: c.args,
		order: "id DESC", skip: skip, limit: limit}, func(row scanner, total *int) (*herald.Webhook, error) {
		return scanWebhook(row, total)
	})
}

// pageTotal returns the total of a list. Page queries select
// count(*) OVER () beside each row, which counts every row the filter keeps
// in the same scan and snapshot as the page, so one round trip answers both.
// A page past the end has no row to carry that count: then, and only when
// rows were skipped, countSQL counts separately.
func (s *DB) pageTotal(ctx context.Context, n, skip, windowTotal int, countSQL string, args ...any) (int, error) {
	if n > 0 || skip == 0 {
		return windowTotal, nil
	}
	var total int
	if err := s.pool.QueryRow(ctx, countSQL, args...).Scan(&total); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return total, nil
}

// UpdateWebhook replaces the stored fields of w.ID, a webhook of
// w.TenantID, with w's and sets its UpdatedAt; its tenant stays.
func (s *DB) UpdateWebhook(ctx context.Context, w *herald.Webhook) error {
	w.UpdatedAt = s.now()
	tag, err := s.pool.Exec(ctx, `UPDATE webhooks SET name = $1, description = $2, url = $3, events = $4,
		agent_id = $5, is_active = $6, secret = $7, headers = $8, timeout_seconds = $9, max_retries = $10,
		retry_schedule = $11, verify_ssl = $12, signature_header = $13, signature_format = $14, updated_at = $15,
		all_tenants = $16, disabled_reason = $19, disabled_at = $20, enabled_at = $21,
		rate_limit_requests = $22, rate_limit_per_us = $23, ordering = $24
		WHERE id = $17 AND tenant_id = $18`,
		w.Name, w.Description, w.URL, nonNil(w.Events), w.AgentID, w.IsActive, w.Secret, headersOf(w),
		w.TimeoutSeconds, w.MaxRetries, nanos(w.RetrySchedule), w.VerifySSL, w.SignatureHeader, w.SignatureFormat,
		w.UpdatedAt, w.AllTenants, w.ID, string(w.TenantID), w.DisabledReason, w.DisabledAt, w.EnabledAt,
		rateRequests(w.RateLimit), ratePerMicros(w.RateLimit), herald.OrderingOrNone(w.Ordering))
	if err != nil {
		return fmt.Errorf("update webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", w.ID)
	}
	return nil
}

// DeleteWebhook removes a webhook within ref.Tenancy; the foreign keys
// cascade to its deliveries and their attempts.
func (s *DB) DeleteWebhook(ctx context.Context, ref herald.Ref) error {
	for try := 1; ; try++ {
		err := s.deleteWebhook(ctx, ref)
		var pgErr *pgconn.PgError
		if try < deleteTries && errors.As(err, &pgErr) && pgErr.Code == "40P01" { // deadlock_detected
			continue
		}
		return err
	}
}

// deleteTries is how many times DeleteWebhook runs when PostgreSQL picks
// it as a deadlock's victim.
const deleteTries = 3

// deleteWebhook deletes the webhook's deliveries (and, by cascade, their
// attempts) before the webhook row: RecordAttempt locks a delivery, then
// its webhook, and deleting in the same order keeps the two from waiting
// on each other. The cascade from the webhook row catches deliveries
// published meanwhile.
func (s *DB) deleteWebhook(ctx context.Context, ref herald.Ref) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin delete webhook: %w", err)
	}
	defer tx.Rollback(context.Background())
	var c conds
	c.eq("webhook_id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	if _, err := tx.Exec(ctx, `DELETE FROM deliveries `+c.where(), c.args...); err != nil {
		return fmt.Errorf("delete webhook deliveries: %w", err)
	}
	c = conds{}
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	tag, err := tx.Exec(ctx, `DELETE FROM webhooks `+c.where(), c.args...)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", ref.ID)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit delete webhook: %w", err)
	}
	return nil
}

// scanWebhook scans a row holding the webhook's columns, then those of after.
func scanWebhook(row scanner, after ...any) (*herald.Webhook, error) {
	var (
		w       herald.Webhook
		sched   []int64
		rateN   *int
		ratePer *int64
	)
	err := row.Scan(append([]any{&w.ID, &w.TenantID, &w.AllTenants, &w.Name, &w.Description, &w.URL, &w.Events, &w.AgentID, &w.IsActive,
		&w.Secret, &w.Headers, &w.TimeoutSeconds, &w.MaxRetries, &sched, &w.VerifySSL, &w.SignatureHeader,
		&w.SignatureFormat, &w.CreatedAt, &w.UpdatedAt, &w.LastTriggeredAt, &w.LastSuccessAt, &w.LastFailureAt,
		&w.PreviousSecrets, &w.SecretRotatedAt, &w.DisabledReason, &w.DisabledAt, &w.EnabledAt, &rateN, &ratePer, &w.Ordering},
		after...)...)
	if err != nil {
		return nil, err
	}
	for _, n := range sched {
		w.RetrySchedule = append(w.RetrySchedule, time.Duration(n))
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	if rateN != nil && ratePer != nil {
		w.RateLimit = &herald.RateLimit{Requests: *rateN, Per: herald.Duration(time.Duration(*ratePer) * time.Microsecond)}
	}
	return &w, nil
}

// headersOf returns w's custom headers, never nil, for the jsonb column.
func headersOf(w *herald.Webhook) map[string]string {
	if w.Headers == nil {
		return map[string]string{}
	}
	return w.Headers
}

// nanos returns a retry schedule as nanoseconds, for the bigint[] column.
func nanos(d herald.Durations) []int64 {
	out := make([]int64, len(d))
	for i, v := range d {
		out[i] = int64(v)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// now returns the clock's time in UTC at the microsecond, the precision of
// timestamptz, so what a method returns equals what a later read gives.
func (s *DB) now() time.Time {
	return s.clock.Now().UTC().Truncate(time.Microsecond)
}

// RotateWebhookSecret replaces the secret of the webhook p.Ref names,
// keeping the old one for p.Grace (see herald.RotatedSecrets), in one
// transaction holding the webhook's row lock.
func (s *DB) RotateWebhookSecret(ctx context.Context, p herald.RotateSecretParams) (*herald.Webhook, error) {
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var w *herald.Webhook
	err := s.inTx(ctx, "rotate webhook secret", func(tx pgx.Tx) error {
		var c conds
		c.eq("id", p.Ref.ID)
		c.tenancy("tenant_id", p.Ref.Tenancy)
		cur, err := scanWebhook(tx.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks `+c.where()+` FOR UPDATE`, c.args...))
		if errors.Is(err, pgx.ErrNoRows) {
			return herald.Errorf(herald.ENOTFOUND, "webhook %q not found", p.Ref.ID)
		} else if err != nil {
			return fmt.Errorf("select webhook: %w", err)
		}
		cur.PreviousSecrets = herald.RotatedSecrets(cur.PreviousSecrets, cur.Secret, p.Grace, now)
		cur.Secret, cur.SecretRotatedAt, cur.UpdatedAt = p.Secret, &now, now
		if _, err := tx.Exec(ctx, `UPDATE webhooks SET secret = $1, previous_secrets = $2, secret_rotated_at = $3,
			updated_at = $3 WHERE id = $4`, cur.Secret, previousSecretsOf(cur), now, cur.ID); err != nil {
			return fmt.Errorf("rotate webhook secret: %w", err)
		}
		w = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}
