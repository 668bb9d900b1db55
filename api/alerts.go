package api

import (
	"net/http"

	"github.com/heraldhq/herald"
)

// createAlert is POST /v1/alerts: a rule from herald.AlertInput over the
// defaults of herald.NewAlertDefaults; 201 with the stored rule.
func (s *Server) createAlert(w http.ResponseWriter, r *http.Request) {
	var in herald.AlertInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	owner, err := ownerOf(r, in.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rule := herald.NewAlertDefaults()
	rule.TenantID = herald.TenantID(owner)
	in.Apply(rule)
	if err := s.validateAlert(r, rule); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.cfg.Store.CreateAlert(r.Context(), rule); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rule)
}

// validateAlert checks a rule and that its webhook exists within the
// rule's tenant (herald.AlertRule.ValidateWith).
func (s *Server) validateAlert(r *http.Request, rule *herald.AlertRule) error {
	return rule.ValidateWith(r.Context(), s.cfg.Store)
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rules, total, err := s.cfg.Store.ListAlerts(r.Context(), herald.AlertFilter{Tenancy: tenancyOf(r), Skip: skip, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if rules == nil {
		rules = []*herald.AlertRule{}
	}
	writeJSON(w, http.StatusOK, list[*herald.AlertRule]{Items: rules, Total: total, Skip: skip, Limit: limit})
}

// alertRef names the alert rule of the path, within the request's
// tenancy.
func alertRef(r *http.Request) herald.Ref {
	return herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")}
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	rule, err := s.cfg.Store.Alert(r.Context(), alertRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

// updateAlert is PATCH /v1/alerts/{id}: the fields given replace the
// rule's, the others stay; its state is kept.
func (s *Server) updateAlert(w http.ResponseWriter, r *http.Request) {
	var in herald.AlertInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	rule, err := s.cfg.Store.Alert(r.Context(), alertRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := keepOwner(r, in.TenantID, rule.TenantID); err != nil {
		s.error(w, r, err)
		return
	}
	in.Apply(rule)
	if err := s.validateAlert(r, rule); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.cfg.Store.UpdateAlert(r.Context(), rule); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

func (s *Server) deleteAlert(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.DeleteAlert(r.Context(), alertRef(r)); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
