package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	if err := knownQuery(r); err != nil {
		s.error(w, r, err)
		return
	}
	keys, err := s.cfg.Store.ListAPIKeys(r.Context(), herald.APIKeyFilter{Tenancy: tenancyOf(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*herald.APIKey]{Items: keys, Total: len(keys), Limit: len(keys)})
}

// createKey is POST /v1/keys {name, scope, tenant_id?}: a key of the
// platform, or of a tenant (ownerOf: a tenant key makes keys of its own
// tenant only); 201 with the key, shown this once.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string           `json:"name"`
		Scope    string           `json:"scope"`
		TenantID *herald.TenantID `json:"tenant_id"`
	}
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Scope == "" {
		in.Scope = herald.ScopeIngest // least privilege unless asked
	}
	owner, err := ownerOf(r, in.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := herald.ValidateAPIKeyInput(in.Name, in.Scope); err != nil {
		s.error(w, r, err)
		return
	}
	k := herald.NewAPIKey(in.Name, in.Scope, s.cfg.Clock.Now())
	k.TenantID = herald.TenantID(owner)
	if err := s.cfg.Store.CreateAPIKey(r.Context(), k); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, k)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.RevokeAPIKey(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")}); err != nil {
		s.error(w, r, err)
		return
	}
	s.keys.clear()
	w.WriteHeader(http.StatusNoContent)
}

// ForgetKeys drops the API keys this server has looked up, so that a key
// revoked elsewhere on this node (the web UI) is refused at once.
func (s *Server) ForgetKeys() { s.keys.clear() }
