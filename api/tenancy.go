package api

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald"
)

// TenantHeader scopes a request of a platform credential to one tenant,
// as the tenant_id query parameter does (the CLI's --tenant and the Go
// SDK's WithTenant send it). A tenant credential may send it naming its
// own tenant only.
const TenantHeader = "X-Herald-Tenant"

// TenantParam is the query parameter that scopes a request to one tenant;
// every list takes it.
const TenantParam = "tenant_id"

// DefaultJWTTenantClaim is the JWT claim that names a token's tenant
// (Config.JWTTenantClaim).
const DefaultJWTTenantClaim = "tenant_id"

// access is who a request acts for: the tenant of its credential and the
// tenant its header or query asks for. authenticate and
// authenticateIngest resolve it once per request, and every handler reads
// it from the context (tenancyOf, ownerOf).
type access struct {
	// ok is set once the request is authenticated; the zero access reaches
	// nothing.
	ok bool
	// tenant is the credential's tenant: "" for a platform credential.
	tenant string
	// key is set for an API key, unset for a JWT.
	key bool
	// scoped is the tenant X-Herald-Tenant or ?tenant_id= names, for a
	// platform credential ("" when neither is given).
	scoped string
}

// resolveAccess finds the access of a request made with a credential of
// tenant credTenant (an API key when key is set, else a JWT). A platform
// API key may scope the request to one tenant with X-Herald-Tenant or
// ?tenant_id=; a tenant credential naming another tenant there is
// EFORBIDDEN, and so is a platform JWT naming a tenant (a JWT reports for
// the tenant of its claim only).
func resolveAccess(r *http.Request, credTenant string, key bool) (access, error) {
	acc := access{ok: true, tenant: credTenant, key: key}
	header, query := r.Header.Get(TenantHeader), r.URL.Query().Get(TenantParam)
	asked, field := query, TenantParam
	if header != "" {
		if query != "" && query != header {
			return acc, herald.Errorf(herald.EINVALID, "%s: the query names tenant %q and the %s header %q", TenantParam, query, TenantHeader, header)
		}
		asked, field = header, TenantHeader
	}
	if asked == "" {
		return acc, nil
	}
	if err := herald.ValidateTenantID(field, asked); err != nil {
		return acc, err
	}
	switch {
	case credTenant != "" && asked != credTenant:
		return acc, herald.Errorf(herald.EFORBIDDEN, "%s: this credential belongs to tenant %q and cannot act for tenant %q", field, credTenant, asked)
	case credTenant == "" && !key:
		return acc, herald.Errorf(herald.EFORBIDDEN, "%s: this token names no tenant and acts for the platform only", field)
	}
	if credTenant == "" {
		acc.scoped = asked
	}
	return acc, nil
}

// withAccess returns r carrying acc.
func withAccess(r *http.Request, acc access) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), accessCtx, acc))
}

// accessOf returns the access of an authenticated request; the zero
// access otherwise.
func accessOf(r *http.Request) access {
	acc, _ := r.Context().Value(accessCtx).(access)
	return acc
}

// tenancyOf is the Tenancy of a request, what every store call of a
// handler is confined to: a tenant credential's tenant; for a platform
// credential the tenant of X-Herald-Tenant or ?tenant_id=, else every
// tenant. An unauthenticated request reaches nothing.
func tenancyOf(r *http.Request) herald.Tenancy {
	acc := accessOf(r)
	switch {
	case !acc.ok:
		return herald.Tenancy{}
	case acc.tenant != "":
		return herald.OnlyTenant(acc.tenant)
	case acc.scoped != "":
		return herald.OnlyTenant(acc.scoped)
	}
	return herald.AnyTenant()
}

// ownerOf is the tenant that owns what a request creates, or whose
// per-tenant name (an agent id, an inbound webhook name) it reports for or
// changes: a tenant credential's own tenant, which body (the tenant_id of
// the request body; nil or "" when not given) may only repeat
// (EFORBIDDEN otherwise); for a platform API key the body's tenant, else
// the tenant of X-Herald-Tenant or ?tenant_id=, else the platform ("").
// A platform JWT acts for the platform alone.
func ownerOf(r *http.Request, body *herald.TenantID) (string, error) {
	acc := accessOf(r)
	if !acc.ok {
		return "", herald.Errorf(herald.EUNAUTHORIZED, "credentials are required")
	}
	var named string
	if body != nil {
		named = string(*body)
	}
	if named == "" {
		if acc.tenant != "" {
			return acc.tenant, nil
		}
		return acc.scoped, nil
	}
	if err := herald.ValidateTenantID(TenantParam, named); err != nil {
		return "", err
	}
	switch {
	case acc.tenant != "" && named != acc.tenant:
		return "", herald.Errorf(herald.EFORBIDDEN, "tenant_id: this credential belongs to tenant %q and cannot act for tenant %q", acc.tenant, named)
	case acc.tenant == "" && !acc.key:
		return "", herald.Errorf(herald.EFORBIDDEN, "tenant_id: this token names no tenant and acts for the platform only")
	case acc.scoped != "" && named != acc.scoped:
		return "", herald.Errorf(herald.EINVALID, "tenant_id: the body names tenant %q but the request is scoped to tenant %q", named, acc.scoped)
	}
	return named, nil
}

// keepOwner checks the tenant_id of an update's body against the owner of
// the row it changes: a tenant credential naming another tenant is
// EFORBIDDEN (as ownerOf), and a body naming another owner than the row's
// is EINVALID, since an update never moves a row to another tenant.
func keepOwner(r *http.Request, body *herald.TenantID, owner herald.TenantID) error {
	if body == nil || *body == "" {
		return nil
	}
	named, err := ownerOf(r, body)
	if err != nil {
		return err
	}
	if named != string(owner) {
		return herald.Errorf(herald.EINVALID, "tenant_id: cannot be changed (the owner is %s)", ownerName(string(owner)))
	}
	return nil
}

// ownerName describes a tenant in messages.
func ownerName(tenant string) string {
	if tenant == "" {
		return "the platform"
	}
	return "tenant " + tenant
}

// platformOnly wraps an admin handler for the routes of the platform as a
// whole (tenants, the built-in inbound endpoints' secrets): a tenant key
// gets 403.
func (s *Server) platformOnly(h http.HandlerFunc) http.Handler {
	return s.authenticate(herald.ScopeAdmin, func(w http.ResponseWriter, r *http.Request) {
		if t := accessOf(r).tenant; t != "" {
			s.error(w, r, herald.Errorf(herald.EFORBIDDEN, "this route manages the whole platform; the key of tenant %q cannot use it", t))
			return
		}
		h(w, r)
	})
}

// jwtTenant reads the tenant claim (Config.JWTTenantClaim) of a verified
// token: "" when it is absent, null or empty; a value that is no string
// or no tenant id is EUNAUTHORIZED.
func (s *Server) jwtTenant(c *JWTClaims) (string, error) {
	name := s.cfg.JWTTenantClaim
	v, ok := c.Claim(name)
	if !ok || v == nil {
		return "", nil
	}
	t, isString := v.(string)
	if !isString {
		return "", herald.Errorf(herald.EUNAUTHORIZED, "the bearer token is not valid: its %s claim is not a string", name)
	}
	if t == "" {
		return "", nil
	}
	if herald.ValidateTenantID(name, t) != nil {
		return "", herald.Errorf(herald.EUNAUTHORIZED, "the bearer token is not valid: its %s claim is not a tenant id", name)
	}
	return t, nil
}
