// Package api is Herald's HTTP interface: every route is registered in
// Server.routes, handlers decode and validate the request, call the store,
// and answer through the helpers of respond.go.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/eventschema"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/reply"
	"github.com/heraldhq/herald/ui"
)

// DefaultMaxBodyBytes is the largest request body accepted: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// Config holds what handlers need besides the store.
type Config struct {
	Store   herald.Store
	Metrics *metrics.Metrics
	Logger  *slog.Logger // default slog.Default()
	Clock   herald.Clock // default the system clock
	// URLPolicy decides which webhook URLs are accepted.
	URLPolicy herald.URLPolicy
	// DisableAfter is the server's --disable-after, which the health
	// route's disable_at is computed with; 0 means off.
	DisableAfter time.Duration
	// AllowExecRuntime accepts agents with exec runtimes, which run
	// programs on the Herald host. Default false.
	AllowExecRuntime bool
	// MaxBodyBytes bounds request bodies; larger ones get 413. Default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// TestWait bounds how long POST /v1/webhooks/{id}/test waits for the
	// first attempt beyond the webhook's timeout. Default 15s.
	TestWait time.Duration
	// DiscordDeferAfter is how long a Discord interaction waits for the
	// agent before it is answered with a deferred response (type 5) and
	// the reply edits it later. Default reply.DiscordDeferAfter (2.5s).
	DiscordDeferAfter time.Duration
	// WorkerOnly serves only /healthz, /readyz and /metrics.
	WorkerOnly bool
	// JWT, when set, verifies bearer JWTs on the ingestion routes (which
	// also take API keys of scope ingest or admin); nil means API keys
	// only. The /v1 management routes never take JWTs.
	JWT *JWTVerifier
	// JWTTenantClaim is the JWT claim that names the tenant a token
	// reports for (--jwt-tenant-claim); a token without it reports for
	// the platform. Default DefaultJWTTenantClaim ("tenant_id").
	JWTTenantClaim string
	// Invoker hands inbound messages to agents (package invoke); nil
	// answers the inbound routes with 503.
	Invoker herald.Invoker
	// AllowedIPs, when set, are the only addresses (IPs and CIDRs) the
	// named inbound webhooks take requests from, on top of each webhook's
	// own allowed_ips (--allowed-ips). Default: any.
	AllowedIPs []netip.Prefix
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// when finding an inbound request's client IP (--trusted-proxies).
	// Default none: the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// InboundFailureLimit is how many requests to /api/webhooks/... each
	// source may have refused before it is authenticated; beyond it, the
	// source's requests are answered 429 before anything is read or
	// written (--inbound-failure-limit). Default
	// DefaultInboundFailureLimit (20 per minute).
	InboundFailureLimit herald.RateLimit
	// UI, when set, serves the web UI under /ui/ (and redirects / there)
	// and mints portal links; nil turns both off (--ui=false).
	UI *ui.UI
	// StrictEventTypes refuses published events whose type is not in the
	// event catalogue (--strict-event-types). Default false: unknown
	// types are accepted unchecked.
	StrictEventTypes bool
	// MaxOperationRows caps the deliveries one recover, replay or
	// replay-missing may queue. Default herald.MaxOperationRows.
	MaxOperationRows int
}

// Server serves the API.
type Server struct {
	cfg  Config
	mux  *http.ServeMux
	keys *keyCache
	// touched is when this node last wrote each key's last_used_at.
	touched *keyTouches
	// inbound caches compiled programs and rate limiters of named
	// inbound webhooks (its zero value is ready).
	inbound inboundCache
	// failures limits failed inbound requests per source.
	failures *failureLimiter
	// schemas checks published events against the catalogue, caching
	// compiled schemas.
	schemas eventschema.Validator
	// patterns are the method-bound patterns of the REST API, in the order
	// they were registered (see Routes).
	patterns []string
}

// New returns the API server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = herald.SystemClock{}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.DiscordDeferAfter <= 0 {
		cfg.DiscordDeferAfter = reply.DiscordDeferAfter
	}
	if cfg.TestWait <= 0 {
		cfg.TestWait = 15 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.JWTTenantClaim == "" {
		cfg.JWTTenantClaim = DefaultJWTTenantClaim
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), keys: newKeyCache(5 * time.Second), touched: &keyTouches{m: map[string]time.Time{}}, failures: newFailureLimiter(cfg.InboundFailureLimit)}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
// A path or query holding a NUL byte or invalid UTF-8 is refused with a 400
// naming the path value or query parameter, on every route alike.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkURL(s.mux, r); err != nil {
		s.error(w, r, err)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// routes registers every route of the API, in one place.
