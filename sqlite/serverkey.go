package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
)

// ServerKey returns the key named p.Name, storing p.New first when none is.
func (s *DB) ServerKey(ctx context.Context, p herald.ServerKeyParams) ([]byte, error) {
	if err := checkServerKeyParams(p); err != nil {
		return nil, err
	}
	var key []byte
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO server_keys (name, key, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			p.Name, p.New, micros(p.Now)); err != nil {
			return effects{}, fmt.Errorf("insert server key: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT key FROM server_keys WHERE name = ?`, p.Name).Scan(&key); err != nil {
			return effects{}, fmt.Errorf("select server key: %w", err)
		}
		return effects{}, nil
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// checkServerKeyParams refuses a key without a name or shorter than 16 bytes.
func checkServerKeyParams(p herald.ServerKeyParams) error {
	if p.Name == "" {
		return herald.Errorf(herald.EINVALID, "name: must not be empty")
	}
	if len(p.New) < 16 {
		return herald.Errorf(herald.EINVALID, "new: at least 16 bytes, got %d", len(p.New))
	}
	return nil
}
