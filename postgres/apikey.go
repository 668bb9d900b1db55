package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

const apiKeyColumns = `id, tenant_id, name, scope, prefix, hash, created_at, last_used_at, revoked_at`

// CreateAPIKey stores a key by its hash, for k.TenantID, which must exist
// (see checkTenant).
func (s *DB) CreateAPIKey(ctx context.Context, k *herald.APIKey) error {
	return s.forTenant(ctx, k.TenantID, "create api key", func(q querier) error {
		if _, err := q.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.ID, string(k.TenantID), k.Name, k.Scope, k.Prefix, k.Hash, k.CreatedAt, k.LastUsedAt, k.RevokedAt); err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return nil
	})
}

// CreateFirstAPIKey stores k, a platform key, only when no key exists yet,
// and reports whether it did. When several nodes start at once, one key is made.
//
// "No key yet, so insert one" cannot be made safe by the INSERT alone: under
// READ COMMITTED two transactions both see an empty table and both insert.
// So the transaction first takes LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE
// MODE, a mode that conflicts with itself and with the ROW EXCLUSIVE lock
// every INSERT takes, but not with reads: the second node waits until the
// first commits, and its INSERT ... WHERE NOT EXISTS, whose snapshot is taken
// after the lock is granted, sees the first key and inserts nothing. The lock
// names the table in this search_path, so unlike a fixed advisory key it
// does not reach Heralds in other schemas, and unlike SERIALIZABLE it needs
// no retry loop. It lasts this one short transaction, on first start only.
func (s *DB) CreateFirstAPIKey(ctx context.Context, k *herald.APIKey) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin first key: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return false, fmt.Errorf("lock api keys: %w", err)
	}
	k.TenantID = ""
	tag, err := tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`)
		SELECT $1, '', $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8::timestamptz
		WHERE NOT EXISTS (SELECT 1 FROM api_keys)`,
		k.ID, k.Name, k.Scope, k.Prefix, k.Hash, k.CreatedAt, k.LastUsedAt, k.RevokedAt)
	if err != nil {
		return false, fmt.Errorf("insert api key: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit first key: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// APIKeyByHash returns the unrevoked key with that hash, of any tenant.
func (s *DB) APIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE hash = $1 AND revoked_at IS NULL`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "api key not found")
	} else if err != nil {
		return nil, fmt.Errorf("select api key: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns the keys within f.Tenancy, revoked ones too, oldest
// first (by ID).
func (s *DB) ListAPIKeys(ctx context.Context, f herald.APIKeyFilter) ([]*herald.APIKey, error) {
	var c conds
	c.tenancy("tenant_id", f.Tenancy)
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys `+c.where()+` ORDER BY id`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("select api keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*herald.APIKey, error) { return scanAPIKey(row) })
	if err != nil {
		return nil, fmt.Errorf("select api keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey marks a key within ref.Tenancy revoked; revoking it again
// keeps the first time.
func (s *DB) RevokeAPIKey(ctx context.Context, ref herald.Ref) error {
	c := conds{args: []any{s.now()}}
	c.eq("id", ref.ID)
	c.tenancy("tenant_id", ref.Tenancy)
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) `+c.where(), c.args...)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "api key %q not found", ref.ID)
	}
	return nil
}

// TouchAPIKey sets a key's last_used_at unless it is later already.
func (s *DB) TouchAPIKey(ctx context.Context, p herald.TouchAPIKeyParams) error {
	if _, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, p.UsedAt.UTC(), p.ID); err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}

func scanAPIKey(row scanner) (*herald.APIKey, error) {
	var k herald.APIKey
	if err := row.Scan(&k.ID, &k.TenantID, &k.Name, &k.Scope, &k.Prefix, &k.Hash, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	return &k, nil
}
