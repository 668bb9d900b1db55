package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

const tenantColumns = `id, name, metadata, created_at, updated_at, retention_seconds`

// tenancy is the condition that confines a query to the rows of t by
// their tenant column col, with its arguments: FALSE for the zero Tenancy
// (it reaches nothing), TRUE for AnyTenant, and col = ? for one tenant.
func tenancy(col string, t herald.Tenancy) (string, []any) {
	if id, one := t.Tenant(); one {
		return col + " = ?", []any{id}
	}
	if t.IsAny() {
		return "TRUE", nil
	}
	return "FALSE", nil
}

// where is the WHERE clause of a query: its conditions, joined by AND,
// and their arguments in order.
type where struct {
	conds []string
	args  []any
}

// confined starts a WHERE clause with the tenancy condition of col.
func confined(col string, t herald.Tenancy) *where {
	cond, args := tenancy(col, t)
	return &where{conds: []string{cond}, args: args}
}

// and adds a condition and its arguments.
func (w *where) and(cond string, args ...any) *where {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
	return w
}

// String is the clause, "WHERE ...".
func (w *where) String() string { return "WHERE " + strings.Join(w.conds, " AND ") }

// checkTenant returns the EINVALID error of a row created for a tenant
// that does not exist; the platform ("") always does. q is the
// transaction of the write, so that DeleteTenant cannot run in between.
func checkTenant(ctx context.Context, q querier, tenant herald.TenantID) error {
	if tenant == "" {
		return nil
	}
	ok, err := tenantExists(ctx, q, string(tenant))
	if err != nil {
		return err
	} else if !ok {
		return herald.Errorf(herald.EINVALID, "tenant_id: no tenant %q", string(tenant))
	}
	return nil
}

// tenantExists reports whether the tenant id is stored.
func tenantExists(ctx context.Context, q querier, id string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("select tenant: %w", err)
	}
	return true, nil
}

// PutTenant creates t, or updates the name and metadata of the tenant
// with its id, and reports whether it created it. It validates t first
// and sets its timestamps.
func (s *DB) PutTenant(ctx context.Context, t *herald.Tenant) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	var created bool
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		var createdAt int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM tenants WHERE id = ?`, t.ID).Scan(&createdAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
				t.ID, t.Name, string(t.Metadata), micros(now), micros(now), retentionSeconds(t.Retention)); err != nil {
				return effects{}, fmt.Errorf("insert tenant: %w", err)
			}
			created, t.CreatedAt = true, now
		case err != nil:
			return effects{}, fmt.Errorf("select tenant: %w", err)
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ?, metadata = ?, updated_at = ?, retention_seconds = ?
				WHERE id = ?`, t.Name, string(t.Metadata), micros(now), retentionSeconds(t.Retention), t.ID); err != nil {
				return effects{}, fmt.Errorf("update tenant: %w", err)
			}
			created, t.CreatedAt = false, fromMicros(createdAt)
		}
		t.UpdatedAt = now
		return effects{}, nil
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// Tenant returns one tenant, with the counts of its webhooks and agents.
func (s *DB) Tenant(ctx context.Context, id string) (*herald.Tenant, error) {
	var counts herald.TenantCounts
	t, err := scanTenant(s.rdb.QueryRowContext(ctx, `SELECT `+tenantColumns+`,
		(SELECT count(*) FROM webhooks WHERE tenant_id = tenants.id),
		(SELECT count(*) FROM agents WHERE tenant_id = tenants.id)
		FROM tenants WHERE id = ?`, id), &counts.Webhooks, &counts.Agents)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, herald.Errorf(herald.ENOTFOUND, "tenant %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("select tenant: %w", err)
	}
	t.Counts = &counts
	return t, nil
}

