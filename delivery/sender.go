package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/jsjson"
	"github.com/heraldhq/herald/signature"
)

// Sender makes delivery requests: it builds the body, signs it, POSTs it
// with the webhook's timeout and never follows redirects. Unless
// AllowPrivate is set, its dialer refuses loopback, private, link-local,
// CGNAT and cloud-metadata addresses at connect time, after DNS, so a
// rebinding name cannot get past it.
type Sender struct {
	// UserAgent is sent on every request. Default "Herald/dev".
	UserAgent string

	verified   *http.Client
	unverified *http.Client
}

// NewSender returns a Sender; allowPrivate lifts the address checks (local
// development and tests).
func NewSender(userAgent string, allowPrivate bool) *Sender {
	if userAgent == "" {
		userAgent = "Herald/dev"
	}
	s := &Sender{UserAgent: userAgent}
	s.verified = newHTTPClient(allowPrivate, false)
	s.unverified = newHTTPClient(allowPrivate, true)
	return s
}

// NewHTTPClient returns a client with the Sender's protections: unless
// allowPrivate, its dialer refuses loopback, private and metadata
// addresses after DNS (ErrBlockedAddress); redirects are not followed; TLS
// is verified; response headers over herald.MaxResponseHeaderBytes are an
// error. The reply worker and HTTP runtimes send with it.
func NewHTTPClient(allowPrivate bool) *http.Client { return newHTTPClient(allowPrivate, false) }

// maxIdleConns is how many idle connections a client keeps, to one host
// as to all: many webhooks may share one host (an API gateway, a chat
// service), and each may have DefaultMaxInFlightPerWebhook requests in
// flight, so a smaller cap per host would close and open connections, and
// repeat TLS handshakes, under load. Idle connections close after 90 s.
const maxIdleConns = 512

func newHTTPClient(allowPrivate, skipVerify bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: skipVerify, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConns,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  0, // the request context carries the webhook's timeout
		MaxResponseHeaderBytes: herald.MaxResponseHeaderBytes,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ErrBlockedAddress is returned by the dialer of NewHTTPClient for refused
// addresses.
var ErrBlockedAddress = errors.New("address is not allowed")

// refusePrivate is the dialer's Control: it runs on the resolved address.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
	}
	if Blocked(ip) {
		return fmt.Errorf("dial %s: %w: it is loopback, private, link-local or reserved (start the server with --allow-private-targets to allow it)", address, ErrBlockedAddress)
	}
	return nil
}

var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Blocked reports whether ip is an address webhooks may not reach by
// default: loopback, private, link-local (which holds the 169.254.169.254
// cloud metadata service), CGNAT, multicast, unspecified or reserved.
func Blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Body returns the delivery body of an event for a webhook: compact JSON
// that JSON.stringify(JSON.parse(body)) gives back unchanged, as
//
//	{"id":…,"event":…,"type":…,"created":…,"timestamp":…,"webhook":{"id":…,"name":…},"data":…}
//
// An event of a tenant carries "tenant_id":… right after "id"; the
// platform's events leave it out, so their bodies are unchanged.
// ev.Data must already be canonical (events are canonicalized when
// published). The same inputs give the same bytes, so retries resend them.
func Body(ev *herald.Event, webhookID, webhookName string) []byte {
	data := ev.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	b := make([]byte, 0, 176+len(ev.ID)+len(ev.TenantID)+2*len(ev.Type)+len(webhookID)+len(webhookName)+len(data))
	b = append(b, `{"id":`...)
	b = jsjson.AppendString(b, ev.ID)
	if ev.TenantID != "" {
		b = append(b, `,"tenant_id":`...)
		b = jsjson.AppendString(b, string(ev.TenantID))
	}
	b = append(b, `,"event":`...)
	b = jsjson.AppendString(b, ev.Type)
	b = append(b, `,"type":`...)
	b = jsjson.AppendString(b, ev.Type)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, ev.Created.Unix(), 10)
	b = append(b, `,"timestamp":"`...)
	b = ev.Created.UTC().AppendFormat(b, herald.TimestampFormat)
	b = append(b, `","webhook":{"id":`...)
	b = jsjson.AppendString(b, webhookID)
	b = append(b, `,"name":`...)
	b = jsjson.AppendString(b, webhookName)
	b = append(b, `},"data":`...)
	b = append(b, data...)
	return append(b, '}')
}

// Result is what one attempt got.
type Result struct {
	StatusCode int // 0 when no response came
	Header     http.Header
	Body       string // the first herald.MaxResponseBodyBytes
	Duration   time.Duration
	Err        error
	// RetryAfter is the wait a 429 or 503 asked for with Retry-After.
	RetryAfter time.Duration
}

