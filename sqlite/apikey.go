package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
)

const apiKeyColumns = `id, tenant_id, name, scope, prefix, hash, created_at, last_used_at, revoked_at`

// apiKeyArgs are the values of apiKeyColumns for k, with its hash.
func apiKeyArgs(k *herald.APIKey, hash string) []any {
	return []any{k.ID, string(k.TenantID), k.Name, k.Scope, k.Prefix, hash, micros(k.CreatedAt), microsPtr(k.LastUsedAt),
		microsPtr(k.RevokedAt)}
}

// CreateAPIKey stores a key of k.TenantID, which must exist, by its hash.
func (s *DB) CreateAPIKey(ctx context.Context, k *herald.APIKey) error {
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		return effects{}, insertAPIKey(ctx, tx, k)
	})
}

// insertAPIKey checks the key's tenant and stores the key, in tx.
func insertAPIKey(ctx context.Context, tx *sql.Tx, k *herald.APIKey) error {
	if err := checkTenant(ctx, tx, k.TenantID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		apiKeyArgs(k, k.Hash)...); err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// CreateFirstAPIKey stores k only when no key exists yet.
func (s *DB) CreateFirstAPIKey(ctx context.Context, k *herald.APIKey) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin first key: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		return false, fmt.Errorf("count api keys: %w", err)
	} else if n > 0 {
		return false, nil
	}
	if err := insertAPIKey(ctx, tx, k); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit first key: %w", err)
	}
	return true, nil
}

// APIKeyByHash returns the unrevoked key with that hash, of any tenant.
func (s *DB) APIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error) {
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "api key not found")
	} else if err != nil {
		return nil, fmt.Errorf("select api key: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns the keys within f.Tenancy, oldest first.
func (s *DB) ListAPIKeys(ctx context.Context, f herald.APIKeyFilter) ([]*herald.APIKey, error) {
	q := confined("tenant_id", f.Tenancy)
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys `+q.String()+` ORDER BY id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("select api keys: %w", err)
	}
	defer rows.Close()
	out := []*herald.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("scan api key: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey marks a key within ref.Tenancy revoked.
func (s *DB) RevokeAPIKey(ctx context.Context, ref herald.Ref) error {
	id := ref.ID
	q := confined("tenant_id", ref.Tenancy).and("id = ?", id)
	res, err := s.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) `+q.String(),
		append([]any{micros(s.clock.Now())}, q.args...)...)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "api key %q not found", id)
	}
	return nil
}

// TouchAPIKey sets a key's last_used_at unless it is later already.
func (s *DB) TouchAPIKey(ctx context.Context, p herald.TouchAPIKeyParams) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		micros(p.UsedAt), p.ID, micros(p.UsedAt)); err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}

func scanAPIKey(row scanner) (*herald.APIKey, error) {
	var (
		k             herald.APIKey
		created       int64
		used, revoked sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.TenantID, &k.Name, &k.Scope, &k.Prefix, &k.Hash, &created, &used, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMicros(created), fromNull(used), fromNull(revoked)
	return &k, nil
}

var _ herald.Store = (*DB)(nil)
