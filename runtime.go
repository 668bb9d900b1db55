package herald

import (
	"net/http"
	"path/filepath"
	"strings"
)

// Runtime types: what Herald calls to process a message sent to an agent.
const (
	// RuntimeHTTP POSTs the InvocationRequest as JSON to Runtime.URL.
	RuntimeHTTP = "http"
	// RuntimeExec runs Runtime.Command (no shell) with the InvocationRequest
	// as JSON on stdin and reads the response from stdout. It runs any
	// program on the Herald host with Herald's rights: only operators
	// should be able to configure it.
	RuntimeExec = "exec"
	// RuntimeEcho is the built-in runtime: it replies with the message it got.
	RuntimeEcho = "echo"
)

// Runtime defaults and limits.
const (
	DefaultRuntimeTimeoutSeconds = 60  // Runtime.TimeoutSeconds when unset
	MaxRuntimeTimeoutSeconds     = 900 // the largest Runtime.TimeoutSeconds
	DefaultMaxConcurrency        = 4   // Runtime.MaxConcurrency when unset
	MaxMaxConcurrency            = 256 // the largest Runtime.MaxConcurrency
	MaxRuntimeCommandArgs        = 64  // the most elements of Runtime.Command
	MaxRuntimeCommandArgLen      = 4096
)

// Runtime is an agent's optional runtime: what Herald calls to process a
// message. Type picks one of three kinds:
//
//   - "http": {"type": "http", "url": …, "headers": {…}} — Herald POSTs the
//     InvocationRequest as JSON to URL with the extra Headers;
//   - "exec": {"type": "exec", "command": ["/path/bin", "arg"]} — Herald runs
//     Command without a shell, the InvocationRequest as JSON on stdin;
//   - "echo": {"type": "echo"} — the built-in runtime, which replies with
//     the message it got.
//
// Normalize fills the defaults (a 60-second timeout, 4 concurrent
// invocations); Validate checks the result.
type Runtime struct {
	// Type is RuntimeHTTP, RuntimeExec or RuntimeEcho.
	Type string `json:"type"`
	// URL is the endpoint of an http runtime: an absolute http(s) URL.
	URL string `json:"url,omitempty"`
	// Headers are extra request headers of an http runtime (for example
	// Authorization). Content-Type, User-Agent and the hop-by-hop headers
	// are Herald's and cannot be set.
	Headers map[string]string `json:"headers,omitempty"`
	// Command is the argv of an exec runtime; Command[0] is an absolute
	// path. It runs without a shell.
	Command []string `json:"command,omitempty"`
	// TimeoutSeconds bounds one invocation: from 1 to
	// MaxRuntimeTimeoutSeconds (900), default DefaultRuntimeTimeoutSeconds
	// (60).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// MaxConcurrency caps the invocations of the agent in flight at once:
	// from 1 to MaxMaxConcurrency (256), default DefaultMaxConcurrency (4).
	MaxConcurrency int `json:"max_concurrency,omitempty"`
}

// runtimeReservedHeaders are the headers Herald sets on an http runtime's
// request, which Runtime.Headers may not override.
var runtimeReservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Content-Type": true, "User-Agent": true, "Te": true, "Trailer": true, "Upgrade": true,
	"Keep-Alive": true, "Proxy-Connection": true,
}

// Normalize trims and lower-cases Type, trims URL, and fills the defaults
// of the zero fields: TimeoutSeconds DefaultRuntimeTimeoutSeconds (60) and
// MaxConcurrency DefaultMaxConcurrency (4). Call it before Validate, which
// refuses zero values.
func (r *Runtime) Normalize() {
	r.Type = strings.ToLower(strings.TrimSpace(r.Type))
	r.URL = strings.TrimSpace(r.URL)
	if r.TimeoutSeconds == 0 {
		r.TimeoutSeconds = DefaultRuntimeTimeoutSeconds
	}
	if r.MaxConcurrency == 0 {
		r.MaxConcurrency = DefaultMaxConcurrency
	}
}

