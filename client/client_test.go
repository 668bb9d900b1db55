package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is one request as the test server received it.
type seen struct {
	Method     string
	RequestURI string // path and query exactly as sent, escapes kept
	Header     http.Header
	Body       string
}

// fake is a test server answering every request with one status and body
// and recording what it received.
type fake struct {
	*httptest.Server
	mu       sync.Mutex
	requests []seen
	status   int
	answer   string
	delay    time.Duration
}

// newFake starts a server answering status and answer (as JSON).
func newFake(t *testing.T, status int, answer string) *fake {
	t.Helper()
	f := &fake{status: status, answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
		status, answer, delay := f.status, f.answer, f.delay
		f.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if answer != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(f.Close)
	return f
}

// client returns a client of f with the key "hk_test".
func (f *fake) client(opts ...Option) *Client { return New(f.URL, "hk_test", opts...) }

// only returns the one request received, failing unless there was one.
func (f *fake) only(t *testing.T) seen {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 1 {
		t.Fatalf("server got %d requests, want 1: %+v", len(f.requests), f.requests)
	}
	return f.requests[0]
}

// expect checks the method, the request URI and the body of r.
func (r seen) expect(t *testing.T, method, uri, body string) {
	t.Helper()
	if r.Method != method {
		t.Errorf("method = %s, want %s", r.Method, method)
	}
	if r.RequestURI != uri {
		t.Errorf("request URI = %s, want %s", r.RequestURI, uri)
	}
	if r.Body != body {
		t.Errorf("body = %s\nwant   %s", r.Body, body)
	}
	ct := r.Header.Get("Content-Type")
	if body == "" && ct != "" {
		t.Errorf("Content-Type = %q on a request without a body", ct)
	} else if body != "" && ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

func TestHeadersSent(t *testing.T) {
	f := newFake(t, 200, `{"items":[],"total":0,"skip":0,"limit":50}`)
	if _, err := f.client().Webhooks.List(context.Background(), ListOptions{}); err != nil {
		t.Fatal(err)
	}
	r := f.only(t)
	r.expect(t, "GET", "/v1/webhooks", "")
	for k, want := range map[string]string{
		"Authorization": "Bearer hk_test",
		"Accept":        "application/json",
		"User-Agent":    DefaultUserAgent,
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestUserAgentAndNoKey(t *testing.T) {
	f := newFake(t, 200, `{"items":[]}`)
	c := New(f.URL, "  ", WithUserAgent("herald-cli/1.0"))
	if _, err := c.Keys.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := f.only(t)
	if got := r.Header.Get("User-Agent"); got != "herald-cli/1.0" {
		t.Errorf("User-Agent = %q", got)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Errorf("Authorization sent without a key: %q", r.Header.Get("Authorization"))
	}
}

func TestBaseURLForms(t *testing.T) {
	for in, want := range map[string]string{
		"":                           DefaultBaseURL,
		"localhost:8420":             "http://localhost:8420",
		" http://h:1/ ":              "http://h:1",
		"https://example.com/hq//":   "https://example.com/hq",
		"https://example.com/herald": "https://example.com/herald",
	} {
		if got := New(in, "").BaseURL(); got != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, got, want)
		}
	}
}

func TestBaseURLPathPrefixKept(t *testing.T) {
	f := newFake(t, 200, `{"items":[]}`)
	c := New(f.URL+"/herald/", "k")
	if _, err := c.Keys.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/herald/v1/keys", "")
}

func TestWithHTTPClient(t *testing.T) {
	f := newFake(t, 200, `{"items":[]}`)
	var used bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(r)
	})}
	if _, err := f.client(WithHTTPClient(hc), WithHTTPClient(nil)).Keys.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !used {
		t.Error("the given http.Client was not used")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestErrorAnswerDecoded(t *testing.T) {
	f := newFake(t, 404, `{"error":{"code":"not_found","message":"webhook \"wh_1\" not found"}}`)
	_, err := f.client().Webhooks.Get(context.Background(), "wh_1")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %#v, want *Error", err)
	}
	if e.StatusCode != 404 || e.Code != "not_found" || e.Message != `webhook "wh_1" not found` {
		t.Errorf("error = %+v", e)
	}
	if !IsNotFound(err) || IsConflict(err) || IsUnreachable(err) {
		t.Errorf("IsNotFound/IsConflict/IsUnreachable wrong for %v", err)
	}
	want := `get webhook: webhook "wh_1" not found (HTTP 404 not_found)`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestErrorCodes(t *testing.T) {
	cases := []struct {
		status int
		body   string
		check  func(error) bool
		code   string
		msg    string
	}{
		{401, `{"error":{"code":"unauthorized","message":"the API key is invalid or revoked"}}`, IsUnauthorized, "unauthorized", "the API key is invalid or revoked"},
		{403, `{"error":{"code":"forbidden","message":"scope"}}`, IsForbidden, "forbidden", "scope"},
		{400, `{"error":{"code":"invalid","message":"url: is required"}}`, IsInvalid, "invalid", "url: is required"},
		{409, `{"error":{"code":"conflict","message":"exists"}}`, IsConflict, "conflict", "exists"},
		{429, `{"error":{"code":"rate_limited","message":"slow down"}}`, IsRateLimited, "rate_limited", "slow down"},
		// Not Herald's JSON: a proxy's page.
		{502, "<html>Bad Gateway</html>\n<body>...</body>", nil, "unavailable", "<html>Bad Gateway</html>"},
		{404, "", IsNotFound, "not_found", "Not Found"},
		{500, `{"error":{}}`, nil, "internal", "{\"error\":{}}"},
	}
	for _, tc := range cases {
		f := newFake(t, tc.status, tc.body)
		_, err := f.client().Keys.List(context.Background())
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%d: err = %v, want *Error", tc.status, err)
		}
		if e.StatusCode != tc.status || e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%d: error = %+v, want code %q message %q", tc.status, e, tc.code, tc.msg)
		}
		if ErrorCode(err) != tc.code {
			t.Errorf("%d: ErrorCode = %q", tc.status, ErrorCode(err))
		}
		if tc.check != nil && !tc.check(err) {
			t.Errorf("%d: helper did not recognise %v", tc.status, err)
		}
	}
	if ErrorCode(nil) != "" || ErrorCode(errors.New("x")) != "" {
		t.Error("ErrorCode of a non-API error is not empty")
	}
}

