package ui

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// API key pages, for operators only: the keys at /ui/keys, with the
// Create form; a created key is shown once, on the page its creation
// leads to. An operator of a tenant key sees and makes that tenant's keys
// only, as the API confines them.

// keysPath is the page of the keys; the flash cookie of a created key is
// bound to it.
const keysPath = "/ui/keys"

// operatorOnly wraps a page handler for the operator's pages that no
// portal link grants: a portal visitor gets 403.
func (u *UI) operatorOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := sessionOf(r)
		if !s.operator() {
			u.fail(w, r, s, herald.Errorf(herald.EFORBIDDEN, "API keys are managed by operators only"))
			return
		}
		h(w, r)
	}
}

// keyForm is the Create form of an API key.
type keyForm struct {
	Name   string
	Scope  string
	Tenant string
	Errors map[string]string
}

// keysPage is the visitor's keys, the Create form and, once, a key just
// made.
type keysPage struct {
	Rows []*herald.APIKey
	Form *keyForm
	// Created is the key just made, with Key set, on the one load after
	// its creation.
	Created *herald.APIKey
	// Self is the id of the key of the session.
	Self string
}

// listKeys shows the keys; right after a creation, the key made.
func (u *UI) listKeys(w http.ResponseWriter, r *http.Request) {
	p := &keysPage{Form: &keyForm{Scope: herald.ScopeIngest, Errors: map[string]string{}}}
	s := sessionOf(r)
	shown, err := u.readFlash(w, r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	u.renderKeys(w, r, http.StatusOK, p, shown, "")
}

// renderKeys shows the page p with the visitor's keys; shown is a key just
// made, shown when it is one of them.
func (u *UI) renderKeys(w http.ResponseWriter, r *http.Request, status int, p *keysPage, shown, msg string) {
	s := sessionOf(r)
	keys, err := u.cfg.Store.ListAPIKeys(r.Context(), herald.APIKeyFilter{Tenancy: s.tenancy()})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p.Rows, p.Self = keys, s.KeyID
	if shown != "" {
		hash := herald.HashAPIKey(shown)
		for _, k := range keys {
			if k.Hash == hash && k.RevokedAt == nil {
				c := *k
				c.Key = shown
				p.Created = &c
			}
		}
	}
	v := newView(r, "API keys", p)
	v.Error = msg
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, status, "keys", v)
}

// keyFields are the form's fields, by the name validation messages start
// with.
var keyFields = map[string]string{"name": "name", "scope": "scope", "tenant_id": "tenant_id"}

// createKey makes a key from the form, of the platform or a tenant as the
// API's POST /v1/keys does, and shows it once.
func (u *UI) createKey(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	f := &keyForm{Name: strings.TrimSpace(r.PostFormValue("name")), Scope: r.PostFormValue("scope"), Errors: map[string]string{}}
	if f.Scope == "" {
		f.Scope = herald.ScopeIngest
	}
	owner := s.Tenant
	if owner == "" {
		f.Tenant = strings.TrimSpace(r.PostFormValue("tenant_id"))
		owner = f.Tenant
	}
	var err error
	if owner != "" {
		err = herald.ValidateTenantID("tenant_id", owner)
	}
	if err == nil {
		err = herald.ValidateAPIKeyInput(f.Name, f.Scope)
	}
	k := herald.NewAPIKey(f.Name, f.Scope, u.cfg.Clock.Now())
	k.TenantID = herald.TenantID(owner)
	if err == nil {
		err = u.cfg.Store.CreateAPIKey(r.Context(), k)
	}
	if err != nil {
		msg := formFieldError(f.Errors, keyFields, "The API key", err)
		u.renderKeys(w, r, statusOf(err), &keysPage{Form: f}, "", msg)
		return
	}
	if err := u.flashSecret(w, r, keysPath, k.Key); err != nil {
		u.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, keysPath, http.StatusSeeOther)
}

// revokeKey revokes the key of the path, within the visitor's tenancy,
// once its confirmation box is ticked.
func (u *UI) revokeKey(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	ref := herald.Ref{Tenancy: s.tenancy(), ID: r.PathValue("id")}
	if r.PostFormValue("confirm") != "yes" {
		redirectNotice(w, r, keysPath, "Tick the confirmation box to revoke the key.")
		return
	}
	if err := u.cfg.Store.RevokeAPIKey(r.Context(), ref); err != nil {
		u.fail(w, r, s, err)
		return
	}
	if u.cfg.KeysChanged != nil {
		u.cfg.KeysChanged()
	}
	redirectNotice(w, r, keysPath, "The key was revoked.")
}
