package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// pageSize is how many rows a list page shows.
const pageSize = 25

// webhookRow is a webhook in the list, with its last 24 hours.
type webhookRow struct {
	*herald.Webhook
	// Count is the deliveries created in the last 24h.
	Count int
	// Rate is the percentage of those finished that succeeded, "" when
	// none finished.
	Rate string
}

// listWebhooks shows the visitor's webhooks, a page at a time.
func (u *UI) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	skip := pageSkip(r)
	hooks, total, err := u.cfg.Store.ListWebhooks(r.Context(), herald.WebhookFilter{Tenancy: s.tenancy(), AgentID: s.Agent, Skip: skip, Limit: pageSize})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	since := u.cfg.Clock.Now().Add(-24 * time.Hour)
	rows := make([]webhookRow, 0, len(hooks))
	for _, h := range hooks {
		h.Secret = ""
		row := webhookRow{Webhook: h}
		counts := map[string]int{}
		for _, status := range []string{"", herald.DeliverySuccess, herald.DeliveryFailed} {
			_, n, err := u.cfg.Store.ListDeliveries(r.Context(), herald.DeliveryFilter{
				Tenancy: s.tenancy(), WebhookID: h.ID, Status: status, Since: since, Limit: 1,
			})
			if err != nil {
				u.fail(w, r, s, err)
				return
			}
			counts[status] = n
		}
		row.Count = counts[""]
		if done := counts[herald.DeliverySuccess] + counts[herald.DeliveryFailed]; done > 0 {
			row.Rate = fmt.Sprintf("%d%%", counts[herald.DeliverySuccess]*100/done)
		}
		rows = append(rows, row)
	}
	v := newView(r, "Webhooks", map[string]any{"Rows": rows, "Pager": newPager(r, skip, total), "Back": r.URL.RequestURI()})
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "webhooks", v)
}