func TestUnreachableNamesURL(t *testing.T) {
	f := newFake(t, 200, "")
	url := f.URL
	f.Close()
	_, err := New(url, "k").Webhooks.List(context.Background(), ListOptions{Limit: 5})
	var ce *ConnectionError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %#v, want *ConnectionError", err)
	}
	if ce.Method != "GET" || ce.URL != url+"/v1/webhooks?limit=5" {
		t.Errorf("ConnectionError = %s %s", ce.Method, ce.URL)
	}
	if !strings.Contains(err.Error(), url+"/v1/webhooks?limit=5") || !strings.Contains(err.Error(), "cannot reach Herald") {
		t.Errorf("message does not name the URL tried: %v", err)
	}
	if !IsUnreachable(err) || ce.Timeout() {
		t.Errorf("IsUnreachable = %v, Timeout = %v", IsUnreachable(err), ce.Timeout())
	}
}

func TestTimeout(t *testing.T) {
	f := newFake(t, 200, `{"items":[]}`)
	f.delay = 2 * time.Second
	start := time.Now()
	_, err := f.client(WithTimeout(50 * time.Millisecond)).Keys.List(context.Background())
	if time.Since(start) > time.Second {
		t.Errorf("the call took %s despite a 50ms timeout", time.Since(start))
	}
	var ce *ConnectionError
	if !errors.As(err, &ce) || !ce.Timeout() || IsUnreachable(err) {
		t.Fatalf("err = %v, want a timeout *ConnectionError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer from Herald in time") {
		t.Errorf("err = %v", err)
	}
}

func TestCanceled(t *testing.T) {
	f := newFake(t, 200, `{"items":[]}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client().Keys.List(ctx)
	if !errors.Is(err, context.Canceled) || IsUnreachable(err) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestMalformedAnswer(t *testing.T) {
	f := newFake(t, 200, `{"items": nope`)
	_, err := f.client().Keys.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "decode answer of GET "+f.URL+"/v1/keys (HTTP 200)") {
		t.Fatalf("err = %v", err)
	}
}

func TestEmptyIDsRefused(t *testing.T) {
	f := newFake(t, 200, `{}`)
	c := f.client()
	ctx := context.Background()
	errs := []error{}
	_, err := c.Webhooks.Get(ctx, "")
	errs = append(errs, err)
	errs = append(errs, c.Webhooks.Delete(ctx, ".."))
	_, err = c.Webhooks.Delivery(ctx, "wh_1", "")
	errs = append(errs, err)
	_, err = c.Events.Get(ctx, ".")
	errs = append(errs, err)
	errs = append(errs, c.Keys.Revoke(ctx, ""))
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "must be a non-empty id") {
			t.Errorf("%d: err = %v", i, err)
		}
	}
	if len(f.requests) != 0 {
		t.Errorf("requests were sent: %+v", f.requests)
	}
}

func TestPtr(t *testing.T) {
	p := Ptr("x")
	if *p != "x" {
		t.Fatal(*p)
	}
}
