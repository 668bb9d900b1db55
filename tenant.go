package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"time"
)

// Tenant is one of the platform's customers. It owns its webhooks, events
// (with their deliveries and attempts), agents (with their logs, metrics
// and deployments), alert rules, inbound webhooks (with their request logs
// and invocations) and API keys. Rows without a tenant are the platform's
// own.
type Tenant struct {
	// ID is the platform's own identifier for the customer; see
	// ValidateTenantID.
	ID string `json:"id"`
	// Name is a display name, "" by default.
	Name string `json:"name"`
	// Metadata is a JSON object of at most MaxTenantMetadata bytes, {} by
	// default.
	Metadata json.RawMessage `json:"metadata"`
	// Retention is how long the tenant's events, with their deliveries
	// and attempts, are kept, such as "7d" or "90d"; "0" keeps
	// everything. Null (the default) follows the server's --retention.
	Retention *LongDuration `json:"retention"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	// Counts is set by TenantStore.Tenant only.
	Counts *TenantCounts `json:"counts,omitempty"`
}

// TenantCounts counts what a tenant owns.
type TenantCounts struct {
	Webhooks int `json:"webhooks"`
	Agents   int `json:"agents"`
}

// MaxTenantMetadata is the largest tenant metadata object, in bytes.
const MaxTenantMetadata = 16 << 10

var tenantIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$`)

// ValidateTenantID checks a tenant id, naming field in the error: 1 to 128
// characters of letters, digits and "_.:@-", starting with a letter or a
// digit.
func ValidateTenantID(field, id string) error {
	if !tenantIDRE.MatchString(id) {
		return Errorf(EINVALID, "%s: must match %s", field, tenantIDRE.String())
	}
	return nil
}

// Validate checks a tenant and fills Metadata with {} when it is empty.
func (t *Tenant) Validate() error {
	if err := ValidateTenantID("id", t.ID); err != nil {
		return err
	}
	if err := ValidateName("name", t.Name); err != nil {
		return err
	}
	if len(t.Name) > 200 {
		return Errorf(EINVALID, "name: at most 200 characters")
	}
	if t.Retention != nil {
		if err := ValidateRetention("retention", time.Duration(*t.Retention)); err != nil {
			return err
		}
	}
	m := bytes.TrimSpace(t.Metadata)
	if len(m) == 0 || bytes.Equal(m, []byte("null")) {
		t.Metadata = json.RawMessage("{}")
		return nil
	}
	if len(m) > MaxTenantMetadata {
		return Errorf(ETOOLARGE, "metadata: at most %d bytes", MaxTenantMetadata)
	}
	if m[0] != '{' || !json.Valid(m) {
		return Errorf(EINVALID, "metadata: must be a JSON object")
	}
	if bytes.Contains(m, []byte(`\u0000`)) {
		return Errorf(EINVALID, "metadata: must not hold a NUL character")
	}
	t.Metadata = json.RawMessage(m)
	return nil
}

// TenantID is the tenant that owns a row: "" for the platform's own, which
// JSON writes and reads as null.
type TenantID string

// MarshalJSON writes "" as null.
func (t TenantID) MarshalJSON() ([]byte, error) {
	if t == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(t))
}

// UnmarshalJSON reads null as "".
func (t *TenantID) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(EINVALID, "tenant_id: must be a string or null")
	}
	*t = TenantID(s)
	return nil
}

// Tenancy says whose rows a store call may read or change. Its zero value
// matches no row at all, so a caller that forgets to set it gets nothing
// rather than everything. Make one with AnyTenant, OnlyTenant or Platform.
type Tenancy struct {
	tenant string
	kind   tenancyKind
}

type tenancyKind uint8

const (
	tenancyNone tenancyKind = iota
	tenancyOne
	tenancyAny
)

// AnyTenant reaches every row: the platform's and every tenant's. For the
// resources whose ids are unique only within a tenant (agents, deployments
// and inbound webhooks), a lookup by id with AnyTenant finds the
// platform's row.
func AnyTenant() Tenancy { return Tenancy{kind: tenancyAny} }

// OnlyTenant reaches the rows of one tenant; "" is the platform's own.
func OnlyTenant(id string) Tenancy { return Tenancy{tenant: id, kind: tenancyOne} }

// Platform reaches the platform's own rows only.
func Platform() Tenancy { return OnlyTenant("") }

// IsZero reports whether t is the zero Tenancy, which matches nothing.
func (t Tenancy) IsZero() bool { return t.kind == tenancyNone }

// IsAny reports whether t reaches every row.
func (t Tenancy) IsAny() bool { return t.kind == tenancyAny }

// Tenant returns the one tenant t reaches ("" for the platform), with ok
// false when t is AnyTenant or the zero Tenancy.
func (t Tenancy) Tenant() (id string, ok bool) { return t.tenant, t.kind == tenancyOne }

// Owner is the tenant whose rows a by-id lookup of a per-tenant name
// (agent, deployment, inbound webhook) reads: the one tenant, or the
// platform for AnyTenant; ok is false for the zero Tenancy.
func (t Tenancy) Owner() (id string, ok bool) {
	switch t.kind {
	case tenancyOne:
		return t.tenant, true
	case tenancyAny:
		return "", true
	}
	return "", false
}

// Allows reports whether a row owned by tenant is within t.
func (t Tenancy) Allows(tenant string) bool {
	switch t.kind {
	case tenancyAny:
		return true
	case tenancyOne:
		return t.tenant == tenant
	}
	return false
}

// String describes t for logs and test failures.
func (t Tenancy) String() string {
	switch t.kind {
	case tenancyAny:
		return "any tenant"
	case tenancyOne:
		if t.tenant == "" {
			return "the platform"
		}
		return "tenant " + t.tenant
	}
	return "no tenant"
}

// Ref names one row for a store call: its id (a name, for inbound
// webhooks) and the Tenancy the caller may see. A row outside the Tenancy
// is ENOTFOUND, the same as a missing one.
type Ref struct {
	Tenancy Tenancy
	ID      string
}

// TenantFilter selects a page of tenants, by id.
type TenantFilter struct {
	Skip  int
	Limit int
}

// TenantStore keeps tenants.
type TenantStore interface {
	// PutTenant creates t, or updates the name and metadata of the tenant
	// with its id, and reports whether it created it. It sets the
	// timestamps (CreatedAt of an update is the stored one).
	PutTenant(ctx context.Context, t *Tenant) (created bool, err error)
	// Tenant returns one tenant, with its Counts.
	Tenant(ctx context.Context, id string) (*Tenant, error)
	// ListTenants returns a page of tenants, by id, and the total.
	ListTenants(ctx context.Context, f TenantFilter) ([]*Tenant, int, error)
	// DeleteTenant removes a tenant and every row it owns, in one
	// transaction: the deliveries it drops have their queued jobs find
	// nothing, so they end without a send.
	DeleteTenant(ctx context.Context, id string) error
}