func (s *Server) routes() {
	s.handleFunc("GET /healthz", s.healthz)
	s.handleFunc("GET /readyz", s.readyz)
	s.handle("GET /metrics", promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{}))
	if s.cfg.WorkerOnly {
		s.mux.HandleFunc("/", s.notFound)
		return
	}

	// Every admin route is confined to the key's tenant, or for a
	// platform key to the tenant of X-Herald-Tenant or ?tenant_id= (see
	// tenancyOf); platform routes refuse tenant keys.
	admin := func(h http.HandlerFunc) http.Handler { return s.authenticate(herald.ScopeAdmin, h) }
	platform := s.platformOnly

	// The description of this API (openapi.yaml, as JSON), for every caller.
	s.handleFunc("GET /openapi.json", serveOpenAPI)

	s.handle("PUT /v1/tenants/{id}", platform(s.putTenant))
	s.handle("GET /v1/tenants", platform(s.listTenants))
	s.handle("GET /v1/tenants/{$}", platform(s.listTenants))
	s.handle("GET /v1/tenants/{id}", platform(s.getTenant))
	s.handle("DELETE /v1/tenants/{id}", platform(s.deleteTenant))
	s.handle("POST /v1/tenants/{id}/portal", platform(s.portalLink))
	s.mux.Handle("/v1/tenants/", platform(s.notFound))

	s.handle("POST /v1/webhooks", admin(s.createWebhook))
	s.handle("POST /v1/webhooks/{$}", admin(s.createWebhook))
	s.handle("GET /v1/webhooks", admin(s.listWebhooks))
	s.handle("GET /v1/webhooks/{$}", admin(s.listWebhooks))
	s.handle("GET /v1/webhooks/{id}", admin(s.getWebhook))
	s.handle("PATCH /v1/webhooks/{id}", admin(s.updateWebhook))
	s.handle("DELETE /v1/webhooks/{id}", admin(s.deleteWebhook))
	s.handle("POST /v1/webhooks/{id}/test", admin(s.testWebhook))
	s.handle("POST /v1/webhooks/{id}/secret/rotate", admin(s.rotateWebhookSecret))
	s.handle("GET /v1/webhooks/{id}/health", admin(s.webhookHealth))
	s.handle("GET /v1/webhooks/{id}/deliveries", admin(s.listDeliveries))
	s.handle("GET /v1/webhooks/{id}/deliveries/{delivery_id}", admin(s.getDelivery))
	s.handle("POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry", admin(s.retryDelivery))
	s.handle("GET /v1/deliveries/stats", admin(s.deliveryStats))

	s.handle("POST /v1/events", admin(s.publishEvent))
	s.handle("GET /v1/events", admin(s.listEvents))
	s.handle("GET /v1/events/{id}", admin(s.getEvent))

	// Recover and replay: each starts an operation, a durable job.
	s.handle("POST /v1/webhooks/{id}/recover", admin(s.recoverWebhook))
	s.handle("POST /v1/webhooks/{id}/replay-missing", admin(s.replayMissing))
	s.handle("POST /v1/events/{id}/replay", admin(s.replayEvent))
	s.handle("GET /v1/operations", admin(s.listOperations))
	s.handle("GET /v1/operations/{$}", admin(s.listOperations))
	s.handle("GET /v1/operations/{id}", admin(s.getOperation))

	// The event catalogue: every key reads it, platform keys change it.
	s.handle("GET /v1/event-types", admin(s.listEventTypes))
	s.handle("GET /v1/event-types/{$}", admin(s.listEventTypes))
	s.handle("GET /v1/event-types/{name}", admin(s.getEventType))
	s.handle("PUT /v1/event-types/{name}", platform(s.putEventType))
	s.handle("DELETE /v1/event-types/{name}", platform(s.deleteEventType))

	s.handle("GET /v1/keys", admin(s.listKeys))
	s.handle("POST /v1/keys", admin(s.createKey))
	s.handle("DELETE /v1/keys/{id}", admin(s.revokeKey))
	s.handle("GET /v1/stats", platform(s.stats))

	// Ingestion: agents report their status, deployments and metrics.
	for _, prefix := range []string{"", "/v1"} {
		s.handle("POST "+prefix+"/ingest/agent-status", s.authenticateIngest(s.ingestAgentStatus))
		s.handle("POST "+prefix+"/ingest/deployment", s.authenticateIngest(s.ingestDeployment))
		s.handle("POST "+prefix+"/ingest/metrics", s.authenticateIngest(s.ingestMetrics))
	}

	s.handle("GET /v1/agents", admin(s.listAgents))
	s.handle("GET /v1/agents/{$}", admin(s.listAgents))
	s.handle("GET /v1/agents/{id}", admin(s.getAgent))
	s.handle("GET /v1/agents/{id}/logs", admin(s.agentLogs))
	s.handle("GET /v1/agents/{id}/metrics", admin(s.agentMetrics))
	s.handle("GET /v1/deployments", admin(s.listDeployments))
	s.handle("GET /v1/deployments/{$}", admin(s.listDeployments))
	s.handle("GET /v1/deployments/{id}", admin(s.getDeployment))

	s.handle("POST /v1/alerts", admin(s.createAlert))
	s.handle("POST /v1/alerts/{$}", admin(s.createAlert))
	s.handle("GET /v1/alerts", admin(s.listAlerts))
	s.handle("GET /v1/alerts/{$}", admin(s.listAlerts))
	s.handle("GET /v1/alerts/{id}", admin(s.getAlert))
	s.handle("PATCH /v1/alerts/{id}", admin(s.updateAlert))
	s.handle("DELETE /v1/alerts/{id}", admin(s.deleteAlert))

	// Agent invocations (seed 002's generic webhook): agents and their
	// runtimes, the generic endpoint's secret, and the invocation records.
	s.handle("POST /v1/agents", admin(s.createAgent))
	s.handle("POST /v1/agents/{$}", admin(s.createAgent))
	s.handle("PATCH /v1/agents/{id}", admin(s.updateAgent))
	s.handle("GET /v1/inbound/secrets/{name}", platform(s.getInboundSecret))
	s.handle("PUT /v1/inbound/secrets/{name}", platform(s.setInboundSecret))
	s.handle("DELETE /v1/inbound/secrets/{name}", platform(s.deleteInboundSecret))
	s.handle("GET /v1/invocations", admin(s.listInvocations))
	s.handle("GET /v1/invocations/{$}", admin(s.listInvocations))
	s.handle("GET /v1/invocations/{id}", s.invocationStatus(admin(s.getInvocation)))
	s.handleFunc("POST /api/webhooks/generic", s.receiveGeneric)

	// Named inbound webhooks (seed 002): managed with an admin key,
	// received with the webhook's secret: the platform's under
	// /api/webhooks/{name}, a tenant's under
	// /api/tenants/{tenant}/webhooks/{name}.
	s.handle("POST /api/webhooks", admin(s.createInbound))
	s.handle("GET /api/webhooks", admin(s.listInbound))
	s.handle("GET /api/webhooks/{name}", admin(s.getInbound))
	s.handle("PUT /api/webhooks/{name}", admin(s.updateInbound))
	s.handle("DELETE /api/webhooks/{name}", admin(s.deleteInbound))
	s.handle("GET /api/webhooks/{name}/requests", admin(s.listInboundRequests))
	s.handleFunc("POST /api/webhooks/{name}", s.receiveInbound)
	s.handleFunc("POST /api/webhooks/{name}/trigger", s.triggerInbound)
	// Slack's interactive components URL, for the webhook named slack.
	s.handleFunc("POST /api/webhooks/slack/interactive", s.receiveSlackInteractive)
	s.handleFunc("POST /api/tenants/{tenant}/webhooks/{name}", s.receiveInbound)
	s.handleFunc("POST /api/tenants/{tenant}/webhooks/{name}/trigger", s.triggerInbound)
	s.handleFunc("POST /api/tenants/{tenant}/webhooks/slack/interactive", s.receiveSlackInteractive)

	// The web UI and the tenant portal (package ui): its pages under /ui/
	// and the redirect of / to them. They are no part of the REST API, so
	// they are registered on the mux directly and not listed by Routes;
	// neither are the method-less fallbacks below, which answer 404.
	if s.cfg.UI != nil {
		s.cfg.UI.Register(s.mux)
	}

	s.mux.Handle("/v1/", admin(s.notFound))
	s.mux.HandleFunc("/", s.notFound)
}

// handle registers a route of the REST API, a pattern with a method, and
// records it for Routes.
func (s *Server) handle(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// handleFunc is handle for a handler function.
func (s *Server) handleFunc(pattern string, h http.HandlerFunc) { s.handle(pattern, h) }

// Routes returns the patterns ("METHOD /path/{name}") of every route of
// the REST API the server registered, in order: what openapi.yaml must
// describe. The web UI's routes and the 404 fallbacks are not included.
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ready(ctx); err != nil {
		s.error(w, r, herald.Errorf(herald.EUNAVAILABLE, "not ready: %s", herald.ErrorMessage(err)))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, herald.Errorf(herald.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
}
