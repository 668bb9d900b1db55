package api

import (
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/ui"
)

// portalLink mints a signed link to one tenant's portal:
// POST /v1/tenants/{id}/portal. The link starts with the scheme and host
// the request was made to.
func (s *Server) portalLink(w http.ResponseWriter, r *http.Request) {
	if s.cfg.UI == nil {
		s.error(w, r, herald.Errorf(herald.ENOTFOUND, "the web UI is off (--ui=false), so there is no portal"))
		return
	}
	// An empty body asks for the defaults.
	var in herald.PortalInput
	if err := s.decodeOptional(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	link, err := s.cfg.UI.MintPortal(r.Context(), ui.PortalParams{Tenant: r.PathValue("id"), Input: in, BaseURL: s.cfg.UI.BaseURL(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, link)
}
