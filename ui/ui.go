// Package ui is Herald's web UI: server-rendered pages (html/template) for
// the operator, who signs in with an admin API key, and for the portal, a
// tenant's view opened with a signed link that carries its capabilities.
// Every asset is embedded; the only script besides the page's own small
// one is htmx, vendored in static/ (see docs/dashboard.md).
//
// The pages call the store as the API does, confined by the same
// herald.Tenancy; nothing is fetched over HTTP from Herald itself.
package ui

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

//go:embed static
var staticFS embed.FS

// DefaultSessionTTL is how long an operator's session lasts: 12h.
const DefaultSessionTTL = 12 * time.Hour

// DefaultFrameAncestors is the CSP frame-ancestors of every page: 'self'.
const DefaultFrameAncestors = "'self'"

// Cookie names.
const (
	sessionCookie = "herald_session"
	loginCookie   = "herald_login"
	flashCookie   = "herald_flash"
)

// maxFormBytes bounds a posted form: 1 MiB.
const maxFormBytes = 1 << 20

// Config holds what the UI needs.
type Config struct {
	// Store is where every page reads and writes; required.
	Store  herald.Store
	Logger *slog.Logger // default slog.Default()
	Clock  herald.Clock // default the system clock
	// URLPolicy decides which webhook URLs are accepted, as in the API.
	URLPolicy herald.URLPolicy
	// SessionTTL is how long an operator's session lasts. Default
	// DefaultSessionTTL (12h).
	SessionTTL time.Duration
	// FrameAncestors is the CSP frame-ancestors source list, which lets a
	// platform embed the portal in its own pages. Default
	// DefaultFrameAncestors ('self').
	FrameAncestors string
	// TestWait bounds how long Send test waits for the first attempt beyond
	// the webhook's timeout. Default 15s.
	TestWait time.Duration
	// PublicURL is the scheme and host visitors reach Herald at, such as
	// "https://herald.example.com" behind a TLS-terminating proxy. Portal
	// links start with it, and an https one makes every cookie Secure
	// (and the portal's cookie SameSite=None and Partitioned) even though
	// the requests reach Herald over plain HTTP. Default "": the scheme
	// and Host of each request.
	PublicURL string
	// KeysChanged, when set, is called after a page revokes an API key,
	// so that the API on this node forgets the keys it has looked up and
	// refuses the revoked one at once. Default nil.
	KeysChanged func()
	// OperationJob makes the job that runs an operation (recover, replay,
	// resend missing) from its id, as the API's; nil turns those forms off.
	OperationJob func(id string) herald.JobArgs
	// Retention is the server's --retention, which the Storage page
	// shows; 0 keeps everything. Default 0.
	Retention time.Duration
	// DisableAfter is the server's --disable-after, which a webhook's page
	// shows as when its failing streak would turn it off; 0 (the
	// default) is off.
	DisableAfter time.Duration
}

// UI serves the pages under /ui/.
type UI struct {
	cfg Config

	mu  sync.Mutex
	key []byte
}

// New returns the UI of cfg. The server key is read from (or first stored
// in) the database on the first request that needs it.
func New(cfg Config) *UI {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = herald.SystemClock{}
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.FrameAncestors == "" {
		cfg.FrameAncestors = DefaultFrameAncestors
	}
	if cfg.TestWait <= 0 {
		cfg.TestWait = 15 * time.Second
	}
	return &UI{cfg: cfg}
}

// signer returns the signer of the server key, loading the key once.
func (u *UI) signer(ctx context.Context) (signer, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.key == nil {
		key, err := u.cfg.Store.ServerKey(ctx, herald.ServerKeyParams{
			Name: herald.ServerKeyUI, New: []byte(randomString(herald.ServerKeyLen)), Now: u.cfg.Clock.Now(),
		})
		if err != nil {
			return signer{}, err
		}
		u.key = key
	}
	return signer{key: u.key}, nil
}

