package api

import (
	"net/http"
)

// stats is GET /v1/stats: the rows and approximate bytes of every table
// of the database (herald.Stats), for platform admin keys only: the
// sizes are the whole server's, so a tenant's key gets 403.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Store.Stats(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