// Validate checks a normalized runtime and returns an EINVALID *Error
// naming the first bad field ("runtime.type", "runtime.url", …). An http
// runtime needs a URL that ValidateWebhookURL accepts under policy (so
// plain http only with policy.AllowHTTP) and valid headers; an exec runtime
// needs a Command whose first element is an absolute path; an echo runtime
// takes neither. Validate fills no defaults: call Normalize first.
func (r *Runtime) Validate(policy URLPolicy) error {
	switch r.Type {
	case RuntimeHTTP:
		if err := ValidateWebhookURL(r.URL, policy); err != nil {
			return Errorf(EINVALID, "runtime.%s", ErrorMessage(err))
		}
		if err := validateRuntimeHeaders(r.Headers); err != nil {
			return err
		}
		if len(r.Command) > 0 {
			return Errorf(EINVALID, "runtime.command: is only for an exec runtime")
		}
	case RuntimeExec:
		if err := validateRuntimeCommand(r.Command); err != nil {
			return err
		}
		if r.URL != "" {
			return Errorf(EINVALID, "runtime.url: is only for an http runtime")
		}
		if len(r.Headers) > 0 {
			return Errorf(EINVALID, "runtime.headers: are only for an http runtime")
		}
	case RuntimeEcho:
		if r.URL != "" {
			return Errorf(EINVALID, "runtime.url: an echo runtime takes no url")
		}
		if len(r.Headers) > 0 {
			return Errorf(EINVALID, "runtime.headers: an echo runtime takes no headers")
		}
		if len(r.Command) > 0 {
			return Errorf(EINVALID, "runtime.command: an echo runtime takes no command")
		}
	case "":
		return Errorf(EINVALID, "runtime.type: is required (%q, %q or %q)", RuntimeHTTP, RuntimeExec, RuntimeEcho)
	default:
		return Errorf(EINVALID, "runtime.type: must be %q, %q or %q, got %q", RuntimeHTTP, RuntimeExec, RuntimeEcho, r.Type)
	}
	if r.TimeoutSeconds < 1 || r.TimeoutSeconds > MaxRuntimeTimeoutSeconds {
		return Errorf(EINVALID, "runtime.timeout_seconds: must be from 1 to %d, got %d", MaxRuntimeTimeoutSeconds, r.TimeoutSeconds)
	}
	if r.MaxConcurrency < 1 || r.MaxConcurrency > MaxMaxConcurrency {
		return Errorf(EINVALID, "runtime.max_concurrency: must be from 1 to %d, got %d", MaxMaxConcurrency, r.MaxConcurrency)
	}
	return nil
}

// validateRuntimeHeaders checks the extra headers of an http runtime.
func validateRuntimeHeaders(h map[string]string) error {
	if len(h) > MaxCustomHeaders {
		return Errorf(EINVALID, "runtime.headers: at most %d headers", MaxCustomHeaders)
	}
	for k, v := range h {
		if !validHeaderName(k) {
			return Errorf(EINVALID, "runtime.headers: %q is not a valid header name", k)
		}
		if runtimeReservedHeaders[http.CanonicalHeaderKey(k)] {
			return Errorf(EINVALID, "runtime.headers: %q is set by Herald and cannot be overridden", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") || len(v) > 4096 {
			return Errorf(EINVALID, "runtime.headers: the value of %q must be one line of at most 4096 bytes", k)
		}
	}
	return nil
}

// validateRuntimeCommand checks the argv of an exec runtime.
func validateRuntimeCommand(cmd []string) error {
	if len(cmd) == 0 {
		return Errorf(EINVALID, "runtime.command: is required for an exec runtime")
	}
	if len(cmd) > MaxRuntimeCommandArgs {
		return Errorf(EINVALID, "runtime.command: at most %d elements", MaxRuntimeCommandArgs)
	}
	for i, a := range cmd {
		if len(a) > MaxRuntimeCommandArgLen {
			return Errorf(EINVALID, "runtime.command[%d]: must be at most %d bytes", i, MaxRuntimeCommandArgLen)
		}
		if strings.IndexByte(a, 0) >= 0 {
			return Errorf(EINVALID, "runtime.command[%d]: must not hold a NUL byte", i)
		}
	}
	if !filepath.IsAbs(cmd[0]) {
		return Errorf(EINVALID, "runtime.command[0]: must be an absolute path, got %q", cmd[0])
	}
	return nil
}

// InvocationRequest is what a runtime gets for one message: the JSON body
// of an http runtime's POST and the JSON on an exec runtime's stdin.
type InvocationRequest struct {
	// InvocationID identifies this invocation (for logs and idempotency).
	InvocationID string `json:"invocation_id"`
	// Agent is the id of the agent the message is for.
	Agent string `json:"agent"`
	// Message is the text to process.
	Message string `json:"message"`
	// Context is the caller's context object; it is sent as {} when nil.
	Context map[string]any `json:"context"`
	// Source says where the message came from (for example "webhook:github").
	Source string `json:"source"`
}

// InvocationResponse is what a runtime answered: a JSON object
// {"response": …, "actions": [{"action": …, "content": …}]}, or plain text,
// which is taken as the response with no actions.
type InvocationResponse struct {
	// Response is the runtime's reply. A non-string JSON response is kept as
	// its compact JSON text.
	Response string `json:"response"`
	// Actions are the things the runtime asks Herald to do; may be empty.
	Actions []Action `json:"actions,omitempty"`
}

// Action is one action in an InvocationResponse.
type Action struct {
	// Action names what to do.
	Action string `json:"action"`
	// Content is its argument: any JSON value (numbers are json.Number
	// when read by package runtime).
	Content any `json:"content,omitempty"`
}