// Register adds the UI's routes to mux: the pages under /ui/ and the
// redirect of / to /ui/.
func (u *UI) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /ui/static/", u.headers(http.StripPrefix("/ui/static/", staticHandler(http.FileServerFS(static)))))
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))

	mux.Handle("GET /ui/login", u.headers(http.HandlerFunc(u.loginPage)))
	mux.Handle("POST /ui/login", u.headers(http.HandlerFunc(u.login)))
	mux.Handle("GET /ui/portal", u.headers(http.HandlerFunc(u.openPortal)))
	mux.Handle("POST /ui/logout", u.page(herald.CapabilityView, u.logout))

	mux.Handle("GET /ui/{$}", u.page(herald.CapabilityView, u.home))
	mux.Handle("GET /ui/webhooks", u.page(herald.CapabilityView, u.listWebhooks))
	mux.Handle("GET /ui/webhooks/new", u.page(herald.CapabilityManageWebhooks, u.newWebhook))
	mux.Handle("POST /ui/webhooks", u.page(herald.CapabilityManageWebhooks, u.createWebhook))
	mux.Handle("GET /ui/webhooks/{id}", u.page(herald.CapabilityView, u.showWebhook))
	mux.Handle("GET /ui/webhooks/{id}/edit", u.page(herald.CapabilityManageWebhooks, u.editWebhook))
	mux.Handle("POST /ui/webhooks/{id}", u.page(herald.CapabilityManageWebhooks, u.updateWebhook))
	mux.Handle("POST /ui/webhooks/{id}/enable", u.page(herald.CapabilityManageWebhooks, u.enableWebhook))
	mux.Handle("POST /ui/webhooks/{id}/disable", u.page(herald.CapabilityManageWebhooks, u.disableWebhook))
	mux.Handle("POST /ui/webhooks/{id}/delete", u.page(herald.CapabilityManageWebhooks, u.deleteWebhook))
	mux.Handle("POST /ui/webhooks/{id}/test", u.page(herald.CapabilityManageWebhooks, u.testWebhook))
	mux.Handle("POST /ui/webhooks/{id}/secret/rotate", u.page(herald.CapabilityManageWebhooks, u.rotateSecret))
	mux.Handle("POST /ui/webhooks/{id}/recover", u.page(herald.CapabilityRetry, u.recoverWebhook))
	mux.Handle("POST /ui/webhooks/{id}/replay-missing", u.page(herald.CapabilityRetry, u.replayMissing))
	mux.Handle("GET /ui/deliveries", u.page(herald.CapabilityView, u.listDeliveries))
	mux.Handle("GET /ui/webhooks/{id}/deliveries/{delivery_id}", u.page(herald.CapabilityView, u.showDelivery))
	mux.Handle("POST /ui/webhooks/{id}/deliveries/{delivery_id}/retry", u.page(herald.CapabilityRetry, u.retryDelivery))
	mux.Handle("GET /ui/events", u.page(herald.CapabilityView, u.listEvents))
	mux.Handle("GET /ui/events/{id}", u.page(herald.CapabilityView, u.showEvent))
	mux.Handle("POST /ui/events/{id}/replay", u.page(herald.CapabilityRetry, u.replayEvent))
	mux.Handle("GET /ui/agents", u.page(herald.CapabilityView, u.listAgents))
	mux.Handle("GET /ui/agents/{id}", u.page(herald.CapabilityView, u.showAgent))
	mux.Handle("GET /ui/tenants", u.page(capPlatform, u.listTenants))
	mux.Handle("GET /ui/storage", u.page(capPlatform, u.showStorage))
	mux.Handle("POST /ui/tenants/{id}/portal", u.page(capPlatform, u.mintPortal))
	mux.Handle("GET /ui/inbound", u.page(herald.CapabilityView, u.listInbound))
	mux.Handle("GET /ui/inbound/new", u.page(herald.CapabilityManageInbound, u.newInbound))
	mux.Handle("POST /ui/inbound", u.page(herald.CapabilityManageInbound, u.createInbound))
	mux.Handle("GET /ui/inbound/w/{name}", u.page(herald.CapabilityView, u.showInbound))
	mux.Handle("GET /ui/inbound/w/{name}/edit", u.page(herald.CapabilityManageInbound, u.editInbound))
	mux.Handle("POST /ui/inbound/w/{name}", u.page(herald.CapabilityManageInbound, u.updateInbound))
	mux.Handle("POST /ui/inbound/w/{name}/delete", u.page(herald.CapabilityManageInbound, u.deleteInbound))
	mux.Handle("GET /ui/alerts", u.page(herald.CapabilityView, u.listAlerts))
	mux.Handle("GET /ui/alerts/new", u.page(herald.CapabilityManageWebhooks, u.newAlert))
	mux.Handle("POST /ui/alerts", u.page(herald.CapabilityManageWebhooks, u.createAlert))
	mux.Handle("GET /ui/alerts/{id}/edit", u.page(herald.CapabilityManageWebhooks, u.editAlert))
	mux.Handle("POST /ui/alerts/{id}", u.page(herald.CapabilityManageWebhooks, u.updateAlert))
	mux.Handle("POST /ui/alerts/{id}/delete", u.page(herald.CapabilityManageWebhooks, u.deleteAlert))
	mux.Handle("GET /ui/keys", u.page(herald.CapabilityView, u.operatorOnly(u.listKeys)))
	mux.Handle("POST /ui/keys", u.page(herald.CapabilityView, u.operatorOnly(u.createKey)))
	mux.Handle("POST /ui/keys/{id}/revoke", u.page(herald.CapabilityView, u.operatorOnly(u.revokeKey)))
	mux.Handle("/ui/", u.page(herald.CapabilityView, u.notFound))
}

