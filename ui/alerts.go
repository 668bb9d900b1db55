package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// Alert pages: the rules with their state at /ui/alerts, the Create form
// at /ui/alerts/new and each rule's Edit form, with Delete, at
// /ui/alerts/{id}/edit. Changing rules needs manage_webhooks on a portal
// link; an agent-confined portal reaches its agent's rules only.

// alertRow is a rule in the list: its condition and last value as text.
type alertRow struct {
	*herald.AlertRule
	Expr string
	Last string
}

// listAlerts shows a page of the visitor's alert rules, newest first.
func (u *UI) listAlerts(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	skip := pageSkip(r)
	rules, total, err := u.cfg.Store.ListAlerts(r.Context(), herald.AlertFilter{Tenancy: s.tenancy(), Skip: skip, Limit: pageSize})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	rows := []alertRow{}
	for _, rule := range rules {
		if s.Agent != "" && rule.AgentID != s.Agent {
			continue
		}
		row := alertRow{AlertRule: rule, Expr: rule.Metric, Last: "—"}
		if !herald.IsBuiltinMetric(rule.Metric) {
			row.Expr = rule.Agg + "(" + rule.Metric + ")"
		}
		row.Expr += " " + rule.Op + " " + strconv.FormatFloat(rule.Threshold, 'g', -1, 64)
		if rule.Value != nil {
			row.Last = strconv.FormatFloat(*rule.Value, 'g', 6, 64)
		}
		rows = append(rows, row)
	}
	v := newView(r, "Alerts", map[string]any{"Rows": rows, "Pager": newPager(r, skip, total)})
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "alerts", v)
}

// alertForm is the Create and Edit form of an alert rule.
type alertForm struct {
	ID          string
	Tenant      string
	Name        string
	Description string
	Metric      string
	Metrics     []string
	Agg         string
	Aggs        []string
	Op          string
	Ops         []string
	Threshold   string
	Window      string
	WebhookID   string
	AgentID     string
	AgentFixed  bool
	Active      bool
	Errors      map[string]string
}

// alertFormOf returns the form of rule.
func alertFormOf(r *http.Request, rule *herald.AlertRule) *alertForm {
	f := &alertForm{
		ID: rule.ID, Tenant: string(rule.TenantID), Name: rule.Name, Description: rule.Description, Metric: rule.Metric,
		Metrics: herald.BuiltinAlertMetrics, Agg: rule.Agg, Aggs: []string{"avg", "min", "max", "sum", "count"},
		Op: rule.Op, Ops: []string{">", ">=", "<", "<=", "==", "!="}, Threshold: strconv.FormatFloat(rule.Threshold, 'g', -1, 64),
		Window: rule.Window.String(), WebhookID: rule.WebhookID, AgentID: rule.AgentID, Active: rule.IsActive, Errors: map[string]string{},
	}
	if a := sessionOf(r).Agent; a != "" {
		f.AgentID, f.AgentFixed = a, true
	}
	return f
}

// alertFields are the form's fields, by the name validation messages
// start with.
var alertFields = map[string]string{
	"tenant_id": "tenant_id", "name": "name", "description": "description", "metric": "metric", "agg": "agg",
	"op": "op", "threshold": "threshold", "window": "window", "webhook_id": "webhook_id", "agent_id": "agent_id",
}

// readAlert reads the posted form into f and rule, recording the errors
// of fields it cannot parse.
func readAlert(r *http.Request, f *alertForm, rule *herald.AlertRule) {
	pf := r.PostForm
	get := func(dst *string, k string) {
		if pf.Has(k) {
			*dst = strings.TrimSpace(pf.Get(k))
		}
	}
	if f.ID == "" && sessionOf(r).operator() && sessionOf(r).Tenant == "" {
		get(&f.Tenant, "tenant_id")
	}
	get(&f.Name, "name")
	get(&f.Description, "description")
	get(&f.Metric, "metric")
	get(&f.Agg, "agg")
	get(&f.Op, "op")
	get(&f.Threshold, "threshold")
	get(&f.Window, "window")
	get(&f.WebhookID, "webhook_id")
	if !f.AgentFixed {
		get(&f.AgentID, "agent_id")
	}
	f.Active = pf.Get("active") == "on"
	rule.Name, rule.Description, rule.Metric, rule.Agg, rule.Op = f.Name, f.Description, f.Metric, f.Agg, f.Op
	rule.WebhookID, rule.AgentID, rule.IsActive = f.WebhookID, f.AgentID, f.Active
	if x, err := strconv.ParseFloat(f.Threshold, 64); err != nil {
		f.Errors["threshold"] = "enter a number, such as 5 or 0.25"
	} else {
		rule.Threshold = x
	}
	if d, err := time.ParseDuration(f.Window); err != nil {
		f.Errors["window"] = "enter a duration such as 5m or 1h"
	} else {
		rule.Window = herald.Duration(d)
	}
}

