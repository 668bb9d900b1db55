package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/ui"
)

// stepClock is a clock a test moves forward.
type stepClock struct{ now atomic.Int64 }

// Now returns the clock's time.
func (c *stepClock) Now() time.Time { return time.Unix(0, c.now.Load()) }

// add moves the clock by d.
func (c *stepClock) add(d time.Duration) { c.now.Add(int64(d)) }

// operationJob stands for the delivery package's job: the UI's tests run
// no worker, so operations stay queued.
type operationJob struct {
	ID string `json:"operation_id"`
}

// Kind names the job.
func (operationJob) Kind() string { return "herald.operation" }

// env is a UI served on port 0 over a fresh SQLite store.
type env struct {
	t     testing.TB
	store *sqlite.DB
	ui    *ui.UI
	srv   *httptest.Server
	clock *stepClock
	key   string
}

func newEnv(t *testing.T) *env { return newEnvTB(t) }

// newEnvTB is newEnv for a test or a benchmark.
func newEnvTB(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &stepClock{}
	clock.now.Store(time.Now().UnixNano())
	u := ui.New(ui.Config{Store: db, Clock: clock, URLPolicy: herald.URLPolicy{AllowHTTP: true}, SessionTTL: time.Hour,
		OperationJob: func(id string) herald.JobArgs { return operationJob{ID: id} }})
	mux := http.NewServeMux()
	u.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	k := herald.NewAPIKey("admin", herald.ScopeAdmin, clock.Now())
	if err := db.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	for _, tn := range []string{"a", "b"} {
		if _, err := db.PutTenant(ctx, &herald.Tenant{ID: tn, Metadata: []byte("{}"), CreatedAt: clock.Now(), UpdatedAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, store: db, ui: u, srv: srv, clock: clock, key: k.Key}
}

// client is a browser-like client: a cookie jar, no redirects followed.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches path and returns the status, the body and the headers.
func (e *env) get(c *http.Client, path string) (int, string, http.Header) {
	e.t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// post posts form to path and returns the status and the body.
func (e *env) post(c *http.Client, path string, form url.Values) (int, string) {
	e.t.Helper()
	resp, err := c.PostForm(e.srv.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the page at path.
func (e *env) csrf(c *http.Client, path string) string {
	e.t.Helper()
	_, body, _ := e.get(c, path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no CSRF token on %s:\n%s", path, body)
	}
	return m[1]
}

// signIn signs c in with key.
func (e *env) signIn(c *http.Client, key string) (int, string) {
	e.t.Helper()
	return e.post(c, "/ui/login", url.Values{"csrf": {e.csrf(c, "/ui/login")}, "api_key": {key}})
}

// webhook stores a webhook of tenant for agent.
func (e *env) webhook(tenant, agent, name string) *herald.Webhook {
	e.t.Helper()
	wh := herald.NewWebhookDefaults()
	wh.TenantID, wh.AgentID, wh.Name, wh.URL, wh.Events, wh.Secret = herald.TenantID(tenant), agent, name, "http://127.0.0.1:9/"+name, []string{"agent.*"}, herald.GenerateSecret()
	if err := e.store.CreateWebhook(context.Background(), wh); err != nil {
		e.t.Fatal(err)
	}
	return wh
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	status, _, h := e.get(e.client(), "/ui/login")
	if status != http.StatusOK {
		t.Fatalf("GET /ui/login: %d", status)
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers = %v", h)
	}
	if status, _, h := e.get(e.client(), "/ui/static/htmx.min.js"); status != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Errorf("htmx: %d %s", status, h.Get("Content-Type"))
	}
}

func TestSignInSessionAndLogout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if status, _, h := e.get(c, "/ui/webhooks"); status != http.StatusSeeOther || h.Get("Location") != "/ui/login" {
		t.Fatalf("signed out: %d %s", status, h.Get("Location"))
	}
	if status, body := e.signIn(c, "hk_wrong"); status != http.StatusUnauthorized || !strings.Contains(body, "invalid or revoked") {
		t.Fatalf("a wrong key: %d\n%s", status, body)
	}
	if status, body := e.post(c, "/ui/login", url.Values{"api_key": {e.key}}); status != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Fatalf("sign-in without its CSRF token: %d\n%s", status, body)
	}
	if status, _ := e.signIn(c, e.key); status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", status)
	}
	u, _ := url.Parse(e.srv.URL + "/ui/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "herald_session" && ck.Value == "" {
			t.Fatal("empty session cookie")
		}
	}
	e.webhook("a", "", "hook-a")
	if status, body, _ := e.get(c, "/ui/webhooks"); status != http.StatusOK || !strings.Contains(body, "hook-a") {
		t.Fatalf("signed in: %d\n%s", status, body)
	}
	// A post without the session's CSRF token is refused.
	if status, _ := e.post(c, "/ui/logout", nil); status != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d", status)
	}
	// The session expires after SessionTTL.
	e.clock.add(time.Hour + time.Second)
	if status, _, _ := e.get(c, "/ui/webhooks"); status != http.StatusSeeOther {
		t.Fatalf("an expired session: %d", status)
	}
	e.clock.add(-time.Hour - time.Second)
	if status, _ := e.post(c, "/ui/logout", url.Values{"csrf": {e.csrf(c, "/ui/webhooks")}}); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if status, _, _ := e.get(c, "/ui/webhooks"); status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", status)
	}
}

