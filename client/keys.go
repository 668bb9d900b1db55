package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// KeyList is the list of API keys, revoked ones included. It is not paged:
// Items holds every key.
type KeyList = List[*herald.APIKey]

// KeysService manages API keys: the /v1/keys routes, which need an admin
// key. Use it as Client.Keys.
type KeysService struct{ c *Client }

// Create makes an API key named name with scope herald.ScopeAdmin (every
// route) or herald.ScopeIngest (sending events only); an empty scope lets
// the server choose, and it chooses ingest (POST /v1/keys). The key is the
// platform's, or, on a client scoped by WithTenant, that tenant's. The
// plain key is in the answer's Key and is never shown again.
func (s *KeysService) Create(ctx context.Context, name, scope string) (*herald.APIKey, error) {
	return s.CreateForTenant(ctx, "", name, scope)
}

// CreateForTenant makes an API key as Create does, for the tenant
// tenantID ("" for the platform, or the client's tenant): every request
// the key makes is confined to that tenant. A tenant's admin key may make
// keys for its own tenant only.
func (s *KeysService) CreateForTenant(ctx context.Context, tenantID, name, scope string) (*herald.APIKey, error) {
	body := struct {
		Name     string `json:"name"`
		Scope    string `json:"scope,omitempty"`
		TenantID string `json:"tenant_id,omitempty"`
	}{name, scope, tenantID}
	var k herald.APIKey
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/keys", body: body, out: &k}); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	return &k, nil
}

// List returns every API key the client's key sees (a tenant key: its
// tenant's), without the keys themselves (GET /v1/keys).
func (s *KeysService) List(ctx context.Context) (*KeyList, error) {
	var out KeyList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/keys", out: &out}); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return &out, nil
}

// Revoke revokes an API key at once; it is kept in the list with RevokedAt
// set (DELETE /v1/keys/{id}).
func (s *KeysService) Revoke(ctx context.Context, id string) error {
	p, err := segment("key id", id)
	if err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	if _, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/v1/keys/" + p}); err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	return nil
}
