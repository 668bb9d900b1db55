package postgres

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
)

// Import stores exported records as they are, in one transaction. Rows
// already present keep their values (ON CONFLICT DO NOTHING), so an import
// can be run again; every newly stored pending delivery gets a queued job.
func (s *DB) Import(ctx context.Context, p herald.ImportParams) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback(ctx)
	var jobs []river.InsertManyParams
	for _, r := range p.Records {
		switch {
		case r.Webhook != nil:
			w := r.Webhook
			_, err = tx.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
				ON CONFLICT (id) DO NOTHING`,
				w.ID, w.Name, w.Description, w.URL, nonNil(w.Events), w.AgentID, w.IsActive, w.Secret, headersOf(w),
				w.TimeoutSeconds, w.MaxRetries, nanos(w.RetrySchedule), w.VerifySSL, w.SignatureHeader, w.SignatureFormat,
				w.CreatedAt, w.UpdatedAt, w.LastTriggeredAt, w.LastSuccessAt, w.LastFailureAt)
		case r.APIKey != nil:
			k := r.APIKey
			_, err = tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT DO NOTHING`,
				k.ID, k.Name, k.Scope, k.Prefix, k.Hash, k.CreatedAt, k.LastUsedAt, k.RevokedAt)
		case r.Event != nil:
			e := r.Event
			_, err = tx.Exec(ctx, `INSERT INTO events (`+eventColumns+`) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
				e.ID, e.Type, string(e.Data), e.Created)
		case r.Delivery != nil:
			var queued bool
			queued, err = importDelivery(ctx, tx, r.Delivery)
			if queued {
				jobs = append(jobs, delivery.JobParams(r.Delivery.ID, time.Time{}))
			}
		}
		if err != nil {
			return fmt.Errorf("import record: %w", err)
		}
	}
	if len(jobs) > 0 {
		if _, err := s.river.InsertManyTx(ctx, tx, jobs); err != nil {
			return fmt.Errorf("queue imported deliveries: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	return nil
}

// importDelivery stores a delivery and its attempts, and reports whether it
// is a newly stored pending one, which needs a job.
func importDelivery(ctx context.Context, tx pgx.Tx, d *herald.ExportedDelivery) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, webhook_id, event_id, event_type, webhook_name, status,
		attempts, response_status_code, error_message, created_at, last_attempt_at, next_attempt_at, delivered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.WebhookID, d.EventID, d.Event, d.WebhookName, d.Status, d.Attempts, d.ResponseStatusCode,
		d.ErrorMessage, d.CreatedAt, d.LastAttemptAt, d.NextAttemptAt, d.DeliveredAt)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	for _, a := range d.AttemptList {
		headers := a.ResponseHeaders
		if headers == nil {
			headers = http.Header{}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms,
			status_code, response_headers, response_body, error, success) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT DO NOTHING`,
			a.ID, d.ID, a.Number, a.StartedAt, a.DurationMS, a.StatusCode, headers, a.ResponseBody, a.Error, a.Success); err != nil {
			return false, err
		}
	}
	return d.Status == herald.DeliveryPending, nil
}
