package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// TenantList is a page of tenants, by id.
type TenantList = List[*herald.Tenant]

// TenantsService manages tenants, the platform's customers: the
// /v1/tenants routes, which need a platform admin key (a tenant's key gets
// a 403). Each tenant owns its webhooks, events, agents, alert rules,
// inbound webhooks and keys; WithTenant scopes a client to one. Use it as
// Client.Tenants.
type TenantsService struct{ c *Client }

// TenantInput is the body of Tenants.Put. Name is a display name (at most
// 200 characters); Metadata is a JSON object of at most
// herald.MaxTenantMetadata bytes: a map, a struct or a json.RawMessage.
// Retention is how long the tenant's events, with their deliveries and
// attempts, are kept, such as "7d" or "90d" ("0" keeps everything); ""
// sends null, which follows the server's --retention. Fields left nil are
// not sent: a new tenant takes "", {} and the server's retention.
type TenantInput struct {
	Name      *string `json:"name,omitempty"`
	Metadata  any     `json:"metadata,omitempty"`
	Retention *string `json:"-"`
}

// MarshalJSON writes the fields set, and a Retention of "" as null.
func (in TenantInput) MarshalJSON() ([]byte, error) {
	var wire struct {
		Name      *string         `json:"name,omitempty"`
		Metadata  any             `json:"metadata,omitempty"`
		Retention json.RawMessage `json:"retention,omitempty"`
	}
	wire.Name, wire.Metadata = in.Name, in.Metadata
	if in.Retention != nil {
		wire.Retention = json.RawMessage("null")
		if *in.Retention != "" {
			b, err := json.Marshal(*in.Retention)
			if err != nil {
				return nil, err
			}
			wire.Retention = b
		}
	}
	return json.Marshal(wire)
}

// Put creates the tenant id, or updates its name and metadata when it
// exists (PUT /v1/tenants/{id}), and reports whether it created it. The
// id is the platform's own identifier for the customer (see
// herald.ValidateTenantID).
func (s *TenantsService) Put(ctx context.Context, id string, in TenantInput) (*herald.Tenant, bool, error) {
	p, err := segment("tenant id", id)
	if err != nil {
		return nil, false, fmt.Errorf("put tenant: %w", err)
	}
	var t herald.Tenant
	status, err := s.c.do(ctx, request{method: http.MethodPut, path: "/v1/tenants/" + p, body: in, out: &t})
	if err != nil {
		return nil, false, fmt.Errorf("put tenant: %w", err)
	}
	return &t, status == http.StatusCreated, nil
}

// Get returns one tenant with the counts of its webhooks and agents in
// Counts (GET /v1/tenants/{id}).
func (s *TenantsService) Get(ctx context.Context, id string) (*herald.Tenant, error) {
	p, err := segment("tenant id", id)
	if err != nil {
		return nil, fmt.Errorf("get tenant: %w", err)
	}
	var t herald.Tenant
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/tenants/" + p, out: &t}); err != nil {
		return nil, fmt.Errorf("get tenant: %w", err)
	}
	return &t, nil
}

// List returns a page of tenants, by id (GET /v1/tenants).
func (s *TenantsService) List(ctx context.Context, opts ListOptions) (*TenantList, error) {
	var out TenantList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/tenants", query: opts.values(nil), out: &out}); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return &out, nil
}

// Delete removes a tenant and everything it owns, in one transaction
// (DELETE /v1/tenants/{id}); deliveries queued for it are never sent.
func (s *TenantsService) Delete(ctx context.Context, id string) error {
	p, err := segment("tenant id", id)
	if err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	if _, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/v1/tenants/" + p}); err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	return nil
}

// Portal mints a signed link to one tenant's portal in the web UI
// (POST /v1/tenants/{id}/portal): in.ExpiresIn defaults to 1h (5m to 7d),
// view is always granted, and in.AgentID and in.EventTypes narrow it
// further. Open the link's URL, or put it in an iframe, to start a portal
// session confined to the tenant.
func (s *TenantsService) Portal(ctx context.Context, id string, in herald.PortalInput) (*herald.PortalLink, error) {
	p, err := segment("tenant id", id)
	if err != nil {
		return nil, fmt.Errorf("mint portal link: %w", err)
	}
	var link herald.PortalLink
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/tenants/" + p + "/portal", body: in, out: &link}); err != nil {
		return nil, fmt.Errorf("mint portal link: %w", err)
	}
	return &link, nil
}
