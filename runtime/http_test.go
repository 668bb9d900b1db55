package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// request is the invocation the tests send.
var request = herald.InvocationRequest{
	InvocationID: "inv_1", Agent: "agent-1", Message: "hello there",
	Context: map[string]any{"severity": "critical"}, Source: "test",
}

// local is an Invoker allowed to reach the loopback test servers.
func local() *Invoker { return &Invoker{AllowPrivate: true} }

func httpRuntime(url string) herald.Runtime {
	return herald.Runtime{Type: herald.RuntimeHTTP, URL: url, Headers: map[string]string{"Authorization": "Bearer tok"}, TimeoutSeconds: 5}
}

// wantFailed checks that err is a failure, a timeout or not as wanted, and
// that its message holds every part.
func wantFailed(t *testing.T, err error, timeout bool, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, ErrFailed) {
		t.Errorf("error %q is not ErrFailed", err)
	}
	if errors.Is(err, ErrTimeout) != timeout {
		t.Errorf("error %q: errors.Is(err, ErrTimeout) = %v", err, !timeout)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not hold %q", err, p)
		}
	}
}

func TestHTTPJSONWithActions(t *testing.T) {
	var got herald.InvocationRequest
	var header http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode request: %v", err)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, `{"response": "done", "actions": [{"action": "reply", "content": {"text": "hi", "n": 12345678901234567890}}, {"action": "noop"}]}`)
	}))
	defer srv.Close()

	resp, err := local().Invoke(context.Background(), httpRuntime(srv.URL+"/run"), request)
	if err != nil {
		t.Fatal(err)
	}
	if got.InvocationID != "inv_1" || got.Agent != "agent-1" || got.Message != "hello there" || got.Source != "test" || got.Context["severity"] != "critical" {
		t.Errorf("runtime got %+v", got)
	}
	if header.Get("Content-Type") != "application/json" || header.Get("User-Agent") != DefaultUserAgent || header.Get("Authorization") != "Bearer tok" {
		t.Errorf("headers %v", header)
	}
	if resp.Response != "done" || len(resp.Actions) != 2 {
		t.Fatalf("response %+v", resp)
	}
	a := resp.Actions[0]
	content, _ := a.Content.(map[string]any)
	if a.Action != "reply" || content["text"] != "hi" || content["n"] != json.Number("12345678901234567890") {
		t.Errorf("action 0 %+v", a)
	}
	if resp.Actions[1].Action != "noop" || resp.Actions[1].Content != nil {
		t.Errorf("action 1 %+v", resp.Actions[1])
	}
}

func TestHTTPJSONShapes(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"response": {"b": 1, "a": [1, 2]}}`, `{"b":1,"a":[1,2]}`},
		{`{"response": 42, "actions": []}`, `42`},
		{`{"response": null}`, ``},
		{`"just a string"`, `just a string`},
		{`{"other": true}`, `{"other":true}`},
		{`[1, 2]`, `[1,2]`},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.agent+json")
			io.WriteString(w, c.body)
		}))
		resp, err := local().Invoke(context.Background(), httpRuntime(srv.URL), request)
		srv.Close()
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
		} else if resp.Response != c.want || len(resp.Actions) != 0 {
			t.Errorf("%s: got %+v, want response %q", c.body, resp, c.want)
		}
	}
}

func TestHTTPBadJSON(t *testing.T) {
	for _, body := range []string{`{"response": "x"`, `{"response": "x", "actions": {"action": "a"}}`, `{"actions": [{"content": 1}]}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}))
		_, err := local().Invoke(context.Background(), httpRuntime(srv.URL), request)
		srv.Close()
		wantFailed(t, err, false, "runtime:")
	}
}

func TestHTTPPlainText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "I've processed your request.\n")
	}))
	defer srv.Close()
	resp, err := local().Invoke(context.Background(), httpRuntime(srv.URL), request)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response != "I've processed your request.\n" || resp.Actions != nil {
		t.Errorf("response %+v", resp)
	}
}

func TestHTTPErrorStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "model backend unreachable "+strings.Repeat("x", 4000))
	}))
	defer srv.Close()
	_, err := local().Invoke(context.Background(), httpRuntime(srv.URL), request)
	wantFailed(t, err, false, "500 Internal Server Error", "model backend unreachable")
	if len(err.Error()) > snippetLen+200 {
		t.Errorf("the message is %d bytes long", len(err.Error()))
	}
	if herald.ErrorCode(err) != herald.EUNAVAILABLE || herald.ErrorMessage(err) != err.Error() {
		t.Errorf("herald code %q, message %q", herald.ErrorCode(err), herald.ErrorMessage(err))
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		// Read the body so that the server notices the client hanging up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	// The runtime's own timeout (1 s, the smallest).
	rt := httpRuntime(srv.URL)
	rt.TimeoutSeconds = 1
	start := time.Now()
	_, err := local().Invoke(context.Background(), rt, request)
	wantFailed(t, err, true, "timed out after 1s")
	if herald.ErrorCode(err) != herald.ETIMEOUT {
		t.Errorf("herald code %q", herald.ErrorCode(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}

	// The caller's deadline, when it comes first.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = local().Invoke(ctx, httpRuntime(srv.URL), request)
	wantFailed(t, err, true, "deadline")

	// A caller that gives up is not a timeout.
	ctx, cancel = context.WithCancel(context.Background())
	for len(arrived) > 0 {
		<-arrived
	}
	go func() { <-arrived; cancel() }()
	_, err = local().Invoke(ctx, httpRuntime(srv.URL), request)
	wantFailed(t, err, false, "canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %q is not context.Canceled", err)
	}
}

func TestHTTPOversized(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			if !chunked {
				w.Header().Set("Content-Length", "2048")
			}
			w.Write([]byte(strings.Repeat("a", 1024)))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("a", 1024)))
		}))
		iv := &Invoker{AllowPrivate: true, MaxOutput: 1500}
		_, err := iv.Invoke(context.Background(), httpRuntime(srv.URL), request)
		srv.Close()
		wantFailed(t, err, false, "over 1500 bytes")
	}

	// Exactly the limit passes.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("b", 1500))
	}))
	defer srv.Close()
	iv := &Invoker{AllowPrivate: true, MaxOutput: 1500}
	if resp, err := iv.Invoke(context.Background(), httpRuntime(srv.URL), request); err != nil || len(resp.Response) != 1500 {
		t.Errorf("at the limit: %v", err)
	}
}

func TestHTTPRedirectNotFollowed(t *testing.T) {
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Store(true)
		io.WriteString(w, "followed")
	}))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	_, err := local().Invoke(context.Background(), httpRuntime(srv.URL), request)
	wantFailed(t, err, false, "307 Temporary Redirect")
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

func TestHTTPPrivateTargetRefused(t *testing.T) {
	var hit atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit.Store(true)
	}))
	defer srv.Close()
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		_, err := (&Invoker{}).Invoke(context.Background(), httpRuntime(u), request)
		wantFailed(t, err, false, "not allowed", "--allow-private-targets")
	}
	if hit.Load() {
		t.Error("the private target got a request")
	}
}

func TestHTTPBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://example.com/x", "http://user:pw@example.com/"} {
		_, err := local().Invoke(context.Background(), httpRuntime(u), request)
		wantFailed(t, err, false, "url")
	}
}

func TestHTTPClientOverride(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "from the custom client")
	}))
	defer srv.Close()
	// A client set by the caller is used as it is, even for a loopback URL.
	iv := &Invoker{HTTPClient: srv.Client()}
	resp, err := iv.Invoke(context.Background(), httpRuntime(srv.URL), request)
	if err != nil || resp.Response != "from the custom client" {
		t.Fatalf("got %+v, %v", resp, err)
	}
}
