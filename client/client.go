// Package client is the Go SDK of Herald's REST API.
//
//	c := client.New("http://127.0.0.1:8420", os.Getenv("HERALD_API_KEY"))
//	wh, err := c.Webhooks.Create(ctx, herald.WebhookInput{
//		URL:    client.Ptr("https://example.com/hooks"),
//		Events: []string{"agent.*"},
//	})
//	res, err := c.Events.Send(ctx, client.EventInput{Type: "agent.started", Data: map[string]any{"agent_id": "a1"}})
//
// The API is grouped in services held by the Client: Webhooks (with their
// deliveries), Events, Keys, Ingest (agents' reports), Agents, Deployments,
// Alerts, Inbound, Invocations and Tenants. Every method takes a context. Answers are the domain types of
// package herald; failures are *Error for an answer of the server and
// *ConnectionError for a request that got no answer.
//
// An agent reports with an API key of scope ingest, or with a JWT the
// server accepts (--jwt-secret or --jwks-url), passed where the key goes:
//
//	agent := client.New("https://herald.example.com", token)
//	res, err := agent.Ingest.AgentStatus(ctx, herald.AgentReport{AgentID: "a1", Status: "running"})
//
// A platform serving many customers gives each a tenant (Tenants), and
// scopes a platform admin key's calls to one of them with WithTenant (or
// ForTenant): lists hold that tenant's rows only, and what the client
// creates is the tenant's. A tenant's own key is scoped already.
//
//	_, _, err := c.Tenants.Put(ctx, "acme", client.TenantInput{Name: client.Ptr("Acme Corp")})
//	acme := c.ForTenant("acme")
//	wh, err := acme.Webhooks.Create(ctx, herald.WebhookInput{URL: client.Ptr("https://acme.example.com/hooks"), Events: []string{"agent.*"}})
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of New.
const (
	// DefaultBaseURL is where "herald serve" listens unless told otherwise.
	DefaultBaseURL = "http://127.0.0.1:8420"
	// DefaultTimeout bounds each call, reading the answer included.
	DefaultTimeout = 30 * time.Second
	// DefaultUserAgent is the User-Agent header sent unless WithUserAgent
	// sets another.
	DefaultUserAgent = "herald-go-client"
	// TenantHeader is the header WithTenant sends: it scopes a platform
	// admin key's request to one tenant.
	TenantHeader = "X-Herald-Tenant"
	// WebhookTestTimeout (6m) is the least time Webhooks.Test allows a
	// call: the server waits for the first attempt up to the webhook's
	// timeout (at most 300s) plus 15s, so a shorter client timeout would
	// give up first.
	WebhookTestTimeout = 6 * time.Minute
)

// maxAnswerBytes bounds the answers read: a page of 1000 deliveries fits
// many times over.
const maxAnswerBytes = 64 << 20

// Client calls one Herald server. Build it with New; it is safe for
// concurrent use.
type Client struct {
	// Webhooks manages webhooks and their deliveries.
	Webhooks *WebhooksService
	// Events publishes and reads events.
	Events *EventsService
	// Keys manages API keys (admin keys only).
	Keys *KeysService
	// Ingest sends agents' reports (an ingest or admin key, or a JWT).
	Ingest *IngestService
	// Agents reads agents, their logs and metrics.
	Agents *AgentsService
	// Deployments reads deployments.
	Deployments *DeploymentsService
	// Alerts manages alert rules.
	Alerts *AlertsService
	// Inbound manages named inbound webhooks and their request logs.
	Inbound *InboundService
	// Invocations reads agent invocations.
	Invocations *InvocationsService
	// Tenants manages tenants (platform admin keys only).
	Tenants *TenantsService
	// EventTypes reads the event catalogue (platform admin keys change it).
	EventTypes *EventTypesService
	// Operations reads the progress of recover and replay operations.
	Operations *OperationsService

	baseURL    string
	apiKey     string
	tenant     string
	httpClient *http.Client
	userAgent  string
	timeout    time.Duration
}

// Option configures a Client in New.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc instead of a
// new http.Client with the default transport. A nil hc is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request. Default
// DefaultUserAgent; an empty string keeps the default.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// WithTimeout bounds each call, from sending the request to reading the
// whole answer. Default DefaultTimeout (30s); 0 or less means no bound
// beyond the context's. Webhooks.Test is allowed at least
// WebhookTestTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithTenant scopes every request of the client to one tenant, sending
// its id in the X-Herald-Tenant header (TenantHeader): with a platform
// admin key, lists hold that tenant's rows only, and what the client
// creates is the tenant's. A tenant key is confined to its own tenant
// already; naming another one is a 403. "" leaves the client unscoped.
func WithTenant(id string) Option {
	return func(c *Client) { c.tenant = strings.TrimSpace(id) }
}

