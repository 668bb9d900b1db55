package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
)

// Import stores exported records as they are, in one transaction. Rows
// already present keep their values (INSERT OR IGNORE), so an import can be
// run again; every newly stored pending delivery gets a queued job.
func (s *DB) Import(ctx context.Context, p herald.ImportParams) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback()
	var jobs []river.InsertManyParams
	for _, r := range p.Records {
		switch {
		case r.Webhook != nil:
			w := r.Webhook
			events, headers, schedule := webhookJSON(w)
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO webhooks (`+webhookColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				w.ID, w.Name, w.Description, w.URL, events, w.AgentID, w.IsActive, w.Secret, headers,
				w.TimeoutSeconds, w.MaxRetries, schedule, w.VerifySSL, w.SignatureHeader, w.SignatureFormat,
				micros(w.CreatedAt), micros(w.UpdatedAt), microsPtr(w.LastTriggeredAt), microsPtr(w.LastSuccessAt), microsPtr(w.LastFailureAt))
		case r.APIKey != nil:
			k := r.APIKey
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				k.ID, k.Name, k.Scope, k.Prefix, k.Hash, micros(k.CreatedAt), microsPtr(k.LastUsedAt), microsPtr(k.RevokedAt))
		case r.Event != nil:
			e := r.Event
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO events (id, type, data, created_at) VALUES (?, ?, ?, ?)`,
				e.ID, e.Type, string(e.Data), micros(e.Created))
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
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	return nil
}

// importDelivery stores a delivery and its attempts, and reports whether it
// is a newly stored pending one, which needs a job.
func importDelivery(ctx context.Context, tx *sql.Tx, d *herald.ExportedDelivery) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO deliveries (id, webhook_id, event_id, event_type,
		webhook_name, status, attempts, response_status_code, error_message, created_at, last_attempt_at,
		next_attempt_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.WebhookID, d.EventID, d.Event, d.WebhookName, d.Status, d.Attempts, d.ResponseStatusCode,
		d.ErrorMessage, micros(d.CreatedAt), microsPtr(d.LastAttemptAt), microsPtr(d.NextAttemptAt), microsPtr(d.DeliveredAt))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, a := range d.AttemptList {
		headers, _ := json.Marshal(nonNilHeader(a.ResponseHeaders))
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO attempts (id, delivery_id, number, started_at,
			duration_ms, status_code, response_headers, response_body, error, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, d.ID, a.Number, micros(a.StartedAt), a.DurationMS, a.StatusCode, string(headers), a.ResponseBody, a.Error, a.Success); err != nil {
			return false, err
		}
	}
	return d.Status == herald.DeliveryPending, nil
}
