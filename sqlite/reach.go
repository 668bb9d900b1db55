package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/heraldhq/herald"
)

// maxReachTenants bounds the tenants whose webhooks reachCache keeps; when
// full, it starts over.
const maxReachTenants = 10_000

// reachTriggers are the triggers that keep webhook_reach_version current
// (migration 00018): a migration that rebuilds the webhooks table must
// create them again.
var reachTriggers = []string{"webhooks_reach_insert", "webhooks_reach_update", "webhooks_reach_delete"}

// reachCache keeps, per tenant, the active webhooks that the tenant's
// events may reach (see reaches), with their patterns parsed, so that a
// publish reads one value instead of the webhooks. The entries are good
// while webhook_reach_version holds the value they were read under:
// triggers change it on every change to where events go, whoever makes it.
// It is read in the publish's own transaction, so a publish sees the
// webhooks as of its transaction, as if it had read them.
type reachCache struct {
	mu       sync.Mutex
	version  int64
	byTenant map[string][]*herald.Webhook
}

// hooks returns the active webhooks that events of tenant may reach, as of
// tx. The webhooks are shared: callers must not change them.
func (c *reachCache) hooks(ctx context.Context, tx *sql.Tx, tenant string) ([]*herald.Webhook, error) {
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM webhook_reach_version`).Scan(&version); err != nil {
		return nil, fmt.Errorf("select webhook version: %w", err)
	}
	c.mu.Lock()
	if c.byTenant == nil || c.version != version || len(c.byTenant) >= maxReachTenants {
		c.version, c.byTenant = version, map[string][]*herald.Webhook{}
	}
	hooks, ok := c.byTenant[tenant]
	c.mu.Unlock()
	if ok {
		return hooks, nil
	}
	hooks, err := reachable(ctx, tx, tenant)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.version == version {
		c.byTenant[tenant] = hooks
	}
	c.mu.Unlock()
	return hooks, nil
}

// reachable reads the active webhooks that events of tenant may reach.
func reachable(ctx context.Context, tx *sql.Tx, tenant string) ([]*herald.Webhook, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, events, agent_id, tenant_id, ordering FROM webhooks
		WHERE `+reaches+` AND is_active = 1`, tenant)
	if err != nil {
		return nil, fmt.Errorf("select webhooks: %w", err)
	}
	defer rows.Close()
	hooks := []*herald.Webhook{}
	for rows.Next() {
		var (
			w      herald.Webhook
			events string
		)
		if err := rows.Scan(&w.ID, &w.Name, &events, &w.AgentID, &w.TenantID, &w.Ordering); err != nil {
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
			return nil, fmt.Errorf("decode events: %w", err)
		}
		w.IsActive = true
		hooks = append(hooks, &w)
	}
	return hooks, rows.Err()
}
