package postgres

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
)

// ServerKey returns the key named p.Name, storing p.New first when none is.
// The INSERT ... ON CONFLICT DO NOTHING makes nodes starting at once agree:
// the losers' inserts wait for the winner's commit and insert nothing.
func (s *DB) ServerKey(ctx context.Context, p herald.ServerKeyParams) ([]byte, error) {
	if p.Name == "" {
		return nil, herald.Errorf(herald.EINVALID, "name: must not be empty")
	}
	if len(p.New) < 16 {
		return nil, herald.Errorf(herald.EINVALID, "new: at least 16 bytes, got %d", len(p.New))
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO server_keys (name, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		p.Name, p.New, p.Now); err != nil {
		return nil, fmt.Errorf("insert server key: %w", err)
	}
	var key []byte
	if err := s.pool.QueryRow(ctx, `SELECT key FROM server_keys WHERE name = $1`, p.Name).Scan(&key); err != nil {
		return nil, fmt.Errorf("select server key: %w", err)
	}
	return key, nil
}