// pageSkip is the ?skip= of a list, 0 when absent or bad.
func pageSkip(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("skip"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// pager links a list's previous and next pages.
type pager struct {
	From, To, Total int
	Prev, Next      string
}

// newPager returns the pager of a page starting at skip.
func newPager(r *http.Request, skip, total int) pager {
	p := pager{From: skip + 1, To: min(skip+pageSize, total), Total: total}
	if total == 0 {
		p.From = 0
	}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("skip", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if skip > 0 {
		p.Prev = link(max(skip-pageSize, 0))
	}
	if skip+pageSize < total {
		p.Next = link(skip + pageSize)
	}
	return p
}

// webhookForm is the Create Webhook and Edit form: the values shown and
// the error of each field.
type webhookForm struct {
	ID              string
	Tenant          string
	Name            string
	URL             string
	Events          string
	Picked          map[string]bool
	EventTypes      []string
	Description     string
	Active          bool
	Headers         string
	VerifySSL       bool
	Timeout         string
	MaxRetries      string
	SignatureHeader string
	SignatureFormat string
	Formats         []string
	RetrySchedule   string
	RateLimit       string
	Ordering        string
	Orderings       []string
	AgentID         string
	// AgentFixed is set when the portal confines the visitor to one agent.
	AgentFixed bool
	Errors     map[string]string
}

// formOf returns the form of wh.
func (u *UI) formOf(r *http.Request, wh *herald.Webhook) *webhookForm {
	s := sessionOf(r)
	f := &webhookForm{
		ID: wh.ID, Tenant: string(wh.TenantID), Name: wh.Name, URL: wh.URL, Description: wh.Description, Active: wh.IsActive,
		VerifySSL: wh.VerifySSL, Timeout: strconv.Itoa(wh.TimeoutSeconds), MaxRetries: strconv.Itoa(wh.MaxRetries),
		SignatureHeader: wh.SignatureHeader, SignatureFormat: wh.SignatureFormat, AgentID: wh.AgentID,
		Formats:   []string{herald.SignatureSHA256Hex, herald.SignatureHex, herald.SignatureBase64},
		Ordering:  herald.OrderingOrNone(wh.Ordering),
		Orderings: []string{herald.OrderingNone, herald.OrderingFIFO, herald.OrderingKey},
		Picked:    map[string]bool{}, Errors: map[string]string{},
	}
	if s.Agent != "" {
		f.AgentID, f.AgentFixed = s.Agent, true
	}
	f.EventTypes = u.eventTypes(r)
	var typed []string
	for _, e := range wh.Events {
		if slices.Contains(f.EventTypes, e) {
			f.Picked[e] = true
		} else {
			typed = append(typed, e)
		}
	}
	f.Events = strings.Join(typed, ", ")
	var hs []string
	for k, val := range wh.Headers {
		hs = append(hs, k+": "+val)
	}
	sort.Strings(hs)
	f.Headers = strings.Join(hs, "\n")
	var rs []string
	for _, d := range wh.RetrySchedule {
		rs = append(rs, herald.FormatDuration(d))
	}
	f.RetrySchedule = strings.Join(rs, ",")
	f.RateLimit = herald.FormatRateLimit(wh.RateLimit)
	return f
}

// eventTypes are the types the picker offers: a portal link's event_types
// when it has them, else the event catalogue and the types of recent
// events.
func (u *UI) eventTypes(r *http.Request) []string {
	s := sessionOf(r)
	if len(s.EventTypes) > 0 {
		return s.EventTypes
	}
	var types []string
	if catalogue, err := u.cfg.Store.ListEventTypes(r.Context(), herald.EventTypeFilter{}); err == nil {
		for _, et := range catalogue {
			types = append(types, et.Name)
		}
	}
	evs, _, err := u.cfg.Store.ListEvents(r.Context(), herald.EventFilter{Tenancy: s.tenancy(), Limit: 100})
	if err == nil {
		for _, e := range evs {
			if !slices.Contains(types, e.Type) {
				types = append(types, e.Type)
			}
		}
	}
	sort.Strings(types)
	return types
}

// newWebhook shows the Create Webhook form with the defaults.
func (u *UI) newWebhook(w http.ResponseWriter, r *http.Request) {
	f := u.formOf(r, herald.NewWebhookDefaults())
	u.render(w, r, http.StatusOK, "webhook_form", newView(r, "Create Webhook", f))
}

// readForm reads the posted form into f and wh (which holds the defaults
// or the stored webhook), recording the errors of fields it cannot parse.
func (u *UI) readForm(r *http.Request, f *webhookForm, wh *herald.Webhook) {
	pf := r.PostForm
	// A field the form does not send keeps the value the form shows: the
	// default or the stored one. An empty signature header or format
	// takes the default.
	get := func(dst *string, k string) {
		if pf.Has(k) {
			*dst = strings.TrimSpace(pf.Get(k))
		}
	}
	get(&f.Name, "name")
	get(&f.URL, "url")
	get(&f.Description, "description")
	get(&f.Events, "events")
	get(&f.Timeout, "timeout_seconds")
	get(&f.MaxRetries, "max_retries")
	get(&f.SignatureHeader, "signature_header")
	get(&f.SignatureFormat, "signature_format")
	get(&f.RetrySchedule, "retry_schedule")
	get(&f.RateLimit, "rate_limit")
	get(&f.Ordering, "ordering")
	if pf.Has("headers") {
		f.Headers = pf.Get("headers")
	}
	if f.SignatureHeader == "" {
		f.SignatureHeader = herald.DefaultSignatureHeader
	}
	if f.SignatureFormat == "" {
		f.SignatureFormat = herald.SignatureSHA256Hex
	}
	f.Active, f.VerifySSL = pf.Get("active") == "on", pf.Get("verify_ssl") == "on"
	if !f.AgentFixed {
		get(&f.AgentID, "agent_id")
	}
	if sessionOf(r).operator() && wh.ID == "" {
		get(&f.Tenant, "tenant_id")
	}
	f.Picked = map[string]bool{}
	var events []string
	for _, e := range pf["event_type"] {
		f.Picked[e] = true
		events = append(events, e)
	}
	for _, e := range strings.FieldsFunc(f.Events, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' }) {
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	wh.Name, wh.URL, wh.Description, wh.Events, wh.IsActive, wh.VerifySSL = f.Name, f.URL, f.Description, events, f.Active, f.VerifySSL
	wh.SignatureHeader, wh.SignatureFormat, wh.AgentID = f.SignatureHeader, f.SignatureFormat, f.AgentID
	wh.Ordering = f.Ordering
	headers := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(f.Headers, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, val, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" {
			f.Errors["headers"] = fmt.Sprintf("line %d: write each header as Name: value", i+1)
			continue
		}
		headers[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	wh.Headers = headers
	if n, err := strconv.Atoi(f.Timeout); err != nil {
		f.Errors["timeout_seconds"] = fmt.Sprintf("enter a whole number of seconds from 1 to %d", herald.MaxTimeoutSeconds)
	} else {
		wh.TimeoutSeconds = n
	}
	if n, err := strconv.Atoi(f.MaxRetries); err != nil {
		f.Errors["max_retries"] = fmt.Sprintf("enter a whole number from 0 to %d", herald.MaxMaxRetries)
	} else {
		wh.MaxRetries = n
	}
	if ds, err := herald.ParseDurations(f.RetrySchedule); err != nil {
		f.Errors["retry_schedule"] = err.Error()
	} else {
		wh.RetrySchedule = ds
	}
	if rl, err := herald.ParseRateLimit(f.RateLimit); err != nil {
		f.Errors["rate_limit"] = "enter requests/duration such as 20/1s, or leave it empty for no limit"
	} else {
		wh.RateLimit = rl
	}
}

// fieldError files a validation error under the field its message names,
// or returns it as the page's error when it names none of the form's.
func fieldError(f *webhookForm, err error) string {
	msg := herald.ErrorMessage(err)
	if herald.ErrorCode(err) == herald.EINVALID {
		if field, rest, ok := strings.Cut(msg, ": "); ok {
			if strings.HasPrefix(field, "rate_limit.") {
				f.Errors["rate_limit"] = strings.TrimPrefix(field, "rate_limit.") + ": " + rest
				return "The webhook was not saved: check the fields marked below."
			}
			switch field {
			case "name", "url", "events", "description", "headers", "timeout_seconds", "max_retries",
				"signature_header", "signature_format", "retry_schedule", "agent_id", "tenant_id", "ordering":
				f.Errors[field] = rest
				return "The webhook was not saved: check the fields marked below."
			}
		}
	}
	return msg
}

// createWebhook stores a webhook from the form and shows its secret once.
func (u *UI) createWebhook(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh := herald.NewWebhookDefaults()
	f := u.formOf(r, wh)
	u.readForm(r, f, wh)
	wh.TenantID = herald.TenantID(s.Tenant)
	if s.operator() && s.Tenant == "" {
		wh.TenantID = herald.TenantID(f.Tenant)
	}
	if s.Agent != "" {
		wh.AgentID = s.Agent
	}
	wh.Secret = herald.GenerateSecret()
	if !wh.IsActive {
		now := u.cfg.Clock.Now().UTC()
		wh.DisabledReason, wh.DisabledAt = herald.DisabledManual, &now
	}
	if len(f.Errors) > 0 {
		v := newView(r, "Create Webhook", f)
		v.Error = "The webhook was not saved: check the fields marked below."
		u.render(w, r, http.StatusUnprocessableEntity, "webhook_form", v)
		return
	}
	err := wh.Validate(u.cfg.URLPolicy)
	if err == nil && wh.TenantID != "" {
		err = herald.ValidateTenantID("tenant_id", string(wh.TenantID))
	}
	if err == nil {
		err = u.cfg.Store.CreateWebhook(r.Context(), wh)
	}
	if err != nil {
		v := newView(r, "Create Webhook", f)
		v.Error = fieldError(f, err)
		u.render(w, r, statusOf(err), "webhook_form", v)
		return
	}
	if err := u.flashSecret(w, r, "/ui/webhooks/"+wh.ID, wh.Secret); err != nil {
		u.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/ui/webhooks/"+wh.ID, http.StatusSeeOther)
}

// loadWebhook reads the webhook of the path within the visitor's reach:
// their tenancy, and their agent for a portal confined to one.
func (u *UI) loadWebhook(r *http.Request) (*herald.Webhook, error) {
	s := sessionOf(r)
	wh, err := u.cfg.Store.Webhook(r.Context(), herald.Ref{Tenancy: s.tenancy(), ID: r.PathValue("id")})
	if err == nil && s.Agent != "" && wh.AgentID != s.Agent {
		err = herald.Errorf(herald.ENOTFOUND, "webhook %q not found", r.PathValue("id"))
	}
	return wh, err
}

// webhookPage is one webhook with its secret when just created.
type webhookPage struct {
	Webhook *herald.Webhook
	Headers []string
	// Secret is set on the one load after creation.
	Secret string
	// SecretHidden is set when the secret was created but the portal may
	// not see it.
	SecretHidden bool
	Test         *herald.WebhookTestResult
	// Chart and Health are the webhook's figures.
	Chart  *deliveryChart
	Health *healthView
}

// showWebhook shows one webhook; right after its creation, its secret.
func (u *UI) showWebhook(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p := &webhookPage{Webhook: wh}
	for k, val := range wh.Headers {
		p.Headers = append(p.Headers, k+": "+val)
	}
	sort.Strings(p.Headers)
	if p.Secret, p.SecretHidden, err = u.takeFlash(w, r, wh.Secret); err != nil {
		u.fail(w, r, s, err)
		return
	}
	wh.Secret = ""
	if err := u.addFigures(r, p); err != nil {
		u.fail(w, r, s, err)
		return
	}
	v := newView(r, wh.Name, p)
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "webhook", v)
}

// editWebhook shows the Edit form.
func (u *UI) editWebhook(w http.ResponseWriter, r *http.Request) {
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, sessionOf(r), err)
		return
	}
	u.render(w, r, http.StatusOK, "webhook_form", newView(r, "Edit "+wh.Name, u.formOf(r, wh)))
}

// updateWebhook saves the Edit form.
func (u *UI) updateWebhook(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	f := u.formOf(r, wh)
	wasActive := wh.IsActive
	u.readForm(r, f, wh)
	if s.Agent != "" {
		wh.AgentID = s.Agent
	}
	if len(f.Errors) == 0 {
		on := wh.IsActive
		wh.IsActive = wasActive
		event := wh.SetActive(on, u.cfg.Clock.Now().UTC())
		if err = wh.Validate(u.cfg.URLPolicy); err == nil {
			err = u.save(r.Context(), wh, event)
		}
	}
	if len(f.Errors) > 0 || err != nil {
		v := newView(r, "Edit "+wh.Name, f)
		v.Error = "The webhook was not saved: check the fields marked below."
		status := http.StatusUnprocessableEntity
		if err != nil {
			v.Error, status = fieldError(f, err), statusOf(err)
		}
		u.render(w, r, status, "webhook_form", v)
		return
	}
	redirectNotice(w, r, "/ui/webhooks/"+wh.ID, "Saved.")
}

// save stores a changed webhook, then publishes event, the operational
// event of turning it on or off by hand (nil: none), as the API does.
func (u *UI) save(ctx context.Context, wh *herald.Webhook, event *herald.PublishParams) error {
	if err := u.cfg.Store.UpdateWebhook(ctx, wh); err != nil {
		return err
	}
	if event != nil {
		if _, err := u.cfg.Store.PublishEvent(ctx, *event); err != nil {
			u.cfg.Logger.Warn("publish webhook event", "type", event.Type, "webhook_id", wh.ID, "error", err)
		}
	}
	return nil
}

// redirectNotice sends the visitor to path showing notice.
func redirectNotice(w http.ResponseWriter, r *http.Request, path, notice string) {
	http.Redirect(w, r, path+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

// setActive enables or disables the webhook of the path. The list's
// toggles post it with htmx, which swaps in the row of the page it
// answers; without JavaScript the page itself is shown.
func (u *UI) setActive(w http.ResponseWriter, r *http.Request, on bool) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err == nil {
		err = u.save(r.Context(), wh, wh.SetActive(on, u.cfg.Clock.Now().UTC()))
	}
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	word := "disabled"
	if on {
		word = "enabled"
	}
	// Back to the page of the list the toggle was on, whose row htmx
	// swaps in; only a path of the list itself is followed.
	back := r.PostFormValue("back")
	if u, err := url.Parse(back); err != nil || u.Path != "/ui/webhooks" || u.Host != "" || u.Scheme != "" {
		back = "/ui/webhooks"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"notice="+url.QueryEscape(fmt.Sprintf("%s is %s.", wh.Name, word)), http.StatusSeeOther)
}

// enableWebhook turns a webhook on.
func (u *UI) enableWebhook(w http.ResponseWriter, r *http.Request) { u.setActive(w, r, true) }

// disableWebhook turns a webhook off.
func (u *UI) disableWebhook(w http.ResponseWriter, r *http.Request) { u.setActive(w, r, false) }

// deleteWebhook deletes a webhook once its confirmation box is ticked.
func (u *UI) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		redirectNotice(w, r, "/ui/webhooks/"+wh.ID, "Tick the confirmation box to delete this webhook.")
		return
	}
	if err := u.cfg.Store.DeleteWebhook(r.Context(), herald.Ref{Tenancy: s.tenancy(), ID: wh.ID}); err != nil {
		u.fail(w, r, s, err)
		return
	}
	redirectNotice(w, r, "/ui/webhooks", wh.Name+" was deleted.")
}
