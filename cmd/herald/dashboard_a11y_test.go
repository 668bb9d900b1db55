package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// auditJS checks the page it runs in and returns its problems, one a line:
//   - a control (link, button, field, summary) without an accessible name:
//     its label, aria-label, aria-labelledby, text, alt or title;
//   - a control taken out of the keyboard's reach (tabindex -1) or put out
//     of order (a positive tabindex);
//   - text whose contrast with its background is under WCAG AA: 4.5:1, or
//     3:1 for large text (24px, or 18.66px bold);
//   - a table without header cells, or a header cell without a scope;
//   - an element wider than the viewport.
const auditJS = `(() => {
  const out = [];
  const desc = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.getAttribute("name") ? "[name=" + e.getAttribute("name") + "]" : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "");
  const visible = e => { const s = getComputedStyle(e); const r = e.getBoundingClientRect(); return s.visibility !== "hidden" && s.display !== "none" && (r.width > 0 || r.height > 0); };
  const name = e => {
    if (e.getAttribute("aria-label")) return e.getAttribute("aria-label").trim();
    const by = e.getAttribute("aria-labelledby");
    if (by) return by.split(/\s+/).map(id => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
    if (e.labels && e.labels.length) return Array.from(e.labels).map(l => l.textContent).join(" ").trim();
    if (e.tagName === "INPUT" && ["submit", "button", "reset"].includes(e.type)) return (e.value || "").trim();
    if (e.tagName === "IMG") return (e.alt || "").trim();
    const t = (e.innerText || e.textContent || "").trim() || Array.from(e.querySelectorAll("img[alt],svg[aria-label]")).map(i => i.getAttribute("alt") || i.getAttribute("aria-label")).join(" ").trim();
    return t || (e.title || "").trim();
  };
  document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary").forEach(e => {
    if (!visible(e)) return;
    if (!name(e)) out.push("no accessible name: " + desc(e));
    const ti = e.getAttribute("tabindex");
    if (ti !== null && Number(ti) !== 0) out.push("tabindex " + ti + ": " + desc(e));
  });
  const rgb = c => { const m = c.match(/[\d.]+/g) || []; return {r: +m[0], g: +m[1], b: +m[2], a: m.length > 3 ? +m[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = e => {
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const e = t.parentElement;
    if (!t.textContent.trim() || !e || seen.has(e) || !visible(e) || e.closest("svg")) continue;
    seen.add(e);
    const s = getComputedStyle(e);
    const fg = rgb(s.color), bg = background(e);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push("contrast " + ratio.toFixed(2) + " < " + need + ": " + desc(e) + " " + JSON.stringify(t.textContent.trim().slice(0, 30)));
  }
  document.querySelectorAll("table").forEach(t => {
    if (!t.querySelector("th")) out.push("table without header cells: " + desc(t));
  });
  document.querySelectorAll("thead th").forEach(th => {
    if (!th.getAttribute("scope")) out.push("th without scope: " + JSON.stringify(th.textContent.trim()));
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    document.querySelectorAll("body *").forEach(e => { const r = e.getBoundingClientRect(); if (r.right > window.innerWidth + 1 && !e.closest(".scroll")) out.push("wider than the screen: " + desc(e)); });
  }
  return out.join("\n");
})()`

// pageLinksJS returns the pages of the UI that the current page links to.
const pageLinksJS = `Array.from(document.querySelectorAll("a[href^='/ui/']")).map(a => a.getAttribute("href")).filter(h => !h.startsWith("/ui/static/"))`

