package api

import (
	"encoding/json"
	"net/http"

	"github.com/heraldhq/herald"
)

// tenantInput is the body of PUT /v1/tenants/{id}: the fields given
// replace the tenant's, those left out keep their value (on create, "",
// {} and null). A null metadata is {}; a null retention follows the
// server's --retention.
type tenantInput struct {
	Name      *string         `json:"name"`
	Metadata  json.RawMessage `json:"metadata"`
	Retention json.RawMessage `json:"retention"`
}

// putTenant is PUT /v1/tenants/{id} {name?, metadata?, retention?}: creates the tenant
// (201) or updates it (200), answering it.
func (s *Server) putTenant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := herald.ValidateTenantID("id", id); err != nil {
		s.error(w, r, err)
		return
	}
	var in tenantInput
	if err := s.decodeOptional(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t := &herald.Tenant{ID: id}
	old, err := s.cfg.Store.Tenant(r.Context(), id)
	switch {
	case err == nil:
		t.Name, t.Metadata, t.Retention = old.Name, old.Metadata, old.Retention
	case herald.ErrorCode(err) != herald.ENOTFOUND:
		s.error(w, r, err)
		return
	}
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.Metadata != nil {
		t.Metadata = in.Metadata
	}
	retention, set, err := herald.ParseRetentionJSON(in.Retention)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if set {
		t.Retention = retention
	}
	if err := t.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	created, err := s.cfg.Store.PutTenant(r.Context(), t)
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	t.Counts = nil
	writeJSON(w, status, t)
}

// listTenants is GET /v1/tenants?skip=&limit=: tenants by id.
func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ts, total, err := s.cfg.Store.ListTenants(r.Context(), herald.TenantFilter{Skip: skip, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if ts == nil {
		ts = []*herald.Tenant{}
	}
	writeJSON(w, http.StatusOK, list[*herald.Tenant]{Items: ts, Total: total, Skip: skip, Limit: limit})
}

// getTenant is GET /v1/tenants/{id}: the tenant with the counts of its
// webhooks and agents.
func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) {
	t, err := s.cfg.Store.Tenant(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// deleteTenant is DELETE /v1/tenants/{id}: the tenant and every row it
// owns go in one transaction (its keys stop working at once on this node,
// within the key cache's TTL on the others); its queued jobs end without
// a send. 204.
func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.cfg.Store.DeleteTenant(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	s.keys.clear()
	s.inbound.forgetTenant(id)
	w.WriteHeader(http.StatusNoContent)
}
