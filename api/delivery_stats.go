package api

import (
	"net/http"

	"github.com/heraldhq/herald"
)

// deliveryStats answers GET /v1/deliveries/stats?webhook_id=&window=: the
// deliveries per bucket by outcome and the p50 and p95 attempt latency
// over the window (1h, 24h or 7d; default 24h), of one webhook or of
// every webhook the caller reaches. Another tenant's webhook is a 404.
func (s *Server) deliveryStats(w http.ResponseWriter, r *http.Request) {
	if err := knownQuery(r, "webhook_id", "window"); err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	window, webhookID := q.Get("window"), q.Get("webhook_id")
	if window == "" {
		window = "24h"
	}
	p, err := herald.StatsParams(tenancyOf(r), webhookID, window, s.cfg.Clock.Now())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if webhookID != "" {
		if _, err := s.cfg.Store.Webhook(r.Context(), herald.Ref{Tenancy: p.Tenancy, ID: webhookID}); err != nil {
			s.error(w, r, err)
			return
		}
	}
	st, err := s.cfg.Store.DeliveryStats(r.Context(), p)
	if err != nil {
		s.error(w, r, err)
		return
	}
	st.Window = window
	writeJSON(w, http.StatusOK, st)
}
