package main

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
)

// seenRequest is a request that went through the TLS proxy in front of
// Herald.
type seenRequest struct {
	path      string
	cookie    bool
	status    int
	setCookie []string
}

// recordingWriter keeps the status a handler answered with.
type recordingWriter struct {
	http.ResponseWriter
	status int
}

func (w *recordingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// TestPortalEmbeddedCrossSite embeds a tenant's portal in an iframe of
// another site, as a platform's settings page does: Herald sits behind a
// proxy that terminates TLS (--public-url https://127.0.0.1:…), and the
// platform's page is served from https://localhost:…, another site. The
// portal's session cookie must reach the cross-site frame, and the frame
// must show the tenant's webhooks only.
func TestPortalEmbeddedCrossSite(t *testing.T) {
	needChromium(t)

	// The platform's settings page, on another site.
	var portalURL string
	var mu sync.Mutex
	platform := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		src := portalURL
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Settings</title></head><body>
<h1>Acme settings</h1><section><h2>Webhooks</h2>
<iframe src="%s" title="Webhooks" width="1100" height="640" referrerpolicy="no-referrer"></iframe>
</section></body></html>`, html.EscapeString(src))
	}))
	platform.StartTLS()
	defer platform.Close()
	platformOrigin := "https://localhost:" + strconv.Itoa(platform.Listener.Addr().(*net.TCPAddr).Port)

	// The TLS proxy in front of Herald, which records what goes through.
	seen := make(chan seenRequest, 100)
	var target *url.URL
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := r.Cookie("herald_session")
		rw := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.ServeHTTP(rw, r)
		seen <- seenRequest{path: r.URL.Path, cookie: err == nil, status: rw.status, setCookie: w.Header().Values("Set-Cookie")}
	}))
	proxy.StartTLS()
	defer proxy.Close()

	ts := startServer(t, func(c *Config) {
		c.PublicURL = proxy.URL
		c.UIFrameAncestors = "'self' " + platformOrigin
	})
	target, _ = url.Parse(ts.URL())

	for _, tn := range []string{"acme", "globex"} {
		ts.must(http.StatusCreated, "PUT", "/v1/tenants/"+tn, map[string]any{"name": tn}, nil)
		ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{
			"tenant_id": tn, "url": "https://example.com/" + tn, "events": []string{"agent.*"}, "name": "Hook of " + tn,
		}, nil)
	}
	var link herald.PortalLink
	ts.must(http.StatusCreated, "POST", "/v1/tenants/acme/portal", map[string]any{"capabilities": []string{"manage_webhooks"}}, &link)
	if !strings.HasPrefix(link.URL, proxy.URL+"/ui/portal?token=") {
		t.Fatalf("the portal link is %s, want it under the public URL %s", link.URL, proxy.URL)
	}
	mu.Lock()
	portalURL = link.URL
	mu.Unlock()

	b := newBrowser(t, platformOrigin, chromedp.Flag("ignore-certificate-errors", true))
	ctx := b.ctx
	b.run("open the platform's settings page", chromedp.Navigate(platformOrigin+"/settings"), chromedp.WaitReady(chromedp.CSS("iframe")))

	// The frame opens the link, which sets the session cookie, and then
	// the webhooks page, which must arrive with it.
	var opened seenRequest
	for opened.path != "/ui/webhooks" {
		select {
		case r := <-seen:
			if r.path == "/ui/portal" {
				opened = r
				c := strings.Join(r.setCookie, "\n")
				for _, attr := range []string{"herald_session=", "SameSite=None", "Secure", "Partitioned", "HttpOnly"} {
					if !strings.Contains(c, attr) {
						t.Fatalf("the portal link set the cookie %q, without %s", c, attr)
					}
				}
				opened.path = ""
			} else if r.path == "/ui/webhooks" {
				opened = r
			}
		case <-ctx.Done():
			t.Fatal("the embedded portal never asked for its webhooks page")
		}
	}
	if !opened.cookie || opened.status != http.StatusOK {
		t.Fatalf("the cross-site frame asked for /ui/webhooks with the session cookie %v and got %d", opened.cookie, opened.status)
	}

	// The frame runs in its own process; attach to it to read it.
	var frame *chromedp.Context
	var text string
	for frame == nil {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, proxy.URL+"/ui/webhooks") {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				defer cancel()
				frame = chromedp.FromContext(fctx)
				// The target may show before its document has loaded.
				text, err = chromedp.Run(fctx, chromedp.Poll[string](
					`document.readyState === "complete" && document.querySelector("main")?.innerText`))
				if err != nil {
					t.Fatalf("read the embedded portal: %v", err)
				}
			}
		}
		if frame == nil {
			select {
			case <-seen:
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				t.Fatal("no iframe target shows the portal's webhooks")
			}
		}
	}
	if !strings.Contains(text, "Hook of acme") || strings.Contains(text, "Hook of globex") || !strings.Contains(text, "Create Webhook") {
		t.Fatalf("the embedded portal of acme shows:\n%s", text)
	}
	png := get(b, "screenshot the settings page", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, "embedded-portal.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
