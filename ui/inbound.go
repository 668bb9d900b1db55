package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/transform"
)

// Inbound webhook pages: the list at /ui/inbound, the Create form at
// /ui/inbound/new and each webhook at /ui/inbound/w/{name} (a name may be
// "new"). A tenant's webhook of a platform operator's list carries
// ?tenant=, since names are unique within a tenant only.

// inboundRow is an inbound webhook in the list, with the path of its page.
type inboundRow struct {
	*herald.InboundWebhook
	Path string
}

// inboundPath is the page of wh, with the query that names its tenant.
func inboundPath(wh *herald.InboundWebhook, suffix string) string {
	p := "/ui/inbound/w/" + url.PathEscape(wh.Name) + suffix
	if wh.TenantID != "" {
		p += "?tenant=" + url.QueryEscape(string(wh.TenantID))
	}
	return p
}

// listInbound shows the visitor's inbound webhooks (an agent-confined
// portal's: those of its agent).
func (u *UI) listInbound(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	hooks, err := u.cfg.Store.ListInboundWebhooks(r.Context(), herald.InboundWebhookFilter{Tenancy: s.tenancy()})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	rows := []inboundRow{}
	for _, h := range hooks {
		if s.Agent != "" && h.Agent != s.Agent {
			continue
		}
		h.Secret, h.BotToken = "", ""
		rows = append(rows, inboundRow{InboundWebhook: h, Path: inboundPath(h, "")})
	}
	v := newView(r, "Inbound webhooks", map[string]any{"Rows": rows})
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "inbound", v)
}

// inboundRef names the inbound webhook of the path within the visitor's
// reach: a platform operator's ?tenant= (the platform's own without it),
// else the visitor's tenant, which ?tenant= may only repeat.
func inboundRef(r *http.Request) (herald.Ref, error) {
	s := sessionOf(r)
	name, tenant := r.PathValue("name"), r.URL.Query().Get("tenant")
	missing := herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", name)
	if s.Tenant != "" {
		if tenant != "" && tenant != s.Tenant {
			return herald.Ref{}, missing
		}
		return herald.Ref{Tenancy: herald.OnlyTenant(s.Tenant), ID: name}, nil
	}
	if tenant != "" && herald.ValidateTenantID("tenant", tenant) != nil {
		return herald.Ref{}, missing
	}
	return herald.Ref{Tenancy: herald.OnlyTenant(tenant), ID: name}, nil
}

// loadInbound reads the inbound webhook of the path within the visitor's
// reach, with its secret (see inboundRef; an agent-confined portal reaches
// its agent's only).
func (u *UI) loadInbound(r *http.Request) (*herald.InboundWebhook, error) {
	ref, err := inboundRef(r)
	if err != nil {
		return nil, err
	}
	wh, err := u.cfg.Store.InboundWebhook(r.Context(), ref)
	if err == nil && sessionOf(r).Agent != "" && wh.Agent != sessionOf(r).Agent {
		err = herald.Errorf(herald.ENOTFOUND, "inbound webhook %q not found", ref.ID)
	}
	return wh, err
}

// inboundPage is one inbound webhook, its request log and its
// invocations.
type inboundPage struct {
	Webhook *herald.InboundWebhook
	// EditPath and DeletePath are the pages of its Edit form and Delete.
	EditPath   string
	DeletePath string
	// URL is where senders post.
	URL string
	// Secret is set on the one load after creation, for a visitor who may
	// see secrets; SecretHidden when it may not.
	Secret       string
	SecretHidden bool
	Context      []string
	Requests     []*herald.InboundRequest
	ReqPager     seqPager
	Invocations  []*herald.Invocation
	InvPager     pager
}

// seqPager links the newer and older pages of a list without a total.
type seqPager struct {
	From, To     int
	Newer, Older string
}

// pageLink is the URL of r with param set to n.
func pageLink(r *http.Request, param string, n int) string {
	q := r.URL.Query()
	q.Set(param, strconv.Itoa(n))
	return r.URL.Path + "?" + q.Encode()
}

