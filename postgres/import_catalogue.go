package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// importEventType stores an event type and its versions unless a type of
// its name is present.
func importEventType(ctx context.Context, tx pgx.Tx, t *herald.EventType) error {
	v := *t
	if err := v.Validate(); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO event_types (`+eventTypeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO NOTHING`,
		v.Name, v.Description, string(v.Schema), string(v.Example), v.Deprecated, v.Version, v.CreatedAt, v.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert event type: %w", err)
	}
	if tag.RowsAffected() == 0 {
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
func importWebhookSecrets(ctx context.Context, tx pgx.Tx, s *herald.ExportedWebhookSecrets) error {
	if len(s.Previous) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE webhooks SET previous_secrets = $1
		WHERE id = $2 AND tenant_id = $3 AND previous_secrets = '[]'::jsonb`,
		s.Previous, s.WebhookID, string(s.TenantID)); err != nil {
		return fmt.Errorf("store previous secrets: %w", err)
	}
	return nil
}
