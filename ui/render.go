package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

//go:embed templates
var templateFS embed.FS

// pages are the templates, each the layout with one page's content, by
// the name of its file in templates/ without ".html".
var pages = parsePages()

// funcs are the template functions.
var funcs = template.FuncMap{
	"retention": retentionText,
	"bytes":     bytesText,
	"join":      strings.Join,
	"time": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if t == nil {
				return "Never"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"deref": func(p *int) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprint(*p)
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// parsePages parses layout.html with each other template of templates/.
func parsePages() map[string]*template.Template {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	m := map[string]*template.Template{}
	for _, f := range files {
		n := strings.TrimSuffix(path.Base(f), ".html")
		if n == "layout" {
			continue
		}
		m[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f))
	}
	return m
}

// view is what every page renders.
type view struct {
	Title string
	// Signed in: the visitor and the session's CSRF token.
	Signed   bool
	Operator bool
	Tenant   string
	Agent    string
	// Platform is set for an operator signed in with a platform key.
	Platform bool
	Can      map[string]bool
	CSRF     string
	// Error is a message for the whole page; Notice a success message.
	Error  string
	Notice string
	// Data is the page's own content.
	Data any
}

// newView returns the view of a page for the session of r.
func newView(r *http.Request, title string, data any) *view {
	v := &view{Title: title, Data: data, Can: map[string]bool{}}
	if s := sessionOf(r); s != nil {
		v.Signed, v.Operator, v.Tenant, v.Agent, v.CSRF = true, s.operator(), s.Tenant, s.Agent, s.csrf
		for _, c := range herald.Capabilities {
			v.Can[c] = s.can(c)
		}
		v.Platform = s.can(capPlatform)
	}
	return v
}

// render writes the page name with v.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := pages[name].Execute(&buf, v); err != nil {
		u.cfg.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// statusOf maps an error code to its HTTP status, as the API does.
func statusOf(err error) int {
	switch herald.ErrorCode(err) {
	case herald.EINVALID:
		return http.StatusUnprocessableEntity
	case herald.ENOTFOUND:
		return http.StatusNotFound
	case herald.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case herald.EFORBIDDEN:
		return http.StatusForbidden
	case herald.ECONFLICT:
		return http.StatusConflict
	case herald.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case herald.ETIMEOUT:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// fail shows err as a page: its message, never a raw JSON answer or a blank
// page. An internal error is logged and shown without its details.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		u.cfg.Logger.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	v := newView(r, http.StatusText(status), nil)
	if s != nil && sessionOf(r) == nil {
		v = newView(r.WithContext(withSession(r, s)), http.StatusText(status), nil)
	}
	v.Error = herald.ErrorMessage(err)
	u.render(w, r, status, "error", v)
}

// notFound is the page of an unknown /ui/ path.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	u.fail(w, r, sessionOf(r), herald.Errorf(herald.ENOTFOUND, "no page at %s", r.URL.Path))
}

// home sends a visitor to the webhooks.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/ui/webhooks", http.StatusSeeOther)
}