// intParam is the query parameter name of r, 0 when absent or bad.
func intParam(r *http.Request, name string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// showInbound shows an inbound webhook, its request log (?req_skip=) and
// its invocations (?inv_skip=), newest first; right after its creation,
// its secret.
func (u *UI) showInbound(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadInbound(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p := &inboundPage{Webhook: wh, EditPath: inboundPath(wh, "/edit"), DeletePath: inboundPath(wh, "/delete")}
	p.URL = u.BaseURL(r) + "/api/webhooks/" + url.PathEscape(wh.Name)
	if wh.TenantID != "" {
		p.URL = u.BaseURL(r) + "/api/tenants/" + url.PathEscape(string(wh.TenantID)) + "/webhooks/" + url.PathEscape(wh.Name)
	}
	for k, q := range wh.Transform.ContextMapping {
		p.Context = append(p.Context, k+": "+q)
	}
	sort.Strings(p.Context)
	if p.Secret, p.SecretHidden, err = u.takeFlash(w, r, wh.Secret); err != nil {
		u.fail(w, r, s, err)
		return
	}
	wh.Secret, wh.BotToken = "", ""

	owner := herald.OnlyTenant(string(wh.TenantID))
	reqSkip := intParam(r, "req_skip")
	reqs, err := u.cfg.Store.ListInboundRequests(r.Context(), herald.InboundRequestFilter{Tenancy: owner, Webhook: wh.Name, Skip: reqSkip, Limit: pageSize + 1})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	if len(reqs) > pageSize {
		reqs, p.ReqPager.Older = reqs[:pageSize], pageLink(r, "req_skip", reqSkip+pageSize)
	}
	if reqSkip > 0 {
		p.ReqPager.Newer = pageLink(r, "req_skip", max(reqSkip-pageSize, 0))
	}
	p.Requests, p.ReqPager.From, p.ReqPager.To = reqs, reqSkip+1, reqSkip+len(reqs)

	invSkip := intParam(r, "inv_skip")
	invs, total, err := u.cfg.Store.ListInvocations(r.Context(), herald.InvocationFilter{Tenancy: owner,
		Sources: []string{"webhook:" + wh.Name, "trigger:" + wh.Name}, Skip: invSkip, Limit: pageSize})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p.Invocations = invs
	p.InvPager = pager{From: invSkip + 1, To: min(invSkip+pageSize, total), Total: total}
	if total == 0 {
		p.InvPager.From = 0
	}
	if invSkip > 0 {
		p.InvPager.Prev = pageLink(r, "inv_skip", max(invSkip-pageSize, 0))
	}
	if invSkip+pageSize < total {
		p.InvPager.Next = pageLink(r, "inv_skip", invSkip+pageSize)
	}
	v := newView(r, wh.Name, p)
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "inbound_webhook", v)
}

// inboundForm is the Create and Edit form of an inbound webhook: the
// values shown and the error of each field. Secrets are never shown back.
type inboundForm struct {
	// Edit is set for an existing webhook, whose Path the form posts to.
	Edit            bool
	Path            string
	Tenant          string
	Name            string
	Agent           string
	AgentFixed      bool
	Provider        string
	Providers       []string
	Description     string
	Active          bool
	ResponseMode    string
	Include         string
	Exclude         string
	Condition       string
	MessageTemplate string
	ContextMapping  string
	AllowedIPs      string
	RateRequests    string
	RatePer         string
	HasBotToken     bool
	// SecretHelp and BotTokenHelp say what leaving those empty does.
	SecretHelp   string
	BotTokenHelp string
	Errors       map[string]string
}

// inboundFormOf returns the form of wh.
func inboundFormOf(r *http.Request, wh *herald.InboundWebhook, edit bool) *inboundForm {
	s := sessionOf(r)
	f := &inboundForm{
		Edit: edit, Path: "/ui/inbound", Tenant: string(wh.TenantID), Name: wh.Name, Agent: wh.Agent, Provider: wh.Provider,
		Providers: herald.InboundProviders, Description: wh.Description, Active: wh.Enabled, ResponseMode: wh.ResponseMode,
		Include: strings.Join(wh.Filters.Include, ", "), Exclude: strings.Join(wh.Filters.Exclude, ", "),
		Condition: wh.Filters.Condition, MessageTemplate: wh.Transform.MessageTemplate,
		AllowedIPs: strings.Join(wh.AllowedIPs, ", "), HasBotToken: wh.BotToken != "", Errors: map[string]string{},
	}
	f.SecretHelp = "Leave empty to generate one (discord: required). "
	f.BotTokenHelp = "The Slack or Telegram token replies are sent with. "
	if edit {
		f.Path = inboundPath(wh, "")
		f.SecretHelp = "Leave empty to keep the current secret. "
	} else {
		f.Provider = ""
	}
	f.SecretHelp += "For discord the application's public key, for telegram the secret_token."
	if f.HasBotToken {
		f.BotTokenHelp += "One is set; leave empty to keep it."
	} else {
		f.BotTokenHelp += "None is set."
	}
	var cm []string
	for k, q := range wh.Transform.ContextMapping {
		cm = append(cm, k+": "+q)
	}
	sort.Strings(cm)
	f.ContextMapping = strings.Join(cm, "\n")
	if rl := wh.RateLimit; rl != nil {
		f.RateRequests, f.RatePer = strconv.Itoa(rl.Requests), rl.Per.String()
	}
	if s.Agent != "" {
		f.Agent, f.AgentFixed = s.Agent, true
	}
	return f
}

// splitList splits a comma- or line-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == '\n' || c == '\r' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readInbound reads the posted form into f and wh, recording the errors
// of fields it cannot parse. An empty secret or bot token keeps the
// stored one (on create: the default secret, no bot token).
func readInbound(r *http.Request, f *inboundForm, wh *herald.InboundWebhook) {
	pf := r.PostForm
	get := func(dst *string, k string) {
		if pf.Has(k) {
			*dst = strings.TrimSpace(pf.Get(k))
		}
	}
	if !f.Edit {
		get(&f.Name, "name")
		if sessionOf(r).operator() && sessionOf(r).Tenant == "" {
			get(&f.Tenant, "tenant_id")
		}
	}
	if !f.AgentFixed {
		get(&f.Agent, "agent")
	}
	get(&f.Provider, "provider")
	get(&f.Description, "description")
	get(&f.ResponseMode, "response_mode")
	get(&f.Include, "include")
	get(&f.Exclude, "exclude")
	get(&f.Condition, "condition")
	get(&f.ContextMapping, "context_mapping")
	get(&f.AllowedIPs, "allowed_ips")
	get(&f.RateRequests, "rate_limit_requests")
	get(&f.RatePer, "rate_limit_per")
	if pf.Has("message_template") {
		f.MessageTemplate = pf.Get("message_template")
	}
	f.Active = pf.Get("active") == "on"

	wh.Name, wh.Agent, wh.Description, wh.Enabled, wh.ResponseMode = f.Name, f.Agent, f.Description, f.Active, f.ResponseMode
	wh.Provider = f.Provider
	if wh.Provider == "" {
		wh.Provider = herald.DefaultInboundProvider(wh.Name)
	}
	if secret := strings.TrimSpace(pf.Get("secret")); secret != "" {
		wh.Secret = secret
	}
	if token := strings.TrimSpace(pf.Get("bot_token")); token != "" {
		wh.BotToken = token
	} else if pf.Get("clear_bot_token") == "on" {
		wh.BotToken = ""
	}
	wh.Filters = herald.Filters{Include: splitList(f.Include), Exclude: splitList(f.Exclude), Condition: f.Condition}
	wh.Transform = herald.Transform{MessageTemplate: f.MessageTemplate}
	for i, line := range strings.Split(strings.ReplaceAll(f.ContextMapping, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, q, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(q) == "" {
			f.Errors["context_mapping"] = "line " + strconv.Itoa(i+1) + ": write each entry as key: $.path"
			continue
		}
		if wh.Transform.ContextMapping == nil {
			wh.Transform.ContextMapping = map[string]string{}
		}
		wh.Transform.ContextMapping[strings.TrimSpace(k)] = strings.TrimSpace(q)
	}
	wh.AllowedIPs = splitList(f.AllowedIPs)
	wh.RateLimit = nil
	if f.RateRequests != "" || f.RatePer != "" {
		rl := &herald.RateLimit{}
		n, err := strconv.Atoi(f.RateRequests)
		if err != nil {
			f.Errors["rate_limit_requests"] = "enter a whole number of requests"
		}
		d, err := time.ParseDuration(f.RatePer)
		if err != nil {
			f.Errors["rate_limit_per"] = "enter a duration such as 1m or 1h"
		}
		rl.Requests, rl.Per = n, herald.Duration(d)
		wh.RateLimit = rl
	}
}

// inboundFields maps the field a validation message starts with (before
// any index or key) to the form's field.
var inboundFields = map[string]string{
	"tenant_id": "tenant_id", "name": "name", "agent": "agent", "secret": "secret", "description": "description",
	"provider": "provider", "response_mode": "response_mode", "allowed_ips": "allowed_ips", "bot_token": "bot_token",
	"rate_limit.requests": "rate_limit_requests", "rate_limit.per": "rate_limit_per",
	"transform.message_template": "message_template", "transform.context_mapping": "context_mapping",
	"filters.condition": "condition", "filters.include": "include", "filters.exclude": "exclude",
}

// formFieldError files a validation error under the field of fields its
// message names, returning the page's message: a pointer to the fields,
// or the error itself when it names none of them.
func formFieldError(errs map[string]string, fields map[string]string, what string, err error) string {
	msg := herald.ErrorMessage(err)
	if herald.ErrorCode(err) != herald.EINVALID {
		return msg
	}
	name, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return msg
	}
	key := name
	if i := strings.IndexAny(key, "["); i >= 0 {
		key = key[:i]
	}
	field, found := fields[key]
	for !found && strings.Contains(key, ".") {
		key = key[:strings.LastIndex(key, ".")]
		field, found = fields[key]
	}
	if !found {
		return msg
	}
	if key != name {
		rest = strings.TrimPrefix(name[len(key):], ".") + ": " + rest
	}
	errs[field] = rest
	return what + " was not saved: check the fields marked below."
}

// newInbound shows the Create form with the defaults.
func (u *UI) newInbound(w http.ResponseWriter, r *http.Request) {
	f := inboundFormOf(r, herald.NewInboundWebhook(), false)
	u.render(w, r, http.StatusOK, "inbound_form", newView(r, "Create inbound webhook", f))
}

// createInbound stores an inbound webhook from the form and shows its
// secret once.
func (u *UI) createInbound(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh := herald.NewInboundWebhook()
	f := inboundFormOf(r, wh, false)
	readInbound(r, f, wh)
	wh.TenantID = herald.TenantID(s.Tenant)
	if s.Tenant == "" {
		wh.TenantID = herald.TenantID(f.Tenant)
	}
	var err error
	if wh.TenantID != "" {
		err = herald.ValidateTenantID("tenant_id", string(wh.TenantID))
	}
	if err == nil && len(f.Errors) == 0 {
		if err = wh.SetDefaultSecret(); err == nil {
			err = transform.Check(wh)
		}
	}
	if err == nil && len(f.Errors) == 0 {
		now := u.cfg.Clock.Now().UTC()
		wh.CreatedAt, wh.UpdatedAt = now, now
		err = u.cfg.Store.CreateInboundWebhook(r.Context(), wh)
		if herald.ErrorCode(err) == herald.ECONFLICT {
			f.Errors["name"] = "an inbound webhook of this name exists already"
		}
	}
	if err != nil || len(f.Errors) > 0 {
		u.inboundFormError(w, r, "Create inbound webhook", f, err)
		return
	}
	if err := u.flashSecret(w, r, "/ui/inbound/w/"+url.PathEscape(wh.Name), wh.Secret); err != nil {
		u.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, inboundPath(wh, ""), http.StatusSeeOther)
}

// inboundFormError shows the form again with its errors: those of f's
// fields, or err filed under its field.
func (u *UI) inboundFormError(w http.ResponseWriter, r *http.Request, title string, f *inboundForm, err error) {
	v := newView(r, title, f)
	status := http.StatusUnprocessableEntity
	v.Error = "The inbound webhook was not saved: check the fields marked below."
	if err != nil && len(f.Errors) == 0 {
		v.Error, status = formFieldError(f.Errors, inboundFields, "The inbound webhook", err), statusOf(err)
	}
	u.render(w, r, status, "inbound_form", v)
}

// editInbound shows the Edit form.
func (u *UI) editInbound(w http.ResponseWriter, r *http.Request) {
	wh, err := u.loadInbound(r)
	if err != nil {
		u.fail(w, r, sessionOf(r), err)
		return
	}
	u.render(w, r, http.StatusOK, "inbound_form", newView(r, "Edit "+wh.Name, inboundFormOf(r, wh, true)))
}

// updateInbound saves the Edit form: every setting is the form's, the
// secret and bot token are kept unless given.
func (u *UI) updateInbound(w http.ResponseWriter, r *http.Request) {
	old, err := u.loadInbound(r)
	if err != nil {
		u.fail(w, r, sessionOf(r), err)
		return
	}
	wh := herald.NewInboundWebhook()
	wh.TenantID, wh.Name, wh.Secret, wh.BotToken = old.TenantID, old.Name, old.Secret, old.BotToken
	f := inboundFormOf(r, old, true)
	readInbound(r, f, wh)
	if len(f.Errors) == 0 {
		if err = transform.Check(wh); err == nil {
			wh.CreatedAt, wh.LastTriggeredAt, wh.UpdatedAt = old.CreatedAt, old.LastTriggeredAt, u.cfg.Clock.Now().UTC()
			err = u.cfg.Store.UpdateInboundWebhook(r.Context(), wh)
		}
	}
	if err != nil || len(f.Errors) > 0 {
		u.inboundFormError(w, r, "Edit "+old.Name, f, err)
		return
	}
	redirectNoticeQ(w, r, inboundPath(wh, ""), "Saved.")
}

// redirectNoticeQ sends the visitor to path, which may have a query,
// showing notice.
func redirectNoticeQ(w http.ResponseWriter, r *http.Request, path, notice string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

// deleteInbound deletes an inbound webhook and its log once its
// confirmation box is ticked.
func (u *UI) deleteInbound(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadInbound(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		redirectNoticeQ(w, r, inboundPath(wh, ""), "Tick the confirmation box to delete this inbound webhook.")
		return
	}
	if err := u.cfg.Store.DeleteInboundWebhook(r.Context(), herald.Ref{Tenancy: herald.OnlyTenant(string(wh.TenantID)), ID: wh.Name}); err != nil {
		u.fail(w, r, s, err)
		return
	}
	redirectNotice(w, r, "/ui/inbound", wh.Name+" was deleted.")
}