// ListTenants returns a page of tenants, by id, and the total.
func (s *DB) ListTenants(ctx context.Context, f herald.TenantFilter) ([]*herald.Tenant, int, error) {
	skip, limit := herald.Page(f.Skip, f.Limit)
	return listPage(ctx, s, pageQuery{table: "tenants", cols: tenantColumns, order: "id", skip: skip, limit: limit},
		func(row scanner) (*herald.Tenant, error) { return scanTenant(row) })
}

// tenantDeletes remove every row a tenant owns, children first: the
// attempts and deliveries of its webhooks and those of its events (an
// all_tenants webhook's are the platform's, but their event goes), its
// events and webhooks, its agents with their logs, metrics and
// deployments, its alert rules, invocations, inbound webhooks with their
// request log, and its API keys. Each takes the tenant id once for every
// "?".
var tenantDeletes = []struct{ what, query string }{
	{"attempts", `DELETE FROM attempts WHERE tenant_id = ?`},
	{"attempts", `DELETE FROM attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d
		JOIN events e ON e.id = d.event_id AND e.tenant_id = d.event_tenant_id WHERE e.tenant_id = ?)`},
	{"deliveries", `DELETE FROM deliveries WHERE tenant_id = ?`},
	{"deliveries", `DELETE FROM deliveries WHERE (event_id, event_tenant_id) IN
		(SELECT id, tenant_id FROM events WHERE tenant_id = ?)`},
	{"events", `DELETE FROM events WHERE tenant_id = ?`},
	{"webhooks", `DELETE FROM webhooks WHERE tenant_id = ?`},
	{"agent logs", `DELETE FROM agent_logs WHERE tenant_id = ?`},
	{"metric points", `DELETE FROM metric_points WHERE tenant_id = ?`},
	{"deployment history", `DELETE FROM deployment_history WHERE tenant_id = ?`},
	{"deployments", `DELETE FROM deployments WHERE tenant_id = ?`},
	{"agents", `DELETE FROM agents WHERE tenant_id = ?`},
	{"alerts", `DELETE FROM alerts WHERE tenant_id = ?`},
	{"invocations", `DELETE FROM invocations WHERE tenant_id = ?`},
	{"inbound requests", `DELETE FROM inbound_requests WHERE tenant_id = ?`},
	{"inbound webhooks", `DELETE FROM inbound_webhooks WHERE tenant_id = ?`},
	{"api keys", `DELETE FROM api_keys WHERE tenant_id = ?`},
	{"operations", `DELETE FROM operations WHERE tenant_id = ?`},
}

// DeleteTenant removes a tenant and every row it owns in one write. The
// queued jobs of its deliveries and invocations stay, and find nothing.
func (s *DB) DeleteTenant(ctx context.Context, id string) error {
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		if ok, err := tenantExists(ctx, tx, id); err != nil {
			return effects{}, err
		} else if !ok {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "tenant %q not found", id)
		}
		for _, d := range tenantDeletes {
			if _, err := tx.ExecContext(ctx, d.query, id); err != nil {
				return effects{}, fmt.Errorf("delete tenant's %s: %w", d.what, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id); err != nil {
			return effects{}, fmt.Errorf("delete tenant: %w", err)
		}
		return effects{}, nil
	})
}

// scanTenant scans a row holding tenantColumns, then after.
func scanTenant(row scanner, after ...any) (*herald.Tenant, error) {
	var (
		t                herald.Tenant
		metadata         string
		created, updated int64
		retention        sql.NullInt64
	)
	if err := row.Scan(append([]any{&t.ID, &t.Name, &metadata, &created, &updated, &retention}, after...)...); err != nil {
		return nil, err
	}
	if retention.Valid {
		r := herald.LongDuration(time.Duration(retention.Int64) * time.Second)
		t.Retention = &r
	}
	t.Metadata = json.RawMessage(metadata)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

// retentionSeconds is the retention_seconds column of a tenant's
// retention: NULL for the server's.
func retentionSeconds(r *herald.LongDuration) any {
	if r == nil {
		return nil
	}
	return int64(time.Duration(*r) / time.Second)
}
