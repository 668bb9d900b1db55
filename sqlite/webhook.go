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
	created_at, updated_at, last_triggered_at, last_success_at, last_failure_at`

// webhookArgs are the values of webhookColumns for w.
func webhookArgs(w *herald.Webhook) []any {
	events, headers, schedule := webhookJSON(w)
	return []any{w.ID, string(w.TenantID), w.AllTenants, w.Name, w.Description, w.URL, events, w.AgentID, w.IsActive,
		w.Secret, headers, w.TimeoutSeconds, w.MaxRetries, schedule, w.VerifySSL, w.SignatureHeader, w.SignatureFormat,
		micros(w.CreatedAt), micros(w.UpdatedAt), microsPtr(w.LastTriggeredAt), microsPtr(w.LastSuccessAt),
		microsPtr(w.LastFailureAt)}
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
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, webhookArgs(w)...); err != nil {
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
	res, err := s.db.ExecContext(ctx, `UPDATE webhooks SET all_tenants = ?, name = ?, description = ?, url = ?,
		events = ?, agent_id = ?, is_active = ?, secret = ?, headers = ?, timeout_seconds = ?, max_retries = ?,
		retry_schedule = ?, verify_ssl = ?, signature_header = ?, signature_format = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`,
		w.AllTenants, w.Name, w.Description, w.URL, events, w.AgentID, w.IsActive, w.Secret, headers, w.TimeoutSeconds,
		w.MaxRetries, schedule, w.VerifySSL, w.SignatureHeader, w.SignatureFormat, micros(w.UpdatedAt),
		w.ID, string(w.TenantID))
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
	)
	err := row.Scan(append(before, &w.ID, &w.TenantID, &w.AllTenants, &w.Name, &w.Description, &w.URL, &events, &w.AgentID,
		&w.IsActive, &w.Secret, &headers, &w.TimeoutSeconds, &w.MaxRetries, &sched, &w.VerifySSL, &w.SignatureHeader, &w.SignatureFormat,
		&created, &updated, &trig, &success, &failure)...)
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
