package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

const tenantColumns = `id, name, metadata, created_at, updated_at, retention_seconds`

// conds builds the WHERE clause of a query: conditions joined by AND, with
// their arguments numbered from $1 in the order they are added.
type conds struct {
	list []string
	args []any
}

// arg adds an argument and returns its placeholder.
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return fmt.Sprintf("$%d", len(c.args))
}

// eq adds "col = v".
func (c *conds) eq(col string, v any) { c.add(col + " = " + c.arg(v)) }

// add adds a condition as it is.
func (c *conds) add(cond string) { c.list = append(c.list, cond) }

// tenancy confines the tenant_id column col to t (see tenancySQL).
func (c *conds) tenancy(col string, t herald.Tenancy) { c.add(tenancySQL(c, col, t)) }

// where is the WHERE clause, "WHERE true" for no condition.
func (c *conds) where() string {
	if len(c.list) == 0 {
		return "WHERE true"
	}
	return "WHERE " + strings.Join(c.list, " AND ")
}

// tenancySQL is the condition that keeps the rows whose tenant_id column
// col t reaches: FALSE for the zero Tenancy, TRUE for AnyTenant, and
// "col = $n" for one tenant, its argument added to c.
func tenancySQL(c *conds, col string, t herald.Tenancy) string {
	if t.IsAny() {
		return "TRUE"
	}
	id, ok := t.Tenant()
	if !ok {
		return "FALSE"
	}
	return col + " = " + c.arg(id)
}

// checkTenant returns EINVALID unless tenant is "" (the platform) or an
// existing tenant, which it locks FOR KEY SHARE until tx ends: DeleteTenant,
// which locks the row FOR UPDATE before it deletes anything, waits for tx,
// and then deletes what tx stored; and a tx that comes after DeleteTenant's
// lock waits for it and then finds no tenant. Key-share locks do not
// conflict with each other, so creates for one tenant never wait on each
// other here.
func checkTenant(ctx context.Context, q querier, tenant string) error {
	if tenant == "" {
		return nil
	}
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE`, tenant).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return herald.Errorf(herald.EINVALID, "tenant_id: no tenant %q", tenant)
	} else if err != nil {
		return fmt.Errorf("select tenant: %w", err)
	}
	return nil
}

// forTenant runs fn on the pool for the platform's rows, and for a tenant's
// in a transaction that checks the tenant first (see checkTenant).
func (s *DB) forTenant(ctx context.Context, tenant herald.TenantID, what string, fn func(q querier) error) error {
	if tenant == "" {
		return fn(s.pool)
	}
	return s.inTx(ctx, what, func(tx pgx.Tx) error {
		if err := checkTenant(ctx, tx, string(tenant)); err != nil {
			return err
		}
		return fn(tx)
	})
}

// PutTenant validates t and creates it, or updates the name and metadata of
// the tenant with its id, in one statement, and reports whether it created
// it. t gets the stored timestamps.
func (s *DB) PutTenant(ctx context.Context, t *herald.Tenant) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	now := s.now()
	var created bool
	err := s.pool.QueryRow(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at,
			retention_seconds = EXCLUDED.retention_seconds
		RETURNING created_at, updated_at, xmax = 0`,
		t.ID, escapeText(t.Name), string(t.Metadata), now, retentionSeconds(t.Retention)).Scan(&t.CreatedAt, &t.UpdatedAt, &created)
	if err != nil {
		return false, fmt.Errorf("save tenant: %w", err)
	}
	return created, nil
}

// Tenant returns one tenant, with the counts of its webhooks and agents.
func (s *DB) Tenant(ctx context.Context, id string) (*herald.Tenant, error) {
	var c herald.TenantCounts
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+`,
		(SELECT count(*) FROM webhooks WHERE tenant_id = $1), (SELECT count(*) FROM agents WHERE tenant_id = $1)
		FROM tenants WHERE id = $1`, id), &c.Webhooks, &c.Agents)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "tenant %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select tenant: %w", err)
	}
	t.Counts = &c
	return t, nil
}

// ListTenants returns a page of tenants, by id, and the total (see
// pageTotal).
func (s *DB) ListTenants(ctx context.Context, f herald.TenantFilter) ([]*herald.Tenant, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	return listPage(ctx, s, pageQuery{table: "tenants", cols: tenantColumns, order: "id", skip: skip, limit: limit},
		func(row scanner, total *int) (*herald.Tenant, error) { return scanTenant(row, total) })
}

// ownedTables are the tables DeleteTenant empties of a tenant's rows, in
// its order. The first hold the rows that the writes which store nothing
// new for a tenant of their own accord (recording attempts, finishing
// invocations, evaluating alerts, the heartbeat monitor) lock before they
// write; each delete waits for such a write to commit, so the later
// deletes, each with a new snapshot, see what it stored. Deleting a webhook
// or an agent cascades to its deliveries, logs and points.
var ownedTables = []string{
	"alerts", "invocations", "agents", "deployments", "inbound_webhooks", "api_keys", "webhooks",
	"attempts", "deliveries", "events", "agent_logs", "metric_points", "deployment_history", "inbound_requests",
	"operations",
}

// DeleteTenant removes a tenant and every row it owns in one transaction.
// It locks the tenant's row first (see checkTenant), then deletes the rows
// of ownedTables, and the tenants row last. The deliveries of the tenant's
// events to the platform's all_tenants webhooks go too: they carry the
// tenant's data, and their event is gone. Claims of delivery ids are left
// to expire. Jobs queued for the deleted deliveries and invocations find
// nothing and end without a send.
func (s *DB) DeleteTenant(ctx context.Context, id string) error {
	return s.inTx(ctx, "delete tenant", func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return herald.Errorf(herald.ENOTFOUND, "tenant %q not found", id)
		} else if err != nil {
			return fmt.Errorf("lock tenant: %w", err)
		}
		for _, table := range ownedTables {
			query := `DELETE FROM ` + table + ` WHERE tenant_id = $1`
			switch table {
			case "attempts":
				query += ` OR delivery_id IN (SELECT id FROM deliveries WHERE event_tenant_id = $1)`
			case "deliveries":
				query += ` OR event_tenant_id = $1`
			}
			if _, err := tx.Exec(ctx, query, id); err != nil {
				return fmt.Errorf("delete tenant's %s: %w", table, err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete tenant: %w", err)
		}
		return nil
	})
}

// scanTenant scans a row holding tenantColumns, then those of after.
func scanTenant(row scanner, after ...any) (*herald.Tenant, error) {
	var (
		t         herald.Tenant
		metadata  string
		retention *int64
	)
	if err := row.Scan(append([]any{&t.ID, freeText(&t.Name), &metadata, &t.CreatedAt, &t.UpdatedAt, &retention}, after...)...); err != nil {
		return nil, err
	}
	if retention != nil {
		r := herald.LongDuration(time.Duration(*retention) * time.Second)
		t.Retention = &r
	}
	t.Metadata = json.RawMessage(metadata)
	return &t, nil
}

// retentionSeconds is the retention_seconds column of a tenant's
// retention: NULL for the server's.
func retentionSeconds(r *herald.LongDuration) *int64 {
	if r == nil {
		return nil
	}
	v := int64(time.Duration(*r) / time.Second)
	return &v
}
