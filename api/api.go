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
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{}))
	if s.cfg.WorkerOnly {
		s.mux.HandleFunc("/", s.notFound)
		return
	}

	// Every admin route is confined to the key's tenant, or for a
	// platform key to the tenant of X-Herald-Tenant or ?tenant_id= (see
	// tenancyOf); platform routes refuse tenant keys.
	admin := func(h http.HandlerFunc) http.Handler { return s.authenticate(herald.ScopeAdmin, h) }
	platform := s.platformOnly

	s.mux.Handle("PUT /v1/tenants/{id}", platform(s.putTenant))
	s.mux.Handle("GET /v1/tenants", platform(s.listTenants))
	s.mux.Handle("GET /v1/tenants/{$}", platform(s.listTenants))
	s.mux.Handle("GET /v1/tenants/{id}", platform(s.getTenant))
	s.mux.Handle("DELETE /v1/tenants/{id}", platform(s.deleteTenant))
	s.mux.Handle("POST /v1/tenants/{id}/portal", platform(s.portalLink))
	s.mux.Handle("/v1/tenants/", platform(s.notFound))

	s.mux.Handle("POST /v1/webhooks", admin(s.createWebhook))
	s.mux.Handle("POST /v1/webhooks/{$}", admin(s.createWebhook))
	s.mux.Handle("GET /v1/webhooks", admin(s.listWebhooks))
	s.mux.Handle("GET /v1/webhooks/{$}", admin(s.listWebhooks))
	s.mux.Handle("GET /v1/webhooks/{id}", admin(s.getWebhook))
	s.mux.Handle("PATCH /v1/webhooks/{id}", admin(s.updateWebhook))
	s.mux.Handle("DELETE /v1/webhooks/{id}", admin(s.deleteWebhook))
	s.mux.Handle("POST /v1/webhooks/{id}/test", admin(s.testWebhook))
	s.mux.Handle("POST /v1/webhooks/{id}/secret/rotate", admin(s.rotateWebhookSecret))
	s.mux.Handle("GET /v1/webhooks/{id}/health", admin(s.webhookHealth))
	s.mux.Handle("GET /v1/webhooks/{id}/deliveries", admin(s.listDeliveries))
	s.mux.Handle("GET /v1/webhooks/{id}/deliveries/{delivery_id}", admin(s.getDelivery))
	s.mux.Handle("POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry", admin(s.retryDelivery))
	s.mux.Handle("GET /v1/deliveries/stats", admin(s.deliveryStats))

	s.mux.Handle("POST /v1/events", admin(s.publishEvent))
	s.mux.Handle("GET /v1/events", admin(s.listEvents))
	s.mux.Handle("GET /v1/events/{id}", admin(s.getEvent))

	// Recover and replay: each starts an operation, a durable job.
	s.mux.Handle("POST /v1/webhooks/{id}/recover", admin(s.recoverWebhook))
	s.mux.Handle("POST /v1/webhooks/{id}/replay-missing", admin(s.replayMissing))
	s.mux.Handle("POST /v1/events/{id}/replay", admin(s.replayEvent))
	s.mux.Handle("GET /v1/operations", admin(s.listOperations))
	s.mux.Handle("GET /v1/operations/{$}", admin(s.listOperations))
	s.mux.Handle("GET /v1/operations/{id}", admin(s.getOperation))

	// The event catalogue: every key reads it, platform keys change it.
	s.mux.Handle("GET /v1/event-types", admin(s.listEventTypes))
	s.mux.Handle("GET /v1/event-types/{$}", admin(s.listEventTypes))
	s.mux.Handle("GET /v1/event-types/{name}", admin(s.getEventType))
	s.mux.Handle("PUT /v1/event-types/{name}", platform(s.putEventType))
	s.mux.Handle("DELETE /v1/event-types/{name}", platform(s.deleteEventType))

	s.mux.Handle("GET /v1/stats", platform(s.stats))

	s.mux.Handle("GET /v1/keys", admin(s.listKeys))
	s.mux.Handle("POST /v1/keys", admin(s.createKey))
	s.mux.Handle("DELETE /v1/keys/{id}", admin(s.revokeKey))

	// Ingestion: agents report their status, deployments and metrics.
	for _, prefix := range []string{"", "/v1"} {
		s.mux.Handle("POST "+prefix+"/ingest/agent-status", s.authenticateIngest(s.ingestAgentStatus))
		s.mux.Handle("POST "+prefix+"/ingest/deployment", s.authenticateIngest(s.ingestDeployment))
		s.mux.Handle("POST "+prefix+"/ingest/metrics", s.authenticateIngest(s.ingestMetrics))
	}

	s.mux.Handle("GET /v1/agents", admin(s.listAgents))
	s.mux.Handle("GET /v1/agents/{$}", admin(s.listAgents))
	s.mux.Handle("GET /v1/agents/{id}", admin(s.getAgent))
	s.mux.Handle("GET /v1/agents/{id}/logs", admin(s.agentLogs))
	s.mux.Handle("GET /v1/agents/{id}/metrics", admin(s.agentMetrics))
	s.mux.Handle("GET /v1/deployments", admin(s.listDeployments))
	s.mux.Handle("GET /v1/deployments/{$}", admin(s.listDeployments))
	s.mux.Handle("GET /v1/deployments/{id}", admin(s.getDeployment))

	s.mux.Handle("POST /v1/alerts", admin(s.createAlert))
	s.mux.Handle("POST /v1/alerts/{$}", admin(s.createAlert))
	s.mux.Handle("GET /v1/alerts", admin(s.listAlerts))
	s.mux.Handle("GET /v1/alerts/{$}", admin(s.listAlerts))
	s.mux.Handle("GET /v1/alerts/{id}", admin(s.getAlert))
	s.mux.Handle("PATCH /v1/alerts/{id}", admin(s.updateAlert))
	s.mux.Handle("DELETE /v1/alerts/{id}", admin(s.deleteAlert))

	// Agent invocations (seed 002's generic webhook): agents and their
	// runtimes, the generic endpoint's secret, and the invocation records.
	s.mux.Handle("POST /v1/agents", admin(s.createAgent))
	s.mux.Handle("POST /v1/agents/{$}", admin(s.createAgent))
	s.mux.Handle("PATCH /v1/agents/{id}", admin(s.updateAgent))
	s.mux.Handle("GET /v1/inbound/secrets/{name}", platform(s.getInboundSecret))
	s.mux.Handle("PUT /v1/inbound/secrets/{name}", platform(s.setInboundSecret))
	s.mux.Handle("DELETE /v1/inbound/secrets/{name}", platform(s.deleteInboundSecret))
	s.mux.Handle("GET /v1/invocations", admin(s.listInvocations))
	s.mux.Handle("GET /v1/invocations/{$}", admin(s.listInvocations))
	s.mux.Handle("GET /v1/invocations/{id}", s.invocationStatus(admin(s.getInvocation)))
	s.mux.HandleFunc("POST /api/webhooks/generic", s.receiveGeneric)

	// Named inbound webhooks (seed 002): managed with an admin key,
	// received with the webhook's secret: the platform's under
	// /api/webhooks/{name}, a tenant's under
	// /api/tenants/{tenant}/webhooks/{name}.
	s.mux.Handle("POST /api/webhooks", admin(s.createInbound))
	s.mux.Handle("GET /api/webhooks", admin(s.listInbound))
	s.mux.Handle("GET /api/webhooks/{name}", admin(s.getInbound))
	s.mux.Handle("PUT /api/webhooks/{name}", admin(s.updateInbound))
	s.mux.Handle("DELETE /api/webhooks/{name}", admin(s.deleteInbound))
	s.mux.Handle("GET /api/webhooks/{name}/requests", admin(s.listInboundRequests))
	s.mux.HandleFunc("POST /api/webhooks/{name}", s.receiveInbound)
	s.mux.HandleFunc("POST /api/webhooks/{name}/trigger", s.triggerInbound)
	// Slack's interactive components URL, for the webhook named slack.
	s.mux.HandleFunc("POST /api/webhooks/slack/interactive", s.receiveSlackInteractive)
	s.mux.HandleFunc("POST /api/tenants/{tenant}/webhooks/{name}", s.receiveInbound)
	s.mux.HandleFunc("POST /api/tenants/{tenant}/webhooks/{name}/trigger", s.triggerInbound)
	s.mux.HandleFunc("POST /api/tenants/{tenant}/webhooks/slack/interactive", s.receiveSlackInteractive)

	// The web UI and the tenant portal (package ui): its pages under /ui/
	// and the redirect of / to them.
	if s.cfg.UI != nil {
		s.cfg.UI.Register(s.mux)
	}

	s.mux.Handle("/v1/", admin(s.notFound))
	s.mux.HandleFunc("/", s.notFound)
}

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
