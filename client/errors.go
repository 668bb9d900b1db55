package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// Error is a non-2xx answer of the server. Code is one of the herald.E*
// constants (such as herald.ENOTFOUND); when the body is not Herald's JSON
// error (a proxy's page, say) Code is derived from StatusCode and Message
// is the start of the body.
type Error struct {
	StatusCode int
	Code       string
	Message    string
}

// Error returns "<message> (HTTP <status> <code>)".
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
	}
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.StatusCode, e.Code)
}

// errorFromAnswer decodes {"error": {"code", "message"}}, falling back to
// the status for other bodies.
func errorFromAnswer(status int, body []byte) *Error {
	var v struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil && v.Error != nil && (v.Error.Code != "" || v.Error.Message != "") {
		e := &Error{StatusCode: status, Code: v.Error.Code, Message: v.Error.Message}
		if e.Code == "" {
			e.Code = codeOfStatus(status)
		}
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
		return e
	}
	msg := strings.TrimSpace(string(body))
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = "unexpected answer"
	}
	return &Error{StatusCode: status, Code: codeOfStatus(status), Message: msg}
}

// codeOfStatus is the herald.E* code the API uses for an HTTP status.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return herald.EINVALID
	case http.StatusUnauthorized:
		return herald.EUNAUTHORIZED
	case http.StatusForbidden:
		return herald.EFORBIDDEN
	case http.StatusNotFound:
		return herald.ENOTFOUND
	case http.StatusConflict:
		return herald.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return herald.ETOOLARGE
	case http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		return herald.EUNSUPPORTED
	case http.StatusTooManyRequests:
		return herald.ERATELIMITED
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return herald.EUNAVAILABLE
	case http.StatusGatewayTimeout:
		return herald.ETIMEOUT
	}
	if status >= 500 {
		return herald.EINTERNAL
	}
	return ""
}

// ConnectionError is a request that got no answer: the server could not be
// reached, the connection broke, or the call timed out or was canceled.
// URL is the full address tried. It unwraps to the cause, so
// errors.Is(err, context.Canceled) works.
type ConnectionError struct {
	Method string
	URL    string
	Err    error
}

// Error names the request and the cause, such as "cannot reach Herald: GET
// http://127.0.0.1:8420/v1/webhooks: dial tcp ...: connection refused".
func (e *ConnectionError) Error() string {
	switch {
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
	case e.Timeout():
		return fmt.Sprintf("no answer from Herald in time: %s %s: %v", e.Method, e.URL, e.Err)
	}
	return fmt.Sprintf("cannot reach Herald: %s %s: %v", e.Method, e.URL, e.Err)
}

// Unwrap returns the cause.
func (e *ConnectionError) Unwrap() error { return e.Err }

// Timeout reports whether the call ran out of time (the client's timeout or
// the context's deadline) rather than failing to connect.
func (e *ConnectionError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// ErrorCode returns the Code of the *Error in err's chain, and "" when
// there is none (nil, or a failure without an answer).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsNotFound reports whether err is an answer with code not_found (404).
func IsNotFound(err error) bool { return ErrorCode(err) == herald.ENOTFOUND }

// IsInvalid reports whether err is an answer with code invalid (400): the
// message names the bad field.
func IsInvalid(err error) bool { return ErrorCode(err) == herald.EINVALID }

// IsUnauthorized reports whether err is an answer with code unauthorized
// (401): no key, or an invalid or revoked one.
func IsUnauthorized(err error) bool { return ErrorCode(err) == herald.EUNAUTHORIZED }

// IsForbidden reports whether err is an answer with code forbidden (403): a
// valid key without the right scope.
func IsForbidden(err error) bool { return ErrorCode(err) == herald.EFORBIDDEN }

// IsConflict reports whether err is an answer with code conflict (409).
func IsConflict(err error) bool { return ErrorCode(err) == herald.ECONFLICT }

// IsRateLimited reports whether err is an answer with code rate_limited
// (429).
func IsRateLimited(err error) bool { return ErrorCode(err) == herald.ERATELIMITED }

// IsUnreachable reports whether err is a *ConnectionError other than a
// timeout or a cancellation: nothing answered at the server's address.
func IsUnreachable(err error) bool {
	var e *ConnectionError
	return errors.As(err, &e) && !e.Timeout() && !errors.Is(e.Err, context.Canceled)
}
