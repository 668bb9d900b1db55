// Package herald is the domain of Herald, the self-hosted webhook layer for
// AI-agent platforms: webhooks, events, deliveries and API keys; agents,
// deployments, metrics and alert rules; inbound webhooks and invocations;
// the Store interface that persists them all, and the error codes every
// layer shares.
//
// Implementations live in packages named after what they wrap: sqlite (the
// embedded store and queue) and postgres (the shared one), delivery (the
// HTTP sender and queue worker), signature (HMAC signing), monitor (the
// heartbeat monitor and alert evaluation), runtime (calling agents),
// transform (inbound templates and filters), invoke (invocations), api
// (HTTP handlers), client (the Go SDK) and cmd/herald (the binary). This
// package imports none of them.
package herald

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in api.StatusCode.
const (
	ECONFLICT     = "conflict"     // the resource already exists or changed
	EINTERNAL     = "internal"     // a fault on Herald's side
	EINVALID      = "invalid"      // the input is malformed; the message names the field
	ENOTFOUND     = "not_found"    // the resource does not exist
	EUNAUTHORIZED = "unauthorized" // no credentials, or bad ones
	EFORBIDDEN    = "forbidden"    // valid credentials without the right to do this
	ETOOLARGE     = "too_large"    // the request body is over the limit
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) cannot be reached
	ETIMEOUT      = "timeout"      // the operation did not finish in time
	ERATELIMITED  = "rate_limited" // too many requests
	EUNSUPPORTED  = "unsupported"  // the method or media type is not supported
)

// Error is the one error type of Herald. Code is one of the E* constants and
// Message is safe to show to API users.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("herald error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and
// "internal error" for any other non-nil error so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
