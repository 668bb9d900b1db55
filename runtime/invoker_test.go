package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

func TestEcho(t *testing.T) {
	resp, err := (&Invoker{}).Invoke(context.Background(), herald.Runtime{Type: herald.RuntimeEcho}, request)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response != "hello there" || len(resp.Actions) != 0 {
		t.Errorf("response %+v", resp)
	}
}

func TestUnknownType(t *testing.T) {
	_, err := (&Invoker{}).Invoke(context.Background(), herald.Runtime{Type: "grpc"}, request)
	wantFailed(t, err, false, `unknown runtime type "grpc"`)
}

func TestCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := local().Invoke(ctx, execRuntime("/bin/true"), request)
	wantFailed(t, err, false, "canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %q is not context.Canceled", err)
	}
}

func TestTimeoutDefaults(t *testing.T) {
	for in, want := range map[int]time.Duration{0: 60 * time.Second, -1: 60 * time.Second, 5: 5 * time.Second, 10000: 900 * time.Second} {
		if got := Timeout(herald.Runtime{TimeoutSeconds: in}); got != want {
			t.Errorf("Timeout(%d) = %s, want %s", in, got, want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	err := error(&Error{Message: "runtime: timed out after 1s", Timeout: true, Err: cause})
	if !errors.Is(err, ErrFailed) || !errors.Is(err, ErrTimeout) || !errors.Is(err, cause) {
		t.Error("errors.Is misses a wrapped error")
	}
	var he *herald.Error
	if !errors.As(err, &he) || he.Code != herald.ETIMEOUT || he.Message != err.Error() {
		t.Errorf("herald error %+v", he)
	}
	if errors.Is(failf(nil, "x"), ErrTimeout) {
		t.Error("a failure is a timeout")
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("é", snippetLen) // two bytes each
	for _, s := range []string{snippet([]byte(long)), tailSnippet([]byte(long))} {
		if !utf8.ValidString(s) || len(s) > snippetLen+len("…") {
			t.Errorf("snippet of %d bytes, valid %v", len(s), utf8.ValidString(s))
		}
	}
	if got := snippet([]byte("  short\xff \n")); got != "short\uFFFD" {
		t.Errorf("snippet %q", got)
	}
	if got := tailSnippet([]byte(strings.Repeat("a", 1000) + "END")); !strings.HasSuffix(got, "END") || !strings.HasPrefix(got, "…") {
		t.Errorf("tail snippet %q", got)
	}
}

func TestRuntimeNormalize(t *testing.T) {
	rt := herald.Runtime{Type: " HTTP ", URL: " https://agent.example.com/run "}
	rt.Normalize()
	if rt.Type != "http" || rt.URL != "https://agent.example.com/run" || rt.TimeoutSeconds != 60 || rt.MaxConcurrency != 4 {
		t.Errorf("normalized %+v", rt)
	}
	if err := rt.Validate(herald.URLPolicy{}); err != nil {
		t.Errorf("validate: %v", err)
	}
}

func TestRuntimeValidate(t *testing.T) {
	valid := []herald.Runtime{
		{Type: "http", URL: "https://agent.example.com/run", Headers: map[string]string{"Authorization": "Bearer x"}},
		{Type: "exec", Command: []string{"/usr/local/bin/agent", "--fast"}},
		{Type: "echo"},
		{Type: "echo", TimeoutSeconds: 900, MaxConcurrency: 256},
	}
	for _, rt := range valid {
		rt.Normalize()
		if err := rt.Validate(herald.URLPolicy{}); err != nil {
			t.Errorf("%+v: %v", rt, err)
		}
	}
	httpOK := herald.Runtime{Type: "http", URL: "http://agent.internal/run"}
	httpOK.Normalize()
	if err := httpOK.Validate(herald.URLPolicy{AllowHTTP: true}); err != nil {
		t.Errorf("plain http with AllowHTTP: %v", err)
	}

	invalid := []struct {
		rt    herald.Runtime
		field string
	}{
		{herald.Runtime{}, "runtime.type: is required"},
		{herald.Runtime{Type: "grpc"}, "runtime.type: must be"},
		{herald.Runtime{Type: "http"}, "runtime.url: is required"},
		{herald.Runtime{Type: "http", URL: "/relative"}, "runtime.url: must be an absolute http(s) URL"},
		{herald.Runtime{Type: "http", URL: "http://agent.example.com"}, "runtime.url: plain http is refused"},
		{herald.Runtime{Type: "http", URL: "https://u:p@agent.example.com"}, "runtime.url: credentials"},
		{herald.Runtime{Type: "http", URL: "https://a.example.com", Headers: map[string]string{"Bad Name": "x"}}, "runtime.headers:"},
		{herald.Runtime{Type: "http", URL: "https://a.example.com", Headers: map[string]string{"content-type": "text/plain"}}, "runtime.headers: \"content-type\" is set by Herald"},
		{herald.Runtime{Type: "http", URL: "https://a.example.com", Headers: map[string]string{"X-A": "a\r\nb"}}, "runtime.headers:"},
		{herald.Runtime{Type: "http", URL: "https://a.example.com", Command: []string{"/bin/x"}}, "runtime.command:"},
		{herald.Runtime{Type: "exec"}, "runtime.command: is required"},
		{herald.Runtime{Type: "exec", Command: []string{"agent"}}, "runtime.command[0]: must be an absolute path"},
		{herald.Runtime{Type: "exec", Command: []string{"/bin/agent", "a\x00b"}}, "runtime.command[1]: must not hold a NUL"},
		{herald.Runtime{Type: "exec", Command: make([]string, 65)}, "runtime.command: at most"},
		{herald.Runtime{Type: "exec", Command: []string{"/bin/agent"}, URL: "https://a.example.com"}, "runtime.url:"},
		{herald.Runtime{Type: "exec", Command: []string{"/bin/agent"}, Headers: map[string]string{"X-A": "1"}}, "runtime.headers:"},
		{herald.Runtime{Type: "echo", URL: "https://a.example.com"}, "runtime.url:"},
		{herald.Runtime{Type: "echo", Headers: map[string]string{"X-A": "1"}}, "runtime.headers:"},
		{herald.Runtime{Type: "echo", Command: []string{"/bin/agent"}}, "runtime.command:"},
		{herald.Runtime{Type: "echo", TimeoutSeconds: 901}, "runtime.timeout_seconds: must be from 1 to 900, got 901"},
		{herald.Runtime{Type: "echo", TimeoutSeconds: -1}, "runtime.timeout_seconds:"},
		{herald.Runtime{Type: "echo", MaxConcurrency: 257}, "runtime.max_concurrency: must be from 1 to 256, got 257"},
		{herald.Runtime{Type: "echo", MaxConcurrency: -3}, "runtime.max_concurrency:"},
	}
	for _, c := range invalid {
		rt := c.rt
		rt.Normalize()
		err := rt.Validate(herald.URLPolicy{})
		if herald.ErrorCode(err) != herald.EINVALID || !strings.HasPrefix(herald.ErrorMessage(err), c.field) {
			t.Errorf("%+v: got %v, want a message starting %q", c.rt, err, c.field)
		}
	}

	// Validate fills no defaults.
	rt := herald.Runtime{Type: "echo"}
	if err := rt.Validate(herald.URLPolicy{}); !strings.Contains(herald.ErrorMessage(err), "runtime.timeout_seconds") {
		t.Errorf("unnormalized runtime: %v", err)
	}
}