// Success reports whether the attempt got a 2xx.
func (r *Result) Success() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// Send makes one attempt of task at time now, which stamps
// webhook-timestamp and decides which of the webhook's old secrets still
// sign.
func (s *Sender) Send(ctx context.Context, task *herald.DeliveryTask, now time.Time) *Result {
	wh := task.Webhook
	body := Body(task.Event, wh.ID, task.WebhookName)
	ctx, cancel := context.WithTimeout(ctx, time.Duration(wh.TimeoutSeconds)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return &Result{Err: fmt.Errorf("build request: %w", err)}
	}
	for k, v := range wh.Headers {
		req.Header.Set(k, v)
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	req.Header.Set("X-Webhook-Event", task.Event.Type)
	req.Header.Set("X-Webhook-Delivery", task.Delivery.ID)
	req.Header.Set(wh.SignatureHeader, signature.Sign(wh.SignatureFormat, wh.Secret, body))
	req.Header["webhook-id"] = []string{task.Event.ID}
	req.Header["webhook-timestamp"] = []string{strconv.FormatInt(ts, 10)}
	standard := signature.StandardSign(wh.Secret, task.Event.ID, ts, body)
	// During a rotation's grace period the old secrets sign too: after
	// the new signature in webhook-signature, and in the signature
	// header's "-Previous" twin, newest first, space-separated.
	if prev := wh.ValidPreviousSecrets(now); len(prev) > 0 {
		old := make([]string, len(prev))
		for i, secret := range prev {
			standard += " " + signature.StandardSign(secret, task.Event.ID, ts, body)
			old[i] = signature.Sign(wh.SignatureFormat, secret, body)
		}
		req.Header.Set(wh.SignatureHeader+herald.PreviousSignatureSuffix, strings.Join(old, " "))
	}
	req.Header["webhook-signature"] = []string{standard}

	client := s.verified
	if !wh.VerifySSL {
		client = s.unverified
	}
	span := startClientSpan(ctx, req)
	start := time.Now()
	resp, err := client.Do(req)
	res := &Result{}
	if resp != nil {
		endClientSpan(span, resp.StatusCode, nil)
	} else {
		endClientSpan(span, 0, err)
	}
	if err != nil {
		res.Duration = time.Since(start)
		res.Err = describe(err, wh.TimeoutSeconds)
		return res
	}
	defer resp.Body.Close()
	head, err := io.ReadAll(io.LimitReader(resp.Body, herald.MaxResponseBodyBytes))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res.Duration = time.Since(start)
	res.StatusCode, res.Header, res.Body = resp.StatusCode, CapHeaders(resp.Header), strings.ToValidUTF8(string(head), "\uFFFD")
	if err != nil && ctx.Err() != nil {
		res.Err = describe(err, wh.TimeoutSeconds)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	if res.Err == nil && !res.Success() {
		res.Err = fmt.Errorf("endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return res
}

// describe turns transport errors into messages a user can act on.
func describe(err error, timeoutSeconds int) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("timed out after %ds", timeoutSeconds)
	case HeadersTooLarge(err):
		return fmt.Errorf("the endpoint answered with response headers over %d KiB", herald.MaxResponseHeaderBytes>>10)
	case errors.Is(err, ErrBlockedAddress):
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return op.Err
		}
	}
	return err
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP
// date; a wait over herald.MaxRetryDelay is MaxRetryDelay.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
		if secs > int(herald.MaxRetryDelay/time.Second) {
			return herald.MaxRetryDelay
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// HeadersTooLarge reports whether err is the transport's refusal of an
// answer whose headers are over herald.MaxResponseHeaderBytes (net/http
// has no exported error for it).
func HeadersTooLarge(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "server response headers exceeded") ||
		strings.Contains(err.Error(), "header list larger than"))
}

// CapHeaders is h as an attempt keeps it: headers in name order while they
// fit in herald.MaxStoredHeaderBytes (a name's values all or none), and
// X-Herald-Headers-Truncated: true when some were left out.
func CapHeaders(h http.Header) http.Header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	const mark = "X-Herald-Headers-Truncated"
	budget := herald.MaxStoredHeaderBytes - len(mark) - len("true") - 4
	out := make(http.Header, len(h))
	for _, k := range names {
		size := 0
		for _, v := range h[k] {
			size += len(k) + len(v) + 4
		}
		if size > budget {
			out[mark] = []string{"true"}
			continue
		}
		budget -= size
		out[k] = h[k]
	}
	return out
}