func TestRevokedKeyEndsSession(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	e.signIn(c, e.key)
	keys, err := e.store.ListAPIKeys(context.Background(), herald.APIKeyFilter{Tenancy: herald.Platform()})
	if err != nil || len(keys) != 1 {
		t.Fatal(keys, err)
	}
	if err := e.store.RevokeAPIKey(context.Background(), herald.Ref{Tenancy: herald.Platform(), ID: keys[0].ID}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := e.get(c, "/ui/webhooks"); status != http.StatusSeeOther {
		t.Fatalf("a revoked key's session: %d", status)
	}
}

// portal opens a portal link of tenant with in, on a new client.
func (e *env) portal(tenant string, in herald.PortalInput) (*http.Client, int, string) {
	e.t.Helper()
	link, err := e.ui.MintPortal(context.Background(), ui.PortalParams{Tenant: tenant, Input: in, BaseURL: e.srv.URL})
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.client()
	resp, err := c.Get(link.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c, resp.StatusCode, string(b)
}

func TestPortalCapabilities(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.webhook("a", "bot-1", "a-bot-1"), e.webhook("a", "bot-2", "a-bot-2")
	bHook := e.webhook("b", "", "b-hook")

	// View only: the tenant's webhooks, no create, 403 on every change.
	c, status, body := e.portal("a", herald.PortalInput{})
	if status != http.StatusOK || !strings.Contains(body, `content="0;url=/ui/webhooks"`) {
		t.Fatalf("open portal: %d\n%s", status, body)
	}
	_, body, _ = e.get(c, "/ui/webhooks")
	if !strings.Contains(body, "a-bot-1") || !strings.Contains(body, "a-bot-2") || strings.Contains(body, "b-hook") || strings.Contains(body, "Create Webhook") {
		t.Fatalf("view-only portal of a:\n%s", body)
	}
	token := e.csrf(c, "/ui/webhooks")
	for _, path := range []string{"/ui/webhooks", "/ui/webhooks/" + a1.ID + "/disable", "/ui/webhooks/" + a1.ID + "/delete"} {
		if status, _ := e.post(c, path, url.Values{"csrf": {token}, "confirm": {"yes"}}); status != http.StatusForbidden {
			t.Errorf("view-only POST %s: %d, want 403", path, status)
		}
	}
	if status, _, _ := e.get(c, "/ui/webhooks/new"); status != http.StatusForbidden {
		t.Errorf("view-only GET /ui/webhooks/new: %d", status)
	}
	if status, _, _ := e.get(c, "/ui/webhooks/"+bHook.ID); status != http.StatusNotFound {
		t.Errorf("tenant b's webhook from a's portal: %d", status)
	}

	// manage_webhooks confined to bot-1: sees and changes bot-1's alone,
	// and what it creates is a's and bot-1's.
	c, _, _ = e.portal("a", herald.PortalInput{Capabilities: []string{herald.CapabilityManageWebhooks}, AgentID: "bot-1"})
	_, body, _ = e.get(c, "/ui/webhooks")
	if !strings.Contains(body, "a-bot-1") || strings.Contains(body, "a-bot-2") {
		t.Fatalf("bot-1's portal:\n%s", body)
	}
	token = e.csrf(c, "/ui/webhooks")
	if status, _ := e.post(c, "/ui/webhooks/"+a2.ID+"/disable", url.Values{"csrf": {token}}); status != http.StatusNotFound {
		t.Errorf("bot-1's portal disabling bot-2's webhook: %d", status)
	}
	status, body = e.post(c, "/ui/webhooks", url.Values{"csrf": {token}, "name": {"made"}, "url": {"http://127.0.0.1:9/made"},
		"events": {"agent.*"}, "timeout_seconds": {"30"}, "max_retries": {"3"}, "agent_id": {"bot-2"}, "tenant_id": {"b"}})
	if status != http.StatusSeeOther {
		t.Fatalf("create from the portal: %d\n%s", status, body)
	}
	hooks, _, _ := e.store.ListWebhooks(context.Background(), herald.WebhookFilter{Tenancy: herald.OnlyTenant("a"), AgentID: "bot-1", Limit: 10})
	if len(hooks) != 2 {
		t.Fatalf("tenant a's bot-1 webhooks: %d, want the created one too", len(hooks))
	}
	// Without view_secrets the new secret is not shown.
	var made *herald.Webhook
	for _, h := range hooks {
		if h.Name == "made" {
			made = h
		}
	}
	if _, body, _ := e.get(c, "/ui/webhooks/"+made.ID); strings.Contains(body, made.Secret) || strings.Contains(body, "signing_secret") {
		t.Fatal("a portal without view_secrets shows the secret")
	}
}

func TestPortalTokenRefused(t *testing.T) {
	e := newEnv(t)
	link, err := e.ui.MintPortal(context.Background(), ui.PortalParams{Tenant: "a", BaseURL: e.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if status, body, _ := e.get(c, "/ui/portal?token="+url.QueryEscape(link.Token+"x")); status != http.StatusUnauthorized || !strings.Contains(body, "signature") {
		t.Fatalf("an altered token: %d\n%s", status, body)
	}
	e.clock.add(time.Hour)
	if status, body, _ := e.get(c, "/ui/portal?token="+url.QueryEscape(link.Token)); status != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Fatalf("an expired token: %d\n%s", status, body)
	}
	// A session started from a link ends when the link expires.
	e.clock.add(-time.Hour)
	c, _, _ = e.portal("a", herald.PortalInput{ExpiresIn: "5m"})
	e.clock.add(5 * time.Minute)
	if status, _, _ := e.get(c, "/ui/webhooks"); status != http.StatusSeeOther {
		t.Fatalf("a portal session past its link's expiry: %d", status)
	}
}

func TestMintPortalValidates(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		tenant string
		in     herald.PortalInput
		code   string
	}{
		{"a", herald.PortalInput{ExpiresIn: "1m"}, herald.EINVALID},
		{"a", herald.PortalInput{ExpiresIn: "8d"}, herald.EINVALID},
		{"a", herald.PortalInput{ExpiresIn: "soon"}, herald.EINVALID},
		{"a", herald.PortalInput{Capabilities: []string{"admin"}}, herald.EINVALID},
		{"a", herald.PortalInput{EventTypes: []string{"Bad Type"}}, herald.EINVALID},
		{"nobody", herald.PortalInput{}, herald.ENOTFOUND},
	} {
		if _, err := e.ui.MintPortal(context.Background(), ui.PortalParams{Tenant: tc.tenant, Input: tc.in, BaseURL: e.srv.URL}); herald.ErrorCode(err) != tc.code {
			t.Errorf("MintPortal(%s, %+v) = %v, want %s", tc.tenant, tc.in, err, tc.code)
		}
	}
	link, err := e.ui.MintPortal(context.Background(), ui.PortalParams{Tenant: "a", Input: herald.PortalInput{ExpiresIn: "7d"}, BaseURL: e.srv.URL})
	if err != nil || link.ExpiresAt.Sub(e.clock.Now()) < 7*24*time.Hour-time.Second || !strings.HasPrefix(link.URL, e.srv.URL+"/ui/portal?token=") {
		t.Fatalf("7d link = %+v, %v", link, err)
	}
}

func TestDeliveriesFiltersAndStats(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wh := e.webhook("", "", "stats-hook")
	now := e.clock.Now()
	var ids []string
	for i, at := range []time.Time{now.Add(-48 * time.Hour), now.Add(-time.Hour), now.Add(-time.Minute), now} {
		res, err := e.store.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: []byte(`{"n":` + string(rune('0'+i)) + `}`), Now: at})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Deliveries[0].ID)
	}
	code := 200
	for i, status := range []string{herald.DeliverySuccess, herald.DeliverySuccess, herald.DeliveryFailed} {
		a := &herald.Attempt{StartedAt: now, StatusCode: &code, Success: status == herald.DeliverySuccess}
		if _, err := e.store.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: ids[i], Status: status, Attempt: a}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	e.signIn(c, e.key)
	// In the last 24h: 3 deliveries, 1 succeeded and 1 failed of those finished.
	_, body, _ := e.get(c, "/ui/webhooks")
	if !strings.Contains(body, "<td>50%</td>") || !strings.Contains(body, "<td>3</td>") {
		t.Fatalf("the list's 24h figures:\n%s", body)
	}
	for query, want := range map[string][]string{
		"status=failed":            {ids[2]},
		"status=pending":           {ids[3]},
		"status=success":           {ids[0], ids[1]},
		"range=24h":                {ids[1], ids[2], ids[3]},
		"range=24h&status=success": {ids[1]},
	} {
		_, body, _ := e.get(c, "/ui/deliveries?webhook="+wh.ID+"&"+query)
		for _, id := range ids {
			if got, wanted := strings.Contains(body, id), slices.Contains(want, id); got != wanted {
				t.Errorf("%s: shows %s = %v, want %v", query, id, got, wanted)
			}
		}
	}
	if status, body, _ := e.get(c, "/ui/deliveries?status=lost"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "status: must be") {
		t.Errorf("a bad status: %d\n%s", status, body)
	}
}
