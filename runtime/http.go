package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
)

// errTooLarge is returned by readCapped for a body over the limit.
var errTooLarge = errors.New("body is over the limit")

// client is HTTPClient, or the default client built on first use.
func (iv *Invoker) client() *http.Client {
	if iv.HTTPClient != nil {
		return iv.HTTPClient
	}
	iv.once.Do(func() { iv.defaultClient = delivery.NewHTTPClient(iv.AllowPrivate) })
	return iv.defaultClient
}

// invokeHTTP POSTs body to rt.URL under runCtx (parent is the caller's
// context, to tell a timeout from a cancellation).
func (iv *Invoker) invokeHTTP(parent, runCtx context.Context, timeout time.Duration, rt herald.Runtime, body []byte) (*herald.InvocationResponse, error) {
	if err := herald.ValidateWebhookURL(rt.URL, herald.URLPolicy{AllowHTTP: true}); err != nil {
		return nil, failf(err, "runtime: %s", herald.ErrorMessage(err))
	}
	req, err := http.NewRequestWithContext(runCtx, http.MethodPost, rt.URL, bytes.NewReader(body))
	if err != nil {
		return nil, failf(err, "runtime: the url cannot be requested")
	}
	req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.1")
	for k, v := range rt.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", iv.userAgent())

	resp, err := iv.client().Do(req)
	if err != nil {
		if runCtx.Err() != nil {
			return nil, contextError(parent, err, timeout)
		}
		return nil, transportError(err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLen+1))
		msg := fmt.Sprintf("runtime: the endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if s := snippet(head); s != "" {
			msg += ": " + s
		}
		return nil, &Error{Message: msg}
	}
	limit := iv.maxOutput()
	if resp.ContentLength > limit {
		return nil, failf(nil, "runtime: the response is over %d bytes", limit)
	}
	b, err := readCapped(resp.Body, limit)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, failf(err, "runtime: the response is over %d bytes", limit)
	case err != nil && runCtx.Err() != nil:
		return nil, contextError(parent, err, timeout)
	case err != nil:
		return nil, failf(err, "runtime: reading the response failed: %v", err)
	}

	if !isJSON(resp.Header.Get("Content-Type")) {
		return &herald.InvocationResponse{Response: text(b)}, nil
	}
	out, ok, err := parseJSONAnswer(b)
	if err != nil {
		return nil, err
	} else if ok {
		return out, nil
	}
	if !json.Valid(b) {
		return nil, failf(nil, "runtime: the response is not valid JSON: %s", snippet(b))
	}
	return &herald.InvocationResponse{Response: jsonText(b)}, nil
}

// readCapped reads r whole, or fails with errTooLarge past limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// isJSON reports whether a Content-Type is application/json or */*+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// transportError is the safe error of a request that got no answer: the
// URL (which may hold a token in its query) is left out of the message.
func transportError(err error) *Error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	if errors.Is(err, delivery.ErrBlockedAddress) {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			cause = op.Err
		}
		return failf(err, "runtime: the url is refused: %v", cause)
	}
	return failf(err, "runtime: the request failed: %v", cause)
}
