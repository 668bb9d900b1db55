package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// Stats returns the rows and approximate bytes of every table of the
// server's database (GET /v1/stats), to size the retention window. It
// needs a platform admin key: a tenant's key gets a 403 (*Error with
// Status 403).
func (c *Client) Stats(ctx context.Context) (*herald.Stats, error) {
	var st herald.Stats
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/stats", out: &st}); err != nil {
		return nil, fmt.Errorf("get stats: %w", err)
	}
	return &st, nil
}
