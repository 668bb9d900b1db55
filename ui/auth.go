package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// loginTTL is how long the sign-in form stays valid.
const loginTTL = 30 * time.Minute

// loginPage shows the sign-in form. Its CSRF token is keyed by a nonce in
// a short-lived cookie of its own, since there is no session yet.
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	u.renderLogin(w, r, http.StatusOK, "")
}

// renderLogin shows the sign-in form with msg as its error.
func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	sg, err := u.signer(r.Context())
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	nonce := randomString(18)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: nonce, Path: "/ui/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: u.secure(r), MaxAge: int(loginTTL / time.Second)})
	u.render(w, r, status, "login", &view{Title: "Sign in", CSRF: sg.csrf("login:" + nonce), Error: msg})
}

// login signs an operator in with an admin API key.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	sg, err := u.signer(r.Context())
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sg.checkCSRF("login:"+c.Value, r.PostFormValue("csrf")) {
		u.fail(w, r, nil, herald.Errorf(herald.EFORBIDDEN, "the form's CSRF token is missing or invalid; reload the page and try again"))
		return
	}
	raw := strings.TrimSpace(r.PostFormValue("api_key"))
	if raw == "" {
		u.renderLogin(w, r, http.StatusUnprocessableEntity, "API key: enter an admin API key")
		return
	}
	key, err := u.cfg.Store.APIKeyByHash(r.Context(), herald.HashAPIKey(raw))
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		u.renderLogin(w, r, http.StatusUnauthorized, "API key: the key is invalid or revoked")
		return
	case err != nil:
		u.fail(w, r, nil, err)
		return
	case key.Scope != herald.ScopeAdmin:
		u.renderLogin(w, r, http.StatusForbidden, "API key: this key has scope "+key.Scope+"; signing in needs an admin key")
		return
	}
	u.clearCookie(w, r, loginCookie, "/ui/login")
	u.setSession(w, r, sg, &claims{
		Kind: kindOperator, KeyID: key.ID, Tenant: string(key.TenantID), Nonce: randomString(18),
		Exp: u.cfg.Clock.Now().Add(u.cfg.SessionTTL).Unix(),
	})
	http.Redirect(w, r, "/ui/webhooks", http.StatusSeeOther)
}

// logout ends the session.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	u.clearCookie(w, r, sessionCookie, "/ui/")
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// openPortal starts a portal session from the token of a portal link. The
// session lasts as long as the token.
func (u *UI) openPortal(w http.ResponseWriter, r *http.Request) {
	sg, err := u.signer(r.Context())
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	cl, err := sg.verify(purposePortal, r.URL.Query().Get("token"), u.cfg.Clock.Now())
	if err != nil {
		u.fail(w, r, nil, herald.Errorf(herald.EUNAUTHORIZED, "this portal link cannot be opened: %s; ask for a new one", herald.ErrorMessage(err)))
		return
	}
	if cl.Kind != kindPortal || cl.Tenant == "" {
		u.fail(w, r, nil, herald.Errorf(herald.EUNAUTHORIZED, "this portal link cannot be opened"))
		return
	}
	if _, err := u.cfg.Store.Tenant(r.Context(), cl.Tenant); err != nil {
		u.fail(w, r, nil, herald.Errorf(herald.EUNAUTHORIZED, "this portal link's tenant no longer exists"))
		return
	}
	cl.Nonce = randomString(18)
	u.setSession(w, r, sg, cl)
	// A page of Herald's own moves on to the webhooks, rather than a
	// redirect: a link opened from another site is a cross-site
	// navigation, whose redirects would not carry a SameSite=Strict
	// cookie.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(portalOpened))
}

// portalOpened is the page a portal link answers with once its session is
// set.
const portalOpened = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/ui/webhooks">
<title>Herald</title></head>
<body><p><a href="/ui/webhooks">Open the webhooks</a></p></body></html>
`

// PortalParams asks MintPortal for a link to one tenant's portal.
type PortalParams struct {
	// Tenant is the tenant the portal is confined to; it must exist.
	Tenant string
	// Input holds the link's options.
	Input herald.PortalInput
	// BaseURL is the scheme and host the link starts with, such as
	// "https://herald.example.com".
	BaseURL string
}

// MintPortal makes a signed portal link: POST /v1/tenants/{id}/portal.
func (u *UI) MintPortal(ctx context.Context, p PortalParams) (*herald.PortalLink, error) {
	caps, err := p.Input.Normalize()
	if err != nil {
		return nil, err
	}
	ttl, _ := p.Input.Lifetime()
	if _, err := u.cfg.Store.Tenant(ctx, p.Tenant); err != nil {
		return nil, err
	}
	sg, err := u.signer(ctx)
	if err != nil {
		return nil, err
	}
	exp := u.cfg.Clock.Now().Add(ttl).Truncate(time.Second)
	token := sg.sign(purposePortal, &claims{
		Kind: kindPortal, Tenant: p.Tenant, Caps: caps, Agent: p.Input.AgentID, EventTypes: p.Input.EventTypes, Exp: exp.Unix(),
	})
	return &herald.PortalLink{
		URL: strings.TrimRight(p.BaseURL, "/") + "/ui/portal?token=" + url.QueryEscape(token), Token: token, ExpiresAt: exp.UTC(),
	}, nil
}
