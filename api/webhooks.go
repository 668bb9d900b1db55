package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
)

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in herald.WebhookInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := herald.ActiveAlias(in.IsActive, in.Enabled); err != nil {
		s.error(w, r, err)
		return
	}
	owner, err := ownerOf(r, in.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh := herald.NewWebhookDefaults()
	wh.TenantID = herald.TenantID(owner)
	in.Apply(wh)
	if in.Secret == nil || *in.Secret == "" {
		wh.Secret = herald.GenerateSecret()
	}
	if !wh.IsActive {
		now := s.cfg.Clock.Now().UTC()
		wh.DisabledReason, wh.DisabledAt = herald.DisabledManual, &now
	}
	if err := s.validateWebhook(wh, in.AllTenants); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.cfg.Store.CreateWebhook(r.Context(), wh); err != nil {
		s.error(w, r, err)
		return
	}
	// The create answer is the only one that shows the secret.
	types, err := s.cfg.Store.ListEventTypes(r.Context(), herald.EventTypeFilter{})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, herald.WebhookCreated{Webhook: wh, Warnings: herald.PatternWarnings(wh.Events, types)})
}

// validateWebhook sets all_tenants when the body gives it, refusing it on
// a tenant's webhook, and validates wh.
func (s *Server) validateWebhook(wh *herald.Webhook, allTenants *bool) error {
	if allTenants != nil {
		if *allTenants && wh.TenantID != "" {
			return herald.Errorf(herald.EINVALID, "all_tenants: only a platform webhook (no tenant_id) may receive every tenant's events; this one is tenant %s's", wh.TenantID)
		}
		wh.AllTenants = *allTenants
	}
	return wh.Validate(s.cfg.URLPolicy)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r, "agent_id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := herald.WebhookFilter{Tenancy: tenancyOf(r), AgentID: r.URL.Query().Get("agent_id"), Skip: skip, Limit: limit}
	hooks, total, err := s.cfg.Store.ListWebhooks(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now()
	for _, h := range hooks {
		h.ShowSecrets(now, false)
	}
	writeJSON(w, http.StatusOK, list[*herald.Webhook]{Items: hooks, Total: total, Skip: skip, Limit: limit})
}

// webhookRef names the webhook of the path, within the request's tenancy.
func webhookRef(r *http.Request) herald.Ref {
	return herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")}
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	wh, err := s.cfg.Store.Webhook(r.Context(), webhookRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh.ShowSecrets(s.cfg.Clock.Now(), false)
	writeJSON(w, http.StatusOK, wh)
}

// rotateWebhookSecret sets a new secret, generated unless the body gives
// one, keeps the old one signing for the grace period, and answers the
// webhook with its new secret, the only answer that shows it.
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	var in herald.RotateSecretInput
	if err := s.decodeOptional(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	secret, grace, err := in.Resolve()
	if err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now()
	wh, err := s.cfg.Store.RotateWebhookSecret(r.Context(), herald.RotateSecretParams{
		Ref: webhookRef(r), Secret: secret, Grace: grace, Now: now,
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh.ShowSecrets(now, true)
	writeJSON(w, http.StatusOK, wh)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in herald.WebhookInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := herald.ActiveAlias(in.IsActive, in.Enabled); err != nil {
		s.error(w, r, err)
		return
	}
	wh, err := s.cfg.Store.Webhook(r.Context(), webhookRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := keepOwner(r, in.TenantID, wh.TenantID); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Secret != nil && *in.Secret == "" {
		s.error(w, r, herald.Errorf(herald.EINVALID, "secret: cannot be empty; omit it to keep the current one"))
		return
	}
	wasActive := wh.IsActive
	in.Apply(wh)
	if err := s.validateWebhook(wh, in.AllTenants); err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now().UTC()
	on := wh.IsActive
	wh.IsActive = wasActive
	event := wh.SetActive(on, now)
	if err := s.cfg.Store.UpdateWebhook(r.Context(), wh); err != nil {
		s.error(w, r, err)
		return
	}
	if event != nil {
		if _, err := s.cfg.Store.PublishEvent(r.Context(), *event); err != nil {
			s.cfg.Logger.Warn("publish webhook event", "type", event.Type, "webhook_id", wh.ID, "error", err)
		}
	}
	wh.ShowSecrets(now, false)
	writeJSON(w, http.StatusOK, wh)
}

// webhookHealth answers the webhook's success rates, latency and failing
// streak, with when the streak would turn it off.
func (s *Server) webhookHealth(w http.ResponseWriter, r *http.Request) {
	h, err := s.cfg.Store.WebhookHealth(r.Context(), herald.HealthParams{Ref: webhookRef(r), Now: s.cfg.Clock.Now()})
	if err != nil {
		s.error(w, r, err)
		return
	}
	h.SetDisableAt(s.cfg.DisableAfter)
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.DeleteWebhook(r.Context(), webhookRef(r)); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testWebhook sends a webhook.test event, of the webhook's tenant, to one
// webhook and waits for its first attempt, which stays in the history
// like any other. The body may be empty or {"event_type": "..."}: then the
// event is of that type, with the catalogue's example as its data ({} when
// the type has none); a type not in the catalogue is a 400.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		EventType string `json:"event_type"`
	}
	if err := s.decodeOptional(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	wh, err := s.cfg.Store.Webhook(r.Context(), webhookRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now()
	typ := "webhook.test"
	data, _ := json.Marshal(map[string]any{
		"webhook_id": wh.ID,
		"message":    "This is a test event from Herald.",
	})
	if in.EventType != "" {
		example, err := s.exampleData(r, in.EventType)
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			err = herald.Errorf(herald.EINVALID, "event_type: %q is not in the event catalogue", in.EventType)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		typ, data = in.EventType, example
		if data == nil {
			data = []byte("{}")
		}
	}
	res, err := s.cfg.Store.PublishEvent(r.Context(), herald.PublishParams{
		TenantID: string(wh.TenantID), Type: typ, Data: data, WebhookID: wh.ID, Now: now,
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.cfg.Metrics.EventsAccepted.Inc()
	did := res.Deliveries[0].ID
	wait := time.Duration(wh.TimeoutSeconds)*time.Second + s.cfg.TestWait
	d, err := delivery.WaitFirstAttempt(r.Context(), s.cfg.Store, herald.Ref{Tenancy: tenancyOf(r), ID: did}, wait)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := herald.WebhookTestResult{DeliveryID: did}
	if len(d.AttemptList) == 0 {
		out.Error = "no attempt was made in time; the delivery stays queued"
		writeJSON(w, http.StatusAccepted, out)
		return
	}
	a := d.AttemptList[0]
	out.Success, out.StatusCode, out.DurationMS, out.Error = a.Success, a.StatusCode, a.DurationMS, a.Error
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	skip, limit, err := page(r, "event", "success", "status", "since", "until")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := herald.DeliveryFilter{Tenancy: tenancyOf(r), WebhookID: id, Event: r.URL.Query().Get("event"), Skip: skip, Limit: limit}
	if f.Success, err = queryBool(r, "success"); err != nil {
		s.error(w, r, err)
		return
	}
	switch f.Status = r.URL.Query().Get("status"); f.Status {
	case "", herald.DeliveryPending, herald.DeliverySuccess, herald.DeliveryFailed:
	default:
		s.error(w, r, herald.Errorf(herald.EINVALID, "status: must be %s, %s or %s, got %q",
			herald.DeliveryPending, herald.DeliverySuccess, herald.DeliveryFailed, f.Status))
		return
	}
	now := s.cfg.Clock.Now()
	if f.Since, err = queryTime(r, "since", now); err == nil {
		f.Until, err = queryTime(r, "until", now)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.cfg.Store.Webhook(r.Context(), webhookRef(r)); err != nil {
		s.error(w, r, err)
		return
	}
	ds, total, err := s.cfg.Store.ListDeliveries(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*herald.Delivery]{Items: ds, Total: total, Skip: skip, Limit: limit})
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Store.Delivery(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("delivery_id")})
	if err == nil && d.WebhookID != r.PathValue("id") {
		err = herald.Errorf(herald.ENOTFOUND, "delivery %q of webhook %q not found", r.PathValue("delivery_id"), r.PathValue("id"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Store.RetryDelivery(r.Context(), herald.RetryParams{
		Tenancy: tenancyOf(r), WebhookID: r.PathValue("id"), DeliveryID: r.PathValue("delivery_id"), Now: s.cfg.Clock.Now(),
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, d)
}
