// Package openapicheck holds the checks that keep api/openapi.yaml and the
// server in step: Load reads and validates the document, Routes lists its
// operations, and Middleware validates live requests and responses against
// it with kin-openapi. It is used by tests only.
package openapicheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/heraldhq/herald/api"
)

// Load parses the embedded document and checks that it is valid OpenAPI
// 3.1 (kin-openapi's loader and validation, JSON Schema 2020-12).
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML())
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPIMajorMinor() != "3.1" {
		return nil, fmt.Errorf("api/openapi.yaml: openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not valid OpenAPI 3.1: %w", err)
	}
	return doc, nil
}

var paramName = regexp.MustCompile(`\{[^}]*\}`)

// Normalize writes a route pattern ("GET /v1/webhooks/{id}") so that a
// ServeMux pattern and an OpenAPI path compare equal: path parameters lose
// their names, and a trailing "/{$}" (the same route with a slash) goes.
func Normalize(pattern string) string {
	pattern = strings.TrimSuffix(pattern, "/{$}")
	return paramName.ReplaceAllString(pattern, "{}")
}

// Routes returns every operation of doc as "METHOD /path/{name}", sorted.
func Routes(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// Skipped reports whether a request path is outside the REST API (the web
// UI and the redirect of /), which the document does not describe.
func Skipped(path string) bool {
	return path == "/" || path == "/ui" || strings.HasPrefix(path, "/ui/") || strings.HasPrefix(path, "/static/")
}

// Checker validates requests and responses against the document.
type Checker struct {
	doc *openapi3.T
	mux *http.ServeMux // the document's paths, matched as the server's mux does
}

// New returns a Checker for the embedded document.
func New() (*Checker, error) {
	doc, err := Load()
	if err != nil {
		return nil, err
	}
	c := &Checker{doc: doc, mux: http.NewServeMux()}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			names := paramName.FindAllString(path, -1)
			c.mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, r *http.Request) {
				params := map[string]string{}
				for _, n := range names {
					n = strings.Trim(n, "{}")
					params[n] = r.PathValue(n)
				}
				*r.Context().Value(matchKey{}).(*match) = match{route: route, params: params}
			})
		}
	}
	return c, nil
}

type matchKey struct{}

type match struct {
	route  *routers.Route
	params map[string]string
}

// find returns the documented operation r is for, or nil. A path with a
// trailing slash is matched without it, as the server's "{$}" routes are.
func (c *Checker) find(r *http.Request) *match {
	m := &match{}
	probe := r.Clone(context.WithValue(r.Context(), matchKey{}, m))
	probe.Body = http.NoBody
	if p := probe.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		u := *probe.URL
		u.Path, u.RawPath = strings.TrimSuffix(p, "/"), ""
		probe.URL = &u
	}
	if _, pattern := c.mux.Handler(probe); pattern == "" {
		return nil
	}
	c.mux.ServeHTTP(discard{}, probe)
	if m.route == nil {
		return nil
	}
	return m
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Middleware wraps next so that every request it serves, and the answer,
// is validated against the document; each mismatch is passed to report,
// naming the route, the status and the field. A request that the document
// refuses is no mismatch when the server refused it too (4xx); a request
// to an undocumented route is one only when the server answered it with
// neither 404 nor 405. Paths of the web UI are not checked.
func (c *Checker) Middleware(next http.Handler, report func(string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Skipped(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		m := c.find(r)
		var reqErr error
		var input *openapi3filter.RequestValidationInput
		opts := &openapi3filter.Options{
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			IncludeResponseStatus: true,
			MultiError:            true,
		}
		if m != nil {
			vr := r.Clone(r.Context())
			vr.Body = io.NopCloser(bytes.NewReader(body))
			if vr.Header.Get("Content-Type") == "" && len(body) > 0 {
				// The server reads a body without a Content-Type as JSON.
				vr.Header.Set("Content-Type", "application/json")
			}
			input = &openapi3filter.RequestValidationInput{Request: vr, PathParams: m.params, Route: m.route, Options: opts}
			reqErr = openapi3filter.ValidateRequest(r.Context(), input)
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		what := fmt.Sprintf("%s %s", r.Method, r.URL.RequestURI())
		if m == nil {
			if rec.status != http.StatusNotFound && rec.status != http.StatusMethodNotAllowed {
				report(fmt.Sprintf("%s answered %d but api/openapi.yaml has no operation for it: add %s %s to paths", what, rec.status, r.Method, r.URL.Path))
			}
			return
		}
		route := m.route.Method + " " + m.route.Path
		if reqErr != nil && rec.status < 400 {
			report(fmt.Sprintf("%s (%s): the server answered %d but the document refuses the request: %s", what, route, rec.status, oneLine(reqErr)))
		}
		// The request was refused as the document says; only the answer is checked now.
		if reqErr != nil {
			input.Request = r
		}
		rin := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input,
			Status:                 rec.status,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
			Options:                opts,
		}
		if err := openapi3filter.ValidateResponse(r.Context(), rin); err != nil {
			report(fmt.Sprintf("%s (%s): the answer %d does not match the document: %s\nbody: %s", what, route, rec.status, oneLine(err), clip(rec.body.Bytes())))
		} else if schema := c.responseSchema(m.route, rec.status, rec.Header().Get("Content-Type")); schema != nil {
			for _, field := range Undocumented(schema, rec.body.Bytes()) {
				report(fmt.Sprintf("%s (%s): the answer %d has the field %s, which the document does not describe: add it to the schema", what, route, rec.status, field))
			}
		}
	})
}

// responseSchema is the schema of route's answer with this status and
// Content-Type, or nil.
func (c *Checker) responseSchema(route *routers.Route, status int, contentType string) *openapi3.SchemaRef {
	resp := route.Operation.Responses.Status(status)
	if resp == nil {
		resp = route.Operation.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return nil
	}
	mt := resp.Value.Content.Get(contentType)
	if mt == nil || !strings.HasPrefix(contentType, "application/json") {
		return nil
	}
	return mt.Schema
}

// oneLine writes a validation error briefly: each schema error as the
// JSON pointer of the value and the reason, without the schema.
func oneLine(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var parts []string
		for _, e := range me {
			parts = append(parts, oneLine(e))
		}
		return strings.Join(parts, "; ")
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		prefix := ""
		var re *openapi3filter.RequestError
		if errors.As(err, &re) && re.Parameter != nil {
			prefix = fmt.Sprintf("%s parameter %q: ", re.Parameter.In, re.Parameter.Name)
		}
		return fmt.Sprintf("%sat /%s: %s", prefix, strings.Join(se.JSONPointer(), "/"), strings.Join(strings.Fields(se.Reason), " "))
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Err != nil {
		return oneLine(re.Err)
	}
	var rse *openapi3filter.ResponseError
	if errors.As(err, &rse) && rse.Err != nil {
		return rse.Reason + ": " + oneLine(rse.Err)
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// recorder passes an answer through while keeping its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush,
// deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush sends what was written so far.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Mismatches collects what a Middleware reports, for a test to fail on.
type Mismatches struct {
	mu   sync.Mutex
	list []string
}

// Add records one mismatch (the same text is kept once).
func (m *Mismatches) Add(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(m.list, s) {
		m.list = append(m.list, s)
	}
}

// List returns the mismatches recorded so far.
func (m *Mismatches) List() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.list)
}
