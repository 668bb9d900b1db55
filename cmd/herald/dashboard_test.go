package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
)

// chromiumPath finds a Chromium or Chrome binary: $HERALD_CHROMIUM, else
// the first of the usual names on PATH.
func chromiumPath() string {
	if p := os.Getenv("HERALD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shiftClock is the system clock moved by an offset that a test changes.
type shiftClock struct{ offset atomic.Int64 }

// Now returns the system time plus the offset.
func (c *shiftClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// needChromium returns the Chromium binary, skipping the test, saying why,
// when there is none.
func needChromium(t *testing.T) string {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no chromium binary (chromium, chromium-browser, google-chrome or $HERALD_CHROMIUM): install it with apt-get install chromium to run the browser tests")
	}
	return bin
}

// newBrowser starts a headless Chromium for t against base, with flags
// added to its options, skipping the test when none is installed; it is
// closed when t ends, and each run of it is bounded by 3 minutes.
func newBrowser(t *testing.T, base string, flags ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	bin := needChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, flags...)...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser, whose life is bctx's; only later
	// ones run under the time limit.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(cancel)
	return &browser{t: t, ctx: ctx, base: base, shots: t.ArtifactDir()}
}

// signIn signs the browser in with key and waits for sel.
func (b *browser) signIn(key, sel string) {
	b.t.Helper()
	b.run("sign in",
		chromedp.Navigate(b.base+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS("#api_key")),
		chromedp.SendKeys(chromedp.CSS("#api_key"), key),
		chromedp.Submit(chromedp.CSS("#api_key")),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
}

// browser drives one headless Chromium against a test server.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

// run runs actions, failing the test with what on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value, failing the test with what on
// error.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shot saves a full-page PNG of the current page as name in the test's
// artifact directory.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression, awaiting it when it is a
// promise.
func eval[T any](b *browser, what, js string) T {
	b.t.Helper()
	return get(b, what, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// exists reports whether an element matches sel.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return eval[bool](b, "look for "+sel, `document.querySelector(`+jsString(sel)+`) !== null`)
}

// fits360 checks that the current page, in a 360-px-wide viewport, is no
// wider than the screen (a wide table scrolls inside its own box).
func (b *browser) fits360(what string) {
	b.t.Helper()
	b.run("narrow the viewport", chromedp.EmulateViewport(360, 740))
	width := eval[int](b, "measure "+what, `document.documentElement.scrollWidth`)
	b.run("restore the viewport", chromedp.EmulateViewport(1280, 900))
	if width > 360 {
		wide := eval[string](b, "find the wide elements", `(() => { const out = []; document.querySelectorAll("body *").forEach(e => { const r = e.getBoundingClientRect(); if (r.right > 361) out.push(e.tagName + "." + e.className + ":" + Math.round(r.right)); }); return out.slice(0, 8).join(" "); })()`)
		b.t.Errorf("%s is %d px wide on a 360-px screen: %s", what, width, wide)
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// post posts a form to path from the page, with no CSRF token
// unless csrf is set, and returns the status.
func (b *browser) post(path string, csrf bool) int {
	b.t.Helper()
	js := `(async () => {
		const f = new URLSearchParams();
		` + map[bool]string{true: `f.set("csrf", document.querySelector("input[name=csrf]").value);`, false: ``}[csrf] + `
		for (const [k, v] of [["name", "forged"], ["url", "http://127.0.0.1:9/forged"], ["events", "agent.*"], ["timeout_seconds", "30"], ["max_retries", "3"], ["active", "on"]]) f.set(k, v);
		const r = await fetch(` + jsString(path) + `, {method: "POST", body: f, redirect: "manual"});
		return r.status;
	})()`
	return eval[int](b, "post "+path, js)
}

// TestDashboardInBrowser drives the web UI in headless Chromium against a
// real server: sign-in, the Create Webhook form, the shown-once secret,
// Send test to a real receiver, the delivery's attempts, disabling,
// validation errors, CSRF, and tenant portal links with their capabilities
// and expiry. It saves screenshots in its artifact directory (go test
// -artifacts).
func TestDashboardInBrowser(t *testing.T) {
	needChromium(t)
	clock := &shiftClock{}
	ts := startServerWith(t, func(m *Main) { m.UIClock = clock })
	rc := newReceiver(t, func(n int64, w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	witness := newReceiver(t, statuses(200))

	b := newBrowser(t, ts.URL())

	// 1. Sign in with the admin key: / leads to the sign-in page.
	b.run("sign in",
		chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#api_key")),
		chromedp.SendKeys(chromedp.CSS("#api_key"), ts.key),
		chromedp.Submit(chromedp.CSS("#api_key")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/webhooks/new"]`)),
	)
	if h := b.text("h1"); h != "Webhooks" {
		t.Fatalf("after sign-in the page is %q, want Webhooks", h)
	}

	// 2. Create a webhook with a custom header, timeout 10 and max retries 5.
	b.run("open the Create Webhook form",
		chromedp.Click(chromedp.CSS(`a[href="/ui/webhooks/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#url")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Production Messages"),
		chromedp.SendKeys(chromedp.CSS("#url"), rc.URL+"/hook"),
		chromedp.Click(chromedp.CSS(`input[name=event_type][value="agent.message"]`)),
		chromedp.SendKeys(chromedp.CSS("#events"), "agent.*"),
		chromedp.SendKeys(chromedp.CSS("#description"), "Messages of the support agent"),
		chromedp.SendKeys(chromedp.CSS("#headers"), "X-Team: support"),
		chromedp.SetValue(chromedp.CSS("#timeout_seconds"), "10"),
		chromedp.SetValue(chromedp.CSS("#max_retries"), "5"),
	)
	b.shot("create-form.png")
	b.run("submit the form",
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#signing_secret")),
	)
	shown := get(b, "read the secret", chromedp.Value(chromedp.CSS("#signing_secret")))
	page := get(b, "read the location", chromedp.Location())
	if !strings.HasPrefix(shown, herald.SecretPrefix) {
		t.Fatalf("the page shows secret %q", shown)
	}
	b.shot("secret-once.png")
	id := page[strings.LastIndex(page, "/")+1:]
	var wh herald.Webhook
	ts.must(http.StatusOK, "GET", "/v1/webhooks/"+id, nil, &wh)
	if wh.TimeoutSeconds != 10 || wh.MaxRetries != 5 || wh.Headers["X-Team"] != "support" || !wh.IsActive || !wh.VerifySSL ||
		strings.Join(wh.Events, ",") != "agent.message,agent.*" || wh.Name != "Production Messages" {
		t.Fatalf("stored webhook = %+v", wh)
	}
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")))
	if b.exists("#signing_secret") {
		t.Fatal("the secret is shown again after a reload")
	}

	// 3. Send test: the receiver checks the signature with the secret
	// copied from the page.
	b.run("send test",
		chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#test_result")),
	)
	hit := <-rc.hits
	mac := hmac.New(sha256.New, []byte(shown))
	mac.Write(hit.Body)
	if got, want := hit.Header.Get("X-Webhook-Signature"), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("signature %q, want %q (from the page's secret)", got, want)
	}
	if hit.Header.Get("X-Team") != "support" {
		t.Fatalf("custom header X-Team = %q", hit.Header.Get("X-Team"))
	}
	if got := b.text("#test_status"); got != "200" {
		t.Fatalf("the test result shows status %q, want 200", got)
	}

	// 4. The delivery appears in the log and its attempt detail opens.
	b.run("open the deliveries",
		chromedp.Navigate(b.base+"/ui/deliveries?webhook="+id),
		chromedp.WaitVisible(chromedp.CSS("table tbody tr")),
	)
	if got := b.text("table tbody tr"); !strings.Contains(got, "webhook.test") || !strings.Contains(got, "success") {
		t.Fatalf("the deliveries row reads %q", got)
	}
	b.run("open the delivery",
		chromedp.Click(chromedp.CSS("table tbody tr a")),
		chromedp.WaitVisible(chromedp.CSS("section.attempt")),
	)
	if got := b.text("section.attempt"); !strings.Contains(got, "Attempt 1") || !strings.Contains(got, "200") {
		t.Fatalf("the attempt reads %q", got)
	}
	if got := b.text("#request_body"); got != string(hit.Body) {
		t.Fatalf("the request body shown is %q, want the one received %q", got, hit.Body)
	}
	b.shot("delivery-detail.png")

	// 6. A bad URL shows an error next to the URL field.
	b.run("submit a bad URL",
		chromedp.Navigate(b.base+"/ui/webhooks/new"),
		chromedp.WaitVisible(chromedp.CSS("#url")),
		chromedp.SendKeys(chromedp.CSS("#url"), "not a url"),
		chromedp.SendKeys(chromedp.CSS("#events"), "agent.*"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#url_error")),
	)
	described := get(b, "read the URL field", chromedp.AttributeValue(chromedp.CSS("#url"), "aria-describedby")).Value
	b.fits360("the Create Webhook form with an error")
	if !strings.Contains(described, "url_error") || !strings.Contains(b.text("#url_error"), "URL") {
		t.Fatalf("the URL error %q is not tied to the field (aria-describedby %q)", b.text("#url_error"), described)
	}

	// 9. The CSRF check refuses a form post without its token.
	b.run("open the list", chromedp.Navigate(b.base+"/ui/webhooks"), chromedp.WaitVisible(chromedp.CSS("table")))
	if status := b.post("/ui/webhooks/"+id+"/disable", false); status != http.StatusForbidden {
		t.Fatalf("a post without its CSRF token answered %d, want 403", status)
	}
	ts.must(http.StatusOK, "GET", "/v1/webhooks/"+id, nil, &wh)
	if !wh.IsActive {
		t.Fatal("a post without its CSRF token disabled the webhook")
	}

	// 5. Disable it: the list shows it disabled and an event published
	// then reaches the witness webhook but not it.
	row := `document.querySelector('tr[data-webhook="` + id + `"]')`
	b.run("disable", chromedp.Click(chromedp.CSS(`tr[data-webhook="`+id+`"] button`)))
	get(b, "wait for the row to update", chromedp.Poll[bool](row+` !== null && `+row+`.textContent.includes("Disabled")`))
	if got := b.text(`tr[data-webhook="` + id + `"]`); !strings.Contains(got, "Disabled") || !strings.Contains(got, "Enable") {
		t.Fatalf("the disabled webhook's row reads %q", got)
	}
	b.shot("webhooks-list.png")
	b.fits360("the webhooks list")
	w2 := ts.createWebhook(map[string]any{"url": witness.URL + "/w", "events": []string{"agent.message"}, "name": "witness"})
	var pub herald.PublishAnswer
	ts.must(http.StatusAccepted, "POST", "/v1/events", map[string]any{"type": "agent.message", "data": map[string]any{"content": "hi"}}, &pub)
	if hit := <-witness.hits; !strings.Contains(string(hit.Body), w2.ID) {
		t.Fatalf("the witness got %s", hit.Body)
	}
	if pub.Deliveries != 1 {
		t.Fatalf("the event was queued for %d webhooks, want the witness alone", pub.Deliveries)
	}
	if n := rc.n.Load(); n != 1 {
		t.Fatalf("the disabled webhook's receiver got %d requests, want only the test's", n)
	}

	// 7. A portal link for tenant A, with view only, shows A's webhooks and
	// none of B's, has no create button, and a forged POST is refused.
	for _, tn := range []string{"tenant-a", "tenant-b"} {
		ts.must(http.StatusCreated, "PUT", "/v1/tenants/"+tn, map[string]any{"name": tn}, nil)
		ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{
			"tenant_id": tn, "url": rc.URL + "/" + tn, "events": []string{"agent.*"}, "name": "Hook of " + tn,
		}, nil)
	}
	var bHooks struct{ Items []herald.Webhook }
	ts.must(http.StatusOK, "GET", "/v1/webhooks?tenant_id=tenant-b", nil, &bHooks)
	var link herald.PortalLink
	ts.must(http.StatusCreated, "POST", "/v1/tenants/tenant-a/portal", map[string]any{}, &link)
	b.run("open the portal", chromedp.Navigate(link.URL), chromedp.WaitVisible(chromedp.CSS("h1")))
	body := b.text("main")
	if !strings.Contains(body, "Hook of tenant-a") || strings.Contains(body, "Hook of tenant-b") || strings.Contains(body, "Production Messages") {
		t.Fatalf("the portal of tenant-a shows:\n%s", body)
	}
	if b.exists(`a[href="/ui/webhooks/new"]`) || b.exists(`tr button`) {
		t.Fatal("a view-only portal shows the Create Webhook link or a toggle")
	}
	b.shot("portal.png")
	if status := b.post("/ui/webhooks", true); status != http.StatusForbidden {
		t.Fatalf("a forged create with a valid CSRF token but no manage_webhooks answered %d, want 403", status)
	}
	if got := eval[int](b, "open tenant-b's webhook", `fetch("/ui/webhooks/`+bHooks.Items[0].ID+`").then(r => r.status)`); got != http.StatusNotFound {
		t.Fatalf("tenant-a's portal opened tenant-b's webhook: %d", got)
	}

	// 8. An expired portal link is refused.
	clock.offset.Store(int64(-2 * time.Hour))
	ts.must(http.StatusCreated, "POST", "/v1/tenants/tenant-a/portal", map[string]any{"expires_in": "1h"}, &link)
	clock.offset.Store(0)
	b.run("open an expired link", chromedp.Navigate(link.URL), chromedp.WaitVisible(chromedp.CSS(".message.error")))
	if msg := b.text(".message.error"); !strings.Contains(msg, "expired") {
		t.Fatalf("the expired link shows %q", msg)
	}
}