// newAlert shows the Create form with the defaults.
func (u *UI) newAlert(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "alert_form", newView(r, "Create alert rule", alertFormOf(r, herald.NewAlertDefaults())))
}

// alertFormError shows the form again with its errors: those of f's
// fields, or err filed under its field.
func (u *UI) alertFormError(w http.ResponseWriter, r *http.Request, title string, f *alertForm, err error) {
	v := newView(r, title, f)
	status := http.StatusUnprocessableEntity
	v.Error = "The alert rule was not saved: check the fields marked below."
	if err != nil && len(f.Errors) == 0 {
		v.Error, status = formFieldError(f.Errors, alertFields, "The alert rule", err), statusOf(err)
	}
	u.render(w, r, status, "alert_form", v)
}

// createAlert stores a rule from the form, checked as the API checks it.
func (u *UI) createAlert(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	rule := herald.NewAlertDefaults()
	f := alertFormOf(r, rule)
	readAlert(r, f, rule)
	rule.TenantID = herald.TenantID(s.Tenant)
	if s.Tenant == "" {
		rule.TenantID = herald.TenantID(f.Tenant)
	}
	var err error
	if len(f.Errors) == 0 {
		if rule.TenantID != "" {
			err = herald.ValidateTenantID("tenant_id", string(rule.TenantID))
		}
		if err == nil {
			err = rule.ValidateWith(r.Context(), u.cfg.Store)
		}
		if err == nil {
			err = u.cfg.Store.CreateAlert(r.Context(), rule)
		}
	}
	if err != nil || len(f.Errors) > 0 {
		u.alertFormError(w, r, "Create alert rule", f, err)
		return
	}
	redirectNotice(w, r, "/ui/alerts", "Alert rule "+rule.Name+" was created.")
}

// loadAlert reads the rule of the path within the visitor's reach.
func (u *UI) loadAlert(r *http.Request) (*herald.AlertRule, error) {
	s := sessionOf(r)
	rule, err := u.cfg.Store.Alert(r.Context(), herald.Ref{Tenancy: s.tenancy(), ID: r.PathValue("id")})
	if err == nil && s.Agent != "" && rule.AgentID != s.Agent {
		err = herald.Errorf(herald.ENOTFOUND, "alert rule %q not found", r.PathValue("id"))
	}
	return rule, err
}

// editAlert shows the Edit form, with Delete.
func (u *UI) editAlert(w http.ResponseWriter, r *http.Request) {
	rule, err := u.loadAlert(r)
	if err != nil {
		u.fail(w, r, sessionOf(r), err)
		return
	}
	v := newView(r, "Edit "+rule.Name, alertFormOf(r, rule))
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "alert_form", v)
}

// updateAlert saves the Edit form; the rule's state is kept.
func (u *UI) updateAlert(w http.ResponseWriter, r *http.Request) {
	rule, err := u.loadAlert(r)
	if err != nil {
		u.fail(w, r, sessionOf(r), err)
		return
	}
	f := alertFormOf(r, rule)
	readAlert(r, f, rule)
	if len(f.Errors) == 0 {
		if err = rule.ValidateWith(r.Context(), u.cfg.Store); err == nil {
			err = u.cfg.Store.UpdateAlert(r.Context(), rule)
		}
	}
	if err != nil || len(f.Errors) > 0 {
		u.alertFormError(w, r, "Edit "+rule.Name, f, err)
		return
	}
	redirectNotice(w, r, "/ui/alerts", "Alert rule "+rule.Name+" was saved.")
}

// deleteAlert deletes a rule once its confirmation box is ticked.
func (u *UI) deleteAlert(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	rule, err := u.loadAlert(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		redirectNotice(w, r, "/ui/alerts/"+rule.ID+"/edit", "Tick the confirmation box to delete this alert rule.")
		return
	}
	if err := u.cfg.Store.DeleteAlert(r.Context(), herald.Ref{Tenancy: s.tenancy(), ID: rule.ID}); err != nil {
		u.fail(w, r, s, err)
		return
	}
	redirectNotice(w, r, "/ui/alerts", "Alert rule "+rule.Name+" was deleted.")
}
