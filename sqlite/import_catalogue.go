package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
)

// importEventType stores an event type and its versions unless a type of
// its name is present.
func importEventType(ctx context.Context, tx *sql.Tx, t *herald.EventType) error {
	v := *t
	if err := v.Validate(); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO event_types (`+eventTypeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Name, v.Description, string(v.Schema), string(v.Example), v.Deprecated, v.Version, micros(v.CreatedAt), micros(v.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert event type: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, ver := range v.Versions {
		et := herald.EventType{Name: v.Name, Version: ver.Version, Description: ver.Description,
			Schema: ver.Schema, Example: ver.Example, Deprecated: ver.Deprecated}
		if err := et.Validate(); err != nil {
			return err
		}
		if err := insertEventTypeVersion(ctx, tx, &et, ver.CreatedAt); err != nil {
			return err
		}
	}
	return nil
}

// importWebhookSecrets stores the previous secrets of a webhook that has
// none.
func importWebhookSecrets(ctx context.Context, tx *sql.Tx, s *herald.ExportedWebhookSecrets) error {
	if len(s.Previous) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET previous_secrets = ?
		WHERE id = ? AND tenant_id = ? AND previous_secrets = '[]'`,
		previousSecretsJSON(s.Previous), s.WebhookID, string(s.TenantID)); err != nil {
		return fmt.Errorf("store previous secrets: %w", err)
	}
	return nil
}