// staticHandler marks the embedded assets cacheable for an hour.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// headers sets the security headers of every UI response.
func (u *UI) headers(h http.Handler) http.Handler {
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors " + u.cfg.FrameAncestors
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if !isStatic(r) {
			hd.Set("Cache-Control", "no-store")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		h.ServeHTTP(w, r)
	})
}

// isStatic reports whether r asks for an embedded asset.
func isStatic(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/ui/static/")
}

// session is the signed-in visitor of a request.
type session struct {
	*claims
	// csrf is the token every form of the session carries.
	csrf string
}

// operator reports whether the visitor signed in with an admin key.
func (s *session) operator() bool { return s.Kind == kindOperator }

// can reports whether the visitor has capability c: an operator has all,
// but capPlatform only with a platform key.
func (s *session) can(c string) bool {
	if c == capPlatform {
		return s.operator() && s.Tenant == ""
	}
	return s.operator() || slices.Contains(s.Caps, c)
}

// tenancy is what every store call of the visitor is confined to.
func (s *session) tenancy() herald.Tenancy {
	if s.Tenant != "" {
		return herald.OnlyTenant(s.Tenant)
	}
	return herald.AnyTenant()
}

// Session kinds.
const (
	kindOperator = "operator"
	kindPortal   = "portal"
)

type sessionKey struct{}

// sessionOf is the session of a request that page let through.
func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

// page wraps a page handler: the security headers, a valid session (else
// the sign-in page, or 401 for a request that is not a page load), the
// capability the route needs (403 without it), and for every POST the
// session's CSRF token (403 without it).
func (u *UI) page(capability string, h http.HandlerFunc) http.Handler {
	return u.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sg, err := u.signer(r.Context())
		if err != nil {
			u.fail(w, r, nil, err)
			return
		}
		sess, err := u.readSession(r, sg)
		if err != nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
				return
			}
			u.fail(w, r, nil, err)
			return
		}
		if !sess.can(capability) {
			u.fail(w, r, sess, herald.Errorf(herald.EFORBIDDEN, "this link does not grant %q", capability))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if !sg.checkCSRF(sess.Nonce, token) {
				u.fail(w, r, sess, herald.Errorf(herald.EFORBIDDEN, "the form's CSRF token is missing or invalid; reload the page and try again"))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	}))
}

// readSession verifies the session cookie of r; an operator's key must
// still be unrevoked.
func (u *UI) readSession(r *http.Request, sg signer) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "sign in first")
	}
	cl, err := sg.verify(purposeSession, c.Value, u.cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	if cl.Kind == kindOperator {
		if err := u.checkKey(r.Context(), cl); err != nil {
			return nil, err
		}
	}
	return &session{claims: cl, csrf: sg.csrf(cl.Nonce)}, nil
}

// checkKey refuses an operator session whose API key was revoked since.
func (u *UI) checkKey(ctx context.Context, cl *claims) error {
	t := herald.Platform()
	if cl.Tenant != "" {
		t = herald.OnlyTenant(cl.Tenant)
	}
	keys, err := u.cfg.Store.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: t})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == cl.KeyID && k.RevokedAt == nil {
			return nil
		}
	}
	return herald.Errorf(herald.EUNAUTHORIZED, "the API key of this session was revoked; sign in again")
}

// setSession writes the session cookie of cl. An operator's cookie is
// SameSite=Strict; a portal's, which a platform shows in an iframe of its
// own site, is SameSite=None and Partitioned behind TLS (browsers send no
// other cookie to a cross-site frame), Strict otherwise. It is Secure
// whenever the visitor reached Herald over TLS.
func (u *UI) setSession(w http.ResponseWriter, r *http.Request, sg signer, cl *claims) {
	c := &http.Cookie{
		Name: sessionCookie, Value: sg.sign(purposeSession, cl), Path: "/ui/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: u.secure(r), Expires: time.Unix(cl.Exp, 0),
	}
	if cl.Kind == kindPortal && u.secure(r) {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
}

// clearCookie removes the cookie name at path.
func (u *UI) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: u.secure(r)})
}

// secure reports whether the visitor of r reached Herald over TLS: the
// request came over TLS, or the public URL is https.
func (u *UI) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(u.cfg.PublicURL, "https://")
}

// BaseURL is the scheme and host that links to Herald start with: the
// public URL when one is set, else the scheme and Host of r.
func (u *UI) BaseURL(r *http.Request) string {
	if u.cfg.PublicURL != "" {
		return strings.TrimRight(u.cfg.PublicURL, "/")
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// withSession returns the context of r carrying s.
func withSession(r *http.Request, s *session) context.Context {
	return context.WithValue(r.Context(), sessionKey{}, s)
}