// TestDashboardAccessibility signs in, fills Herald with a little of
// everything, then visits every page of the UI that links reach (up to a
// bound), on a desktop screen and on a 360-px one, and checks each with
// auditJS. Then it creates a webhook with the keyboard alone.
func TestDashboardAccessibility(t *testing.T) {
	needChromium(t)
	ts := startServer(t)
	rc := newReceiver(t, statuses(200, 500))
	ts.must(http.StatusCreated, "PUT", "/v1/tenants/acme", map[string]any{"name": "Acme"}, nil)
	ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/a", "events": []string{"*"}, "name": "Everything"}, nil)
	ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/b", "events": []string{"agent.*"}, "name": "Off", "is_active": false}, nil)
	for _, typ := range []string{"agent.status", "agent.message"} {
		ts.must(http.StatusAccepted, "POST", "/v1/events", map[string]any{"type": typ, "data": map[string]any{"agent_id": "support-bot"}}, nil)
	}
	ts.report("/ingest/agent-status", map[string]any{"agent_id": "support-bot", "status": "running", "node_id": "node-1"})

	b := newBrowser(t, ts.URL())

	b.run("open the sign-in page", chromedp.Navigate(b.base+"/ui/login"), chromedp.WaitVisible(chromedp.CSS("#api_key")))
	b.audit("/ui/login")
	b.signIn(ts.key, `a[href="/ui/webhooks/new"]`)

	// Visit every page the links reach, one of each shape (ids replaced).
	const maxPages = 60
	queue, seen, shapes := []string{"/ui/webhooks"}, map[string]bool{}, map[string]bool{}
	for len(queue) > 0 && len(seen) < maxPages {
		p := queue[0]
		queue = queue[1:]
		u, _ := url.Parse(p)
		shape := pageShape(u.Path)
		if seen[p] || shapes[shape] && u.RawQuery == "" {
			continue
		}
		seen[p], shapes[shape] = true, true
		b.run("open "+p, chromedp.Navigate(b.base+p), chromedp.WaitReady(chromedp.CSS("main")))
		b.audit(p)
		for _, l := range eval[[]string](b, "list the links of "+p, pageLinksJS) {
			if !seen[l] {
				queue = append(queue, l)
			}
		}
	}
	for _, must := range []string{"/ui/webhooks", "/ui/webhooks/new", "/ui/deliveries", "/ui/tenants", "/ui/inbound", "/ui/inbound/new", "/ui/alerts", "/ui/alerts/new", "/ui/keys", "/ui/storage", "/ui/events", "/ui/agents"} {
		if !seen[must] {
			t.Errorf("the crawl never reached %s; it saw %v", must, seen)
		}
	}

	// Create a webhook with the keyboard alone: Tab to the form's link,
	// Enter, type into each field, submit with Enter.
	b.run("open the webhooks", chromedp.Navigate(b.base+"/ui/webhooks"), chromedp.WaitVisible(chromedp.CSS("main")))
	b.tabTo(`a[href="/ui/webhooks/new"]`)
	b.run("follow Create Webhook", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#url")))
	b.tabTo("#name")
	b.run("type the name", chromedp.KeyEvent("Keyboard hook"))
	b.tabTo("#url")
	b.run("type the URL", chromedp.KeyEvent(rc.URL+"/keyboard"))
	b.tabTo("#events")
	b.run("type the events and submit", chromedp.KeyEvent("agent.*"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#signing_secret")))
	if h := b.text("h1"); !strings.Contains(h, "Keyboard hook") {
		t.Fatalf("after submitting with the keyboard the page is %q", h)
	}
}

// pageShape is path with its ids replaced, so that the crawl visits one
// page of each kind.
func pageShape(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if i > 2 && p != "new" && p != "edit" && p != "deliveries" && p != "logs" && p != "invocations" && p != "requests" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// audit runs auditJS on the current page at 1280 and 360 px wide and fails
// the test with what it finds.
func (b *browser) audit(page string) {
	b.t.Helper()
	if found := eval[string](b, "audit "+page, auditJS); found != "" {
		b.t.Errorf("%s:\n%s", page, found)
	}
	b.run("narrow the viewport", chromedp.EmulateViewport(360, 740))
	found := eval[string](b, "audit "+page+" at 360 px", auditJS)
	b.run("restore the viewport", chromedp.EmulateViewport(1280, 900))
	if found != "" {
		b.t.Errorf("%s at 360 px:\n%s", page, found)
	}
}

// tabTo presses Tab until the element matching sel has the focus, failing
// the test when it never does.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for range 80 {
		if eval[bool](b, "check the focus", `document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`) {
			return
		}
		b.run("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("Tab never reaches %s", sel)
}