// New returns a client of the Herald server at baseURL (default
// DefaultBaseURL when empty; "host:port" without a scheme means http),
// authenticating with apiKey as "Authorization: Bearer <apiKey>" (no header
// when apiKey is empty); apiKey may also be a JWT, which the server takes
// on the ingestion routes (Ingest) only. A path in baseURL, such as a
// reverse proxy's prefix, is kept before /v1.
func New(baseURL, apiKey string, opts ...Option) *Client {
	baseURL = strings.TrimSpace(baseURL)
	if baseURL == "" {
		baseURL = DefaultBaseURL
	} else if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		apiKey:     strings.TrimSpace(apiKey),
		httpClient: &http.Client{},
		userAgent:  DefaultUserAgent,
		timeout:    DefaultTimeout,
	}
	for _, opt := range opts {
		opt(c)
	}
	c.services()
	return c
}

// services makes the services of c.
func (c *Client) services() {
	c.Webhooks = &WebhooksService{c: c}
	c.Events = &EventsService{c: c}
	c.Keys = &KeysService{c: c}
	c.Ingest = &IngestService{c: c}
	c.Agents = &AgentsService{c: c}
	c.Deployments = &DeploymentsService{c: c}
	c.Alerts = &AlertsService{c: c}
	c.Inbound = &InboundService{c: c}
	c.Invocations = &InvocationsService{c: c}
	c.EventTypes = &EventTypesService{c: c}
	c.Tenants = &TenantsService{c: c}
	c.Operations = &OperationsService{c: c}
}

// ForTenant returns a copy of c scoped to the tenant id, as WithTenant
// does; "" returns an unscoped copy. The copy shares c's HTTP client.
func (c *Client) ForTenant(id string) *Client {
	scoped := &Client{baseURL: c.baseURL, apiKey: c.apiKey, tenant: strings.TrimSpace(id),
		httpClient: c.httpClient, userAgent: c.userAgent, timeout: c.timeout}
	scoped.services()
	return scoped
}

// Tenant returns the tenant the client is scoped to, "" when none.
func (c *Client) Tenant() string { return c.tenant }

// Ptr returns a pointer to v, for the optional fields of
// herald.WebhookInput: Name: client.Ptr("deploys").
func Ptr[T any](v T) *T { return &v }

// BaseURL returns the server's base URL as the client uses it, without a
// trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

// ListOptions pages through a list. Zero values leave the choice to the
// server: Skip 0 and Limit 50 (herald.DefaultLimit, at most herald.MaxLimit).
type ListOptions struct {
	Skip  int
	Limit int
}

// values writes the non-zero options into q.
func (o ListOptions) values(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if o.Skip > 0 {
		q.Set("skip", fmt.Sprint(o.Skip))
	}
	if o.Limit > 0 {
		q.Set("limit", fmt.Sprint(o.Limit))
	}
	return q
}

// List is one page of a list answer: Items from position Skip, at most
// Limit of them, out of Total.
type List[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Skip  int `json:"skip"`
	Limit int `json:"limit"`
}

// request is one API call.
type request struct {
	method string
	path   string     // already escaped, from "/v1/..."
	query  url.Values // nil for none
	body   any        // marshaled as JSON; nil for no body
	out    any        // the answer is decoded into it unless nil
	// minTimeout raises the client's timeout for this call.
	minTimeout time.Duration
}

// do sends r and returns the answer's status code. Any non-2xx answer is
// an *Error; a request that got no answer is a *ConnectionError.
func (c *Client) do(ctx context.Context, r request) (int, error) {
	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return 0, fmt.Errorf("encode request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	if timeout := c.timeout; timeout > 0 {
		if r.minTimeout > timeout {
			timeout = r.minTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, fmt.Errorf("build request %s %s: %w", r.method, u, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	if c.tenant != "" {
		req.Header.Set(TenantHeader, c.tenant)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, &ConnectionError{Method: r.method, URL: u, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return resp.StatusCode, &ConnectionError{Method: r.method, URL: u, Err: fmt.Errorf("read answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, errorFromAnswer(resp.StatusCode, data)
	}
	if r.out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, r.out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode answer of %s %s (HTTP %d): %w", r.method, u, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, nil
}

// segment escapes one path segment, refusing the empty, "." and ".."
// segments that would change which route is called.
func segment(what, v string) (string, error) {
	if v == "" || v == "." || v == ".." {
		return "", fmt.Errorf("%s: must be a non-empty id, got %q", what, v)
	}
	return url.PathEscape(v), nil
}
