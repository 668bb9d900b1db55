// Package runtime invokes agents: it sends a herald.InvocationRequest to an
// agent's herald.Runtime and returns the herald.InvocationResponse.
//
// Three kinds of runtime exist. An http runtime gets the request as a JSON
// POST and answers 200 with JSON {"response": …, "actions": […]} or with a
// plain-text body. An exec runtime is a program run without a shell: the
// request JSON goes on its stdin and the response comes on its stdout. The
// echo runtime replies with the message it got.
//
// Every failure is an *Error that satisfies errors.Is(err, ErrFailed);
// timeouts also satisfy errors.Is(err, ErrTimeout). Its message is safe to
// show to the user who configured the runtime, and it wraps a *herald.Error
// (ETIMEOUT or EUNAVAILABLE) so herald.ErrorCode and herald.ErrorMessage
// work on it.
//
// The Invoker does not cap concurrency itself: callers take a slot from a
// Limiter first, with the runtime's MaxConcurrency:
//
//	release, err := limiter.Acquire(ctx, agentID, rt.MaxConcurrency)
//	if err != nil {
//		return err
//	}
//	defer release()
//	resp, err := invoker.Invoke(ctx, rt, req)
package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// DefaultMaxOutput is Invoker.MaxOutput when unset: 1 MiB.
const DefaultMaxOutput = 1 << 20

// DefaultUserAgent is Invoker.UserAgent when unset.
const DefaultUserAgent = "Herald/dev"

// snippetLen is how much of an error body or of stderr goes into a message.
const snippetLen = 512

// Sentinel errors of an invocation; test them with errors.Is.
var (
	// ErrFailed is satisfied by every invocation failure, timeouts included.
	ErrFailed = errors.New("runtime failed")
	// ErrTimeout is satisfied by an invocation that ran out of time: the
	// runtime's TimeoutSeconds or the caller's deadline.
	ErrTimeout = errors.New("runtime timed out")
)

// Error is an invocation failure. Its Error text is Message, which is safe
// to show: it names what went wrong (a status and a snippet of the body, an
// exit code and a snippet of stderr, a timeout) without Herald's internals.
type Error struct {
	// Message describes the failure; it is safe to show.
	Message string
	// Timeout is set when the invocation ran out of time.
	Timeout bool
	// Err is the underlying cause, if any (for logs; may be nil).
	Err error
}

// Error implements the error interface and returns Message.
func (e *Error) Error() string { return e.Message }

// Unwrap makes errors.Is and errors.As see ErrFailed, ErrTimeout (for a
// timeout), a *herald.Error with code ETIMEOUT or EUNAVAILABLE and the same
// message, and the cause.
func (e *Error) Unwrap() []error {
	code := herald.EUNAVAILABLE
	errs := []error{ErrFailed}
	if e.Timeout {
		code = herald.ETIMEOUT
		errs = append(errs, ErrTimeout)
	}
	errs = append(errs, &herald.Error{Code: code, Message: e.Message})
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// failf returns a failure *Error with the cause err (may be nil).
func failf(err error, format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...), Err: err}
}

// Invoker invokes runtimes. The zero value is ready to use. It is safe for
// concurrent use; its fields must not change, and it must not be copied,
// once it is in use.
type Invoker struct {
	// HTTPClient makes the requests of http runtimes. Default: a client
	// that never follows redirects, ignores proxy settings and, unless
	// AllowPrivate is set, refuses at connect time (after DNS) loopback,
	// private, link-local, CGNAT and cloud-metadata addresses, as the
	// webhook sender does. A client set here is used as it is: its
	// redirect and address policies are the caller's, and AllowPrivate
	// does not apply.
	HTTPClient *http.Client
	// AllowPrivate lets the default HTTP client reach private addresses
	// (local development and tests; --allow-private-targets).
	AllowPrivate bool
	// MaxOutput caps what a runtime may answer: the body of an http
	// runtime and the stdout of an exec runtime. Default DefaultMaxOutput
	// (1 MiB). Over it, the invocation fails (and a process is killed).
	MaxOutput int64
	// UserAgent is the User-Agent of http runtime requests. Default
	// DefaultUserAgent ("Herald/dev").
	UserAgent string
	// Env holds extra KEY=VALUE environment variables for exec runtimes
	// (for example an API key). Herald's own environment is not passed on;
	// see Invoke for what an exec runtime gets.
	Env []string

	once          sync.Once
	defaultClient *http.Client
}

// maxOutput is MaxOutput or its default.
func (iv *Invoker) maxOutput() int64 {
	if iv.MaxOutput > 0 {
		return iv.MaxOutput
	}
	return DefaultMaxOutput
}

// userAgent is UserAgent or its default.
func (iv *Invoker) userAgent() string {
	if iv.UserAgent != "" {
		return iv.UserAgent
	}
	return DefaultUserAgent
}

// Timeout is how long an invocation of rt may take: rt.TimeoutSeconds,
// herald.DefaultRuntimeTimeoutSeconds (60) when it is not positive, and at
// most herald.MaxRuntimeTimeoutSeconds (900).
func Timeout(rt herald.Runtime) time.Duration {
	s := rt.TimeoutSeconds
	if s <= 0 {
		s = herald.DefaultRuntimeTimeoutSeconds
	}
	s = min(s, herald.MaxRuntimeTimeoutSeconds)
	return time.Duration(s) * time.Second
}

