package api

import (
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// recoverWebhook starts an operation that queues a new attempt of every
// delivery of the webhook that ended failed in the window.
func (s *Server) recoverWebhook(w http.ResponseWriter, r *http.Request) {
	s.startWindowOperation(w, r, herald.OperationRecover)
}

// replayMissing starts an operation that sends the webhook the events of
// the window that match it now but never went to it.
func (s *Server) replayMissing(w http.ResponseWriter, r *http.Request) {
	s.startWindowOperation(w, r, herald.OperationReplayMissing)
}

func (s *Server) startWindowOperation(w http.ResponseWriter, r *http.Request, kind string) {
	var in herald.WindowInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now()
	since, until, err := in.Resolve(now)
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh, err := s.cfg.Store.Webhook(r.Context(), webhookRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !wh.IsActive {
		s.error(w, r, herald.Errorf(herald.ECONFLICT, "webhook %q is disabled; enable it first (PATCH is_active: true)", wh.ID))
		return
	}
	o, err := s.cfg.Store.CreateOperation(r.Context(), herald.CreateOperationParams{
		TenantID: wh.TenantID, Kind: kind, WebhookID: wh.ID, Since: since, Until: until,
		Max: s.cfg.MaxOperationRows, Job: queue.OperationJob, Now: now,
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	answer := herald.OperationAnswer{Operation: o}
	if kind == herald.OperationRecover {
		answer.Recovered = o.Total
	} else {
		answer.Replayed = o.Total
	}
	writeJSON(w, http.StatusAccepted, answer)
}

// replayEvent starts an operation that sends a past event again, as new
// deliveries, to the webhooks that match it now or to the ones named.
func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request) {
	var in herald.ReplayInput
	if err := s.decodeOptional(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if len(in.WebhookIDs) > herald.MaxReplayWebhooks {
		s.error(w, r, herald.Errorf(herald.EINVALID, "webhook_ids: at most %d webhooks", herald.MaxReplayWebhooks))
		return
	}
	ev, err := s.cfg.Store.Event(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, id := range in.WebhookIDs {
		wh, err := s.cfg.Store.Webhook(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: id})
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			s.error(w, r, herald.Errorf(herald.ENOTFOUND, "webhook_ids: webhook %q not found", id))
			return
		} else if err != nil {
			s.error(w, r, err)
			return
		}
		if wh.TenantID != ev.TenantID && (wh.TenantID != "" || !wh.AllTenants) {
			s.error(w, r, herald.Errorf(herald.EINVALID, "webhook_ids: webhook %q cannot receive the events of %s", id, tenantName(ev.TenantID)))
			return
		}
		if !wh.IsActive {
			s.error(w, r, herald.Errorf(herald.ECONFLICT, "webhook_ids: webhook %q is disabled; enable it first", id))
			return
		}
	}
	now := s.cfg.Clock.Now()
	o, err := s.cfg.Store.CreateOperation(r.Context(), herald.CreateOperationParams{
		TenantID: ev.TenantID, Kind: herald.OperationReplay, EventID: ev.ID, WebhookIDs: in.WebhookIDs,
		Max: s.cfg.MaxOperationRows, Job: queue.OperationJob, Now: now,
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, herald.OperationAnswer{Replayed: o.Total, Operation: o})
}

// tenantName names a tenant in messages: "the platform" for "".
func tenantName(t herald.TenantID) string {
	if t == "" {
		return "the platform"
	}
	return "tenant " + string(t)
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	o, err := s.cfg.Store.Operation(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ops, total, err := s.cfg.Store.ListOperations(r.Context(), herald.OperationFilter{Tenancy: tenancyOf(r), Skip: skip, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*herald.Operation]{Items: ops, Total: total, Skip: skip, Limit: limit})
}