// Invoke sends req to the runtime rt and returns its answer. It gives up
// after Timeout(rt) or when ctx ends, whichever comes first. rt should have
// passed Validate; Invoke only refuses what it cannot run. A nil
// req.Context is sent as {}.
//
//   - http: a POST of the request JSON with Content-Type application/json,
//     User-Agent and rt.Headers. The runtime must answer 200 (redirects are
//     not followed). A JSON answer (application/json or */*+json) that is an
//     object with "response" or "actions" gives both (a non-string response
//     becomes its compact JSON text); a JSON string is the response; any
//     other JSON value is the response as compact JSON text. Any other
//     content type is plain text, taken whole as the response.
//   - exec: rt.Command runs without a shell, in the directory of
//     Command[0], in its own process group, with the request JSON and a
//     newline on stdin. Its environment is only PATH (a fixed system
//     path), HOME and TMPDIR (Herald's, when set), HERALD_INVOCATION_ID,
//     HERALD_AGENT and Invoker.Env. Stdout is a JSON object with
//     "response" or "actions" as above, or else plain text without its
//     trailing newlines. A non-zero exit fails with the exit code and the
//     end of stderr. On a timeout, or when stdout passes MaxOutput, the
//     whole process group is killed; when the command exits, what is left
//     of its group is killed too.
//   - echo: the response is req.Message.
func (iv *Invoker) Invoke(ctx context.Context, rt herald.Runtime, req herald.InvocationRequest) (*herald.InvocationResponse, error) {
	if rt.Type == herald.RuntimeEcho {
		return &herald.InvocationResponse{Response: req.Message}, nil
	}
	if req.Context == nil {
		req.Context = map[string]any{}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, failf(err, "runtime: the request cannot be encoded as JSON: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, contextError(ctx, err, 0)
	}
	timeout := Timeout(rt)
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch rt.Type {
	case herald.RuntimeHTTP:
		return iv.invokeHTTP(ctx, runCtx, timeout, rt, body)
	case herald.RuntimeExec:
		return iv.invokeExec(ctx, runCtx, timeout, rt, req, body)
	default:
		return nil, failf(nil, "runtime: unknown runtime type %q", rt.Type)
	}
}

// contextError is the error of an invocation whose context ended: a
// timeout when a deadline passed (timeout is the runtime's, or 0 when the
// caller's deadline passed first), a failure wrapping context.Canceled when
// the caller gave up.
func contextError(parent context.Context, err error, timeout time.Duration) *Error {
	switch perr := parent.Err(); {
	case perr == nil && timeout > 0:
		return &Error{Message: fmt.Sprintf("runtime: timed out after %s", timeout), Timeout: true, Err: err}
	case perr == nil || errors.Is(perr, context.DeadlineExceeded):
		return &Error{Message: "runtime: timed out (the caller's deadline passed)", Timeout: true, Err: err}
	default:
		return failf(perr, "runtime: the invocation was canceled")
	}
}

// parseJSONAnswer reads a JSON answer b. ok is false when b is not a JSON
// object holding "response" or "actions"; err is set when it is one but
// its actions are malformed.
func parseJSONAnswer(b []byte) (resp *herald.InvocationResponse, ok bool, err error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil || obj == nil {
		return nil, false, nil
	}
	rawResp, hasResp := obj["response"]
	rawActions, hasActions := obj["actions"]
	if !hasResp && !hasActions {
		return nil, false, nil
	}
	resp = &herald.InvocationResponse{Response: jsonText(rawResp)}
	if hasActions && string(rawActions) != "null" {
		dec := json.NewDecoder(bytes.NewReader(rawActions))
		dec.UseNumber()
		var actions []struct {
			Action  *string `json:"action"`
			Content any     `json:"content"`
		}
		if err := dec.Decode(&actions); err != nil {
			return nil, true, failf(err, "runtime: actions must be a list of {\"action\": string, \"content\": any}")
		}
		for i, a := range actions {
			if a.Action == nil || *a.Action == "" {
				return nil, true, failf(nil, "runtime: actions[%d].action is required", i)
			}
			resp.Actions = append(resp.Actions, herald.Action{Action: strings.ToValidUTF8(*a.Action, "\uFFFD"), Content: a.Content})
		}
	}
	return resp, true, nil
}

// jsonText is the text of a JSON value as a response: a string's value,
// "" for null or nothing, and the compact JSON of anything else.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return text(raw)
	}
	return buf.String()
}

// text is b as valid UTF-8.
func text(b []byte) string {
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// snippet is the start of b, trimmed, as valid UTF-8 of at most snippetLen
// bytes (with "…" when cut).
func snippet(b []byte) string {
	s := strings.TrimSpace(text(b))
	if len(s) <= snippetLen {
		return s
	}
	cut := snippetLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// tailSnippet is like snippet but keeps the end of b (for stderr, whose
// last lines say what went wrong).
func tailSnippet(b []byte) string {
	s := strings.TrimSpace(text(b))
	if len(s) <= snippetLen {
		return s
	}
	cut := len(s) - snippetLen
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return "…" + s[cut:]
}
