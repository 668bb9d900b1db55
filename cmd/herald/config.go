package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/monitor"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/reply"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/tracing"
	"github.com/heraldhq/herald/ui"
)

// Config is the server's configuration. Each field is read, in rising
// priority, from its default, the config file (--config, JSON with the flag
// names as keys), a HERALD_* environment variable (the flag name in upper
// case with dashes as underscores; --database is HERALD_DATABASE_URL), and
// its command-line flag.
type Config struct {
	// Addr is where the API listens. Default 127.0.0.1:8420.
	Addr string
	// DataDir holds the SQLite file and admin.key. Default ./herald-data.
	DataDir string
	// Database is a sqlite:// URL (default sqlite://<DataDir>/herald.db) or
	// a postgres:// URL, which several nodes can share.
	Database string
	// Role is all (the default), api (accepts requests and queues work) or
	// worker (delivers; serves only /healthz, /readyz and /metrics).
	Role string
	// LogFormat is text (the default) or json; LogLevel is debug, info
	// (the default), warn or error.
	LogFormat string
	LogLevel  string
	// AllowHTTP accepts plain http:// webhook URLs. Default false.
	AllowHTTP bool
	// AllowPrivateTargets lets deliveries reach loopback, private,
	// link-local and metadata addresses. Default false.
	AllowPrivateTargets bool
	// AllowExecRuntime lets agents have exec runtimes, which run programs
	// on this host with Herald's rights. Default false.
	AllowExecRuntime bool
	// StrictEventTypes refuses published events whose type is not in the
	// event catalogue (GET /v1/event-types). Default false.
	StrictEventTypes bool
	// RetrySchedule overrides the default retry schedule (1m, 5m, 15m, 1h,
	// 6h) server-wide, as "1s,2s,5s". A webhook's own schedule wins.
	RetrySchedule string
	// DiscordAPIURL is the Discord API base URL replies are sent to
	// (interaction follow-ups). Default https://discord.com/api/v10.
	DiscordAPIURL string
	// SlackAPIURL is the Slack Web API base URL (chat.postMessage).
	// Default https://slack.com/api.
	SlackAPIURL string
	// TelegramAPIURL is the Telegram Bot API base URL (sendMessage).
	// Default https://api.telegram.org.
	TelegramAPIURL string
	// DisableAfter turns a webhook off when every attempt has failed for
	// this long with at least 10 failed deliveries (--disable-after, such
	// as "5d" or "36h"); 0 never does. Default 5 days.
	DisableAfter time.Duration
	// MaxInFlightPerWebhook caps requests in flight per webhook on a node.
	// Default 8.
	MaxInFlightPerWebhook int
	// Workers is the global delivery worker pool of a node. Default 100.
	Workers int
	// MaxBodyBytes bounds request bodies. Default 1 MiB.
	MaxBodyBytes int64
	// PollInterval is how often idle workers look for due jobs. Default 50ms.
	PollInterval time.Duration
	// RescueAfter is when a job still running is taken to be stuck and run
	// again: the last resort, as a crashed SQLite server's jobs are queued
	// again at its restart and a dead PostgreSQL node's once NodeDeadAfter
	// has passed. It must exceed the longest webhook timeout (300s) plus
	// margins, 330s, so that no request still running is sent again.
	// Default 6m.
	RescueAfter time.Duration
	// NodeHeartbeat is how often a PostgreSQL node that works jobs writes
	// its heartbeat. Default 5s.
	NodeHeartbeat time.Duration
	// NodeDeadAfter is how long a PostgreSQL node may go without a
	// heartbeat before the leader queues its running jobs again; it must
	// exceed NodeHeartbeat. Default 20s.
	NodeDeadAfter time.Duration
	// ShutdownTimeout bounds a graceful stop; jobs still running then go
	// back to the queue. Default 30s.
	ShutdownTimeout time.Duration
	// SQLiteSynchronous is normal (the default; a process crash loses
	// nothing committed) or full (a power failure neither).
	SQLiteSynchronous string
	// HeartbeatTimeout is how long a running agent may stay silent before
	// the heartbeat monitor marks it unresponsive; the monitor runs once
	// per cluster every third of it (at most every 10s). Default 90s.
	HeartbeatTimeout time.Duration
	// AlertInterval is how often the alert rules are evaluated, once per
	// cluster. Default 15s.
	AlertInterval time.Duration
	// JWTSecret lets the ingestion routes take HS256 JWTs signed with it
	// (at least 32 bytes). Default "": none.
	JWTSecret string
	// JWKSURL lets the ingestion routes take RS256, ES256 and EdDSA JWTs
	// signed by a key of this JSON Web Key Set, fetched at start and every
	// hour. Default "": none.
	JWKSURL string
	// JWTIssuer, when set, must be the iss of every JWT. Default "": any.
	JWTIssuer string
	// JWTAudience, when set, must be among the aud of every JWT. Default
	// "": any.
	JWTAudience string
	// JWTTenantClaim names the JWT claim that holds the token's tenant: a
	// token with it reports for that tenant (and a body naming another
	// is refused), one without it for the platform. It must be a claim of
	// its own, not a registered one (exp, iss…) nor agent_id or sub,
	// which name the agent. Default "tenant_id".
	JWTTenantClaim string
	// AllowedIPs, when set, are the only IPs and CIDRs (comma-separated,
	// such as "192.168.1.0/24,10.0.0.1") named inbound webhooks take
	// requests from; each webhook's allowed_ips applies on top. Default
	// "": any.
	AllowedIPs string
	// TrustedProxies are the CIDRs of reverse proxies whose
	// X-Forwarded-For is believed for inbound requests' client IP.
	// Default "": none.
	TrustedProxies string
	// Retention is how long events, with their deliveries and attempts,
	// are kept (--retention, such as "30d" or "36h"); 0 keeps everything.
	// A tenant's own retention wins for its rows. Default 30d.
	Retention time.Duration
	// InboundLogRetention is how long the inbound request log is kept.
	// Default 168h.
	InboundLogRetention time.Duration
	// InboundLogMaxRows is how many requests the inbound request log keeps
	// at most; the oldest go first, at each pruning. Default 100000.
	InboundLogMaxRows int
	// InboundFailureLimit is how many inbound requests a source IP (an
	// IPv6 /64) may have refused before authentication, as REQUESTS/DURATION;
	// beyond it they are answered 429 and not logged. Default "20/1m".
	InboundFailureLimit string
	// UI serves the web UI under /ui/ and lets admin keys mint portal
	// links. Default true; --ui=false turns both off.
	UI bool
	// UISessionTTL is how long an operator's sign-in to the web UI lasts.
	// Default 12h (ui.DefaultSessionTTL), at least 1m.
	UISessionTTL time.Duration
	// UIFrameAncestors is the CSP frame-ancestors of the web UI's pages:
	// the origins that may show them in a frame, such as the platform's
	// own settings page that embeds the portal. Default 'self'.
	UIFrameAncestors string
	// PublicURL is the scheme and host that visitors reach Herald at, such
	// as "https://herald.example.com" when a proxy terminates TLS in front
	// of it. Portal links start with it, and an https one marks the web
	// UI's cookies Secure (the portal's SameSite=None and Partitioned, so
	// that it works in a cross-site iframe). Default "": the scheme and
	// Host of each request.
	PublicURL string
	// Pprof, when set, serves net/http/pprof's /debug/pprof/ on this
	// address, apart from the API; it must be a loopback address such as
	// 127.0.0.1:6060. Default "" (off).
	Pprof string
	// OTelEndpoint turns OpenTelemetry traces on and sends them by OTLP/HTTP
	// to this collector base URL, such as http://localhost:4318 (spans go
	// to its /v1/traces). Traces are also on when OTEL_EXPORTER_OTLP_ENDPOINT
	// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; the exporter reads the
	// other OTEL_* variables itself. Default "": off.
	OTelEndpoint string
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Addr:                  "127.0.0.1:8420",
		DataDir:               "./herald-data",
		Role:                  "all",
		LogFormat:             "text",
		LogLevel:              "info",
		MaxInFlightPerWebhook: delivery.DefaultMaxInFlightPerWebhook,
		DisableAfter:          herald.DefaultDisableAfter,
		DiscordAPIURL:         reply.DefaultDiscordAPI,
		SlackAPIURL:           reply.DefaultSlackAPI,
		TelegramAPIURL:        reply.DefaultTelegramAPI,
		Workers:               queue.DefaultMaxWorkers,
		MaxBodyBytes:          1 << 20,
		PollInterval:          queue.DefaultPollInterval,
		RescueAfter:           queue.DefaultRescueAfter,
		NodeHeartbeat:         postgres.DefaultNodeHeartbeat,
		NodeDeadAfter:         postgres.DefaultNodeDeadAfter,
		ShutdownTimeout:       30 * time.Second,
		SQLiteSynchronous:     "normal",
		HeartbeatTimeout:      herald.DefaultHeartbeatTimeout,
		AlertInterval:         monitor.DefaultAlertInterval,
		Retention:             herald.DefaultRetention,
		InboundLogRetention:   herald.DefaultInboundLogRetention,
		InboundLogMaxRows:     herald.DefaultInboundLogMaxRows,
		InboundFailureLimit:   "20/1m",
		JWTTenantClaim:        api.DefaultJWTTenantClaim,
		UI:                    true,
		UISessionTTL:          ui.DefaultSessionTTL,
		UIFrameAncestors:      ui.DefaultFrameAncestors,
	}
}

// reservedClaims are the JWT claims --jwt-tenant-claim may not name: the
// registered ones, and those that name the agent.
var reservedClaims = []string{"exp", "nbf", "iat", "iss", "aud", "jti", "sub", "agent_id"}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr: %q is not host:port", c.Addr)
	}
	if c.DataDir == "" {
		return fmt.Errorf("data-dir: must not be empty")
	}
	if err := checkDatabaseURL(c.Database); err != nil {
		return err
	}
	switch c.Role {
	case "all", "api", "worker":
	default:
		return fmt.Errorf("role: must be all, api or worker, got %q", c.Role)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format: must be text or json, got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level: must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if _, err := c.Schedule(); err != nil {
		return fmt.Errorf("retry-schedule: %w", err)
	}
	for _, f := range []struct{ flag, value string }{
		{"discord-api-url", c.DiscordAPIURL}, {"slack-api-url", c.SlackAPIURL}, {"telegram-api-url", c.TelegramAPIURL},
	} {
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s: must be an http(s) URL, got %q", f.flag, f.value)
		}
	}
	if c.DisableAfter < 0 {
		return fmt.Errorf("disable-after: must be 0 (off) or more, got %s", c.DisableAfter)
	}
	if c.MaxInFlightPerWebhook < 1 {
		return fmt.Errorf("max-in-flight-per-webhook: must be at least 1, got %d", c.MaxInFlightPerWebhook)
	}
	if c.Workers < 1 {
		return fmt.Errorf("workers: must be at least 1, got %d", c.Workers)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max-body-bytes: must be at least 1024, got %d", c.MaxBodyBytes)
	}
	if c.PollInterval < time.Millisecond {
		return fmt.Errorf("poll-interval: must be at least 1ms, got %s", c.PollInterval)
	}
	if c.RescueAfter <= delivery.MinRescueAfter {
		return fmt.Errorf("rescue-after: must exceed %s (the longest webhook timeout, %ds, plus margins), got %s",
			delivery.MinRescueAfter, herald.MaxTimeoutSeconds, c.RescueAfter)
	}
	if c.NodeHeartbeat < 10*time.Millisecond {
		return fmt.Errorf("node-heartbeat: must be at least 10ms, got %s", c.NodeHeartbeat)
	}
	if c.NodeDeadAfter <= c.NodeHeartbeat {
		return fmt.Errorf("node-dead-after: must exceed --node-heartbeat (%s), got %s", c.NodeHeartbeat, c.NodeDeadAfter)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("shutdown-timeout: must not be negative")
	}
	switch c.SQLiteSynchronous {
	case "normal", "full":
	default:
		return fmt.Errorf("sqlite-synchronous: must be normal or full, got %q", c.SQLiteSynchronous)
	}
	if c.HeartbeatTimeout < 100*time.Millisecond {
		return fmt.Errorf("heartbeat-timeout: must be at least 100ms, got %s", c.HeartbeatTimeout)
	}
	if c.AlertInterval < 10*time.Millisecond {
		return fmt.Errorf("alert-interval: must be at least 10ms, got %s", c.AlertInterval)
	}
	if err := tracing.CheckEndpoint(c.OTelEndpoint); err != nil {
		return fmt.Errorf("otel-endpoint: %w", err)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < api.MinJWTSecretLen {
		return fmt.Errorf("jwt-secret: must be at least %d bytes, got %d", api.MinJWTSecretLen, len(c.JWTSecret))
	}
	if c.JWKSURL != "" {
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("jwks-url: %q is not an absolute http(s) URL", c.JWKSURL)
		}
	}
	if c.JWTSecret == "" && c.JWKSURL == "" {
		if c.JWTIssuer != "" {
			return fmt.Errorf("jwt-issuer: needs --jwt-secret or --jwks-url")
		}
		if c.JWTAudience != "" {
			return fmt.Errorf("jwt-audience: needs --jwt-secret or --jwks-url")
		}
	}
	if err := checkClaimName(c.JWTTenantClaim); err != nil {
		return fmt.Errorf("jwt-tenant-claim: %w", err)
	}
	if _, err := herald.ParseIPPrefixes(c.AllowedIPs); err != nil {
		return fmt.Errorf("allowed-ips: %w", err)
	}
	if _, err := herald.ParseIPPrefixes(c.TrustedProxies); err != nil {
		return fmt.Errorf("trusted-proxies: %w", err)
	}
	if c.Retention < 0 || (c.Retention > 0 && c.Retention < herald.MinRetention) {
		return fmt.Errorf("retention: must be 0 (keep everything) or at least %s, got %s",
			herald.FormatDuration(herald.MinRetention), herald.FormatDuration(c.Retention))
	}
	if c.InboundLogRetention < time.Second {
		return fmt.Errorf("inbound-log-retention: must be at least 1s, got %s", c.InboundLogRetention)
	}
	if c.InboundLogMaxRows < 1 {
		return fmt.Errorf("inbound-log-max-rows: must be at least 1, got %d", c.InboundLogMaxRows)
	}
	if _, err := parseRateLimit(c.InboundFailureLimit); err != nil {
		return fmt.Errorf("inbound-failure-limit: %w", err)
	}
	if c.UISessionTTL < time.Minute {
		return fmt.Errorf("ui-session-ttl: must be at least 1m, got %s", c.UISessionTTL)
	}
	if err := validPublicURL(c.PublicURL); err != nil {
		return fmt.Errorf("public-url: %w", err)
	}
	if strings.TrimSpace(c.UIFrameAncestors) == "" || strings.ContainsAny(c.UIFrameAncestors, ";,\r\n") {
		return fmt.Errorf("ui-frame-ancestors: must be a CSP source list such as \"'self' https://app.example.com\", got %q", c.UIFrameAncestors)
	}
	if err := validPprofAddr(c.Pprof); err != nil {
		return err
	}
	return nil
}

// checkClaimName checks the name of the JWT tenant claim.
func checkClaimName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty (default %q)", api.DefaultJWTTenantClaim)
	case len(name) > 128:
		return fmt.Errorf("at most 128 characters, got %d", len(name))
	case strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("%q must not hold spaces or control characters", name)
	case slices.Contains(reservedClaims, name):
		return fmt.Errorf("%q is a claim with a meaning of its own; name another, such as %q", name, api.DefaultJWTTenantClaim)
	}
	return nil
}

// Schedule parses RetrySchedule; nil means the default schedule.
func (c *Config) Schedule() (herald.Durations, error) {
	if strings.TrimSpace(c.RetrySchedule) == "" {
		return nil, nil
	}
	return herald.ParseDurations(c.RetrySchedule)
}

// DatabasePath returns the SQLite file: from Database, or DataDir/herald.db.
func (c *Config) DatabasePath() string {
	if c.Database == "" {
		return filepath.Join(c.DataDir, "herald.db")
	}
	p, err := sqlite.ParseURL(c.Database)
	if err != nil {
		return c.Database
	}
	return p
}

// bindFlags registers the server flags on fs, bound to c's fields.
func (c *Config) bindFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "config file (JSON, keys are flag names)")
	fs.StringVar(&c.Addr, "addr", c.Addr, "address the API listens on")
	fs.StringVar(&c.Database, "database", c.Database, "database URL: sqlite://… or postgres://… (default sqlite://<data-dir>/herald.db)")
	fs.StringVar(&c.Role, "role", c.Role, "node role: all, api or worker")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.BoolVar(&c.AllowHTTP, "allow-http", c.AllowHTTP, "accept plain http:// webhook URLs (development)")
	fs.BoolVar(&c.AllowPrivateTargets, "allow-private-targets", c.AllowPrivateTargets, "let deliveries reach loopback and private addresses (development)")
	fs.BoolVar(&c.AllowExecRuntime, "allow-exec-runtime", c.AllowExecRuntime, "let agents have exec runtimes, which run programs on this host")
	fs.BoolVar(&c.StrictEventTypes, "strict-event-types", c.StrictEventTypes, "refuse published events whose type is not in the event catalogue")
	fs.StringVar(&c.RetrySchedule, "retry-schedule", c.RetrySchedule, "server-wide retry schedule, e.g. 1s,2s,5s (default 1m,5m,15m,1h,6h)")
	fs.StringVar(&c.DiscordAPIURL, "discord-api-url", c.DiscordAPIURL, "Discord API base URL for replies to interactions")
	fs.StringVar(&c.SlackAPIURL, "slack-api-url", c.SlackAPIURL, "Slack Web API base URL for replies (chat.postMessage)")
	fs.StringVar(&c.TelegramAPIURL, "telegram-api-url", c.TelegramAPIURL, "Telegram Bot API base URL for replies (sendMessage)")
	fs.Var((*longDuration)(&c.DisableAfter), "disable-after", "turn a webhook off when every attempt has failed this long (with 10+ failed deliveries), e.g. 5d or 36h; 0 never")
	fs.IntVar(&c.MaxInFlightPerWebhook, "max-in-flight-per-webhook", c.MaxInFlightPerWebhook, "requests in flight per webhook per node")
	fs.IntVar(&c.Workers, "workers", c.Workers, "delivery workers per node")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest request body accepted")
	fs.DurationVar(&c.PollInterval, "poll-interval", c.PollInterval, "how often idle workers look for due deliveries")
	fs.DurationVar(&c.RescueAfter, "rescue-after", c.RescueAfter, "when a job still running is taken to be stuck and run again (last resort; must exceed 5m30s)")
	fs.DurationVar(&c.NodeHeartbeat, "node-heartbeat", c.NodeHeartbeat, "how often a PostgreSQL node writes its heartbeat")
	fs.DurationVar(&c.NodeDeadAfter, "node-dead-after", c.NodeDeadAfter, "how long a silent PostgreSQL node may go before its running jobs are queued again")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a graceful stop waits for running deliveries")
	fs.StringVar(&c.SQLiteSynchronous, "sqlite-synchronous", c.SQLiteSynchronous, "SQLite durability: normal or full")
	fs.DurationVar(&c.HeartbeatTimeout, "heartbeat-timeout", c.HeartbeatTimeout, "how long a running agent may stay silent before it is marked unresponsive")
	fs.DurationVar(&c.AlertInterval, "alert-interval", c.AlertInterval, "how often alert rules are evaluated")
	fs.StringVar(&c.JWTSecret, "jwt-secret", c.JWTSecret, "accept HS256 JWTs signed with this secret (32+ bytes) on the ingestion routes; prefer HERALD_JWT_SECRET")
	fs.StringVar(&c.JWKSURL, "jwks-url", c.JWKSURL, "accept RS256, ES256 and EdDSA JWTs signed by a key of this JWKS on the ingestion routes")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", c.JWTIssuer, "required iss of JWTs (default: any)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", c.JWTAudience, "required aud of JWTs (default: any)")
	fs.StringVar(&c.JWTTenantClaim, "jwt-tenant-claim", c.JWTTenantClaim, "the JWT claim that names the token's tenant")
	fs.StringVar(&c.AllowedIPs, "allowed-ips", c.AllowedIPs, "IPs and CIDRs, comma-separated, that named inbound webhooks take requests from (default: any)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "CIDRs of proxies whose X-Forwarded-For is believed for inbound requests (default: none)")
	fs.Var((*longDuration)(&c.Retention), "retention", "how long events, deliveries and attempts are kept, e.g. 30d or 36h; 0 keeps everything (a tenant's own retention wins)")
	fs.DurationVar(&c.InboundLogRetention, "inbound-log-retention", c.InboundLogRetention, "how long the inbound request log is kept")
	fs.IntVar(&c.InboundLogMaxRows, "inbound-log-max-rows", c.InboundLogMaxRows, "how many requests the inbound request log keeps at most; the oldest go first")
	fs.BoolVar(&c.UI, "ui", c.UI, "serve the web UI under /ui/ and let admin keys mint portal links")
	fs.DurationVar(&c.UISessionTTL, "ui-session-ttl", c.UISessionTTL, "how long an operator's sign-in to the web UI lasts")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "scheme and host visitors reach Herald at, such as https://herald.example.com behind a TLS proxy (default: each request's own)")
	fs.StringVar(&c.Pprof, "pprof", c.Pprof, "serve net/http/pprof on this loopback address, such as 127.0.0.1:6060 (default off)")
	fs.StringVar(&c.UIFrameAncestors, "ui-frame-ancestors", c.UIFrameAncestors, "CSP frame-ancestors of the web UI: who may embed the portal in a frame")
	fs.StringVar(&c.OTelEndpoint, "otel-endpoint", c.OTelEndpoint, "send OpenTelemetry traces by OTLP/HTTP to this collector, e.g. http://localhost:4318 (default: off, unless OTEL_EXPORTER_OTLP_ENDPOINT is set)")
	fs.StringVar(&c.InboundFailureLimit, "inbound-failure-limit", c.InboundFailureLimit, "how many inbound requests per source IP may fail authentication, as REQUESTS/DURATION; beyond it they get 429 and are not logged")
}

// envName is the environment variable of a flag.
func envName(flag string) string {
	if flag == "database" {
		return "HERALD_DATABASE_URL"
	}
	return "HERALD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// loadConfig fills c from the config file and the environment for every
// flag of cmd not set on the command line, then validates it.
func (c *Config) load(cmd *cobra.Command) error {
	fs := cmd.Flags()
	file := map[string]any{}
	path, _ := fs.GetString("config")
	if path == "" {
		path = os.Getenv("HERALD_CONFIG")
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // keep 1048576 from becoming 1.048576e+06
		if err := dec.Decode(&file); err != nil {
			return fmt.Errorf("config: %s is not a JSON object: %w", path, err)
		}
		for k := range file {
			if fs.Lookup(k) == nil {
				return fmt.Errorf("config: %s: unknown setting %q", path, k)
			}
		}
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "config" {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", envName(f.Name), e)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			s := fmt.Sprint(v)
			if list, isList := v.([]any); isList {
				parts := make([]string, len(list))
				for i, p := range list {
					parts[i] = fmt.Sprint(p)
				}
				s = strings.Join(parts, ",")
			}
			if e := fs.Set(f.Name, s); e != nil {
				err = fmt.Errorf("config: %s: %w", f.Name, e)
			}
		}
	})
	if err != nil {
		return err
	}
	if f := fs.Lookup("data-dir"); f != nil {
		c.DataDir = f.Value.String()
	}
	return c.Validate()
}

// longDuration is a flag holding a duration given as time.ParseDuration
// reads it ("36h") or in whole days ("5d").
type longDuration time.Duration

// String writes the duration in days when it is whole days ("5d").
func (d *longDuration) String() string {
	v := time.Duration(*d)
	if v > 0 && v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return herald.FormatDuration(v)
}

// Set reads "5d", "36h" or "0".
func (d *longDuration) Set(s string) error {
	v, err := herald.ParseLongDuration(s)
	if err != nil {
		return err
	}
	*d = longDuration(v)
	return nil
}

// Type names the flag's value in help.
func (d *longDuration) Type() string { return "duration" }

// validPublicURL checks a --public-url: empty, or an absolute http or https
// URL with a host and nothing after it but an optional "/".
func validPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http or https URL such as https://herald.example.com, got %q", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must be a scheme and host only, such as https://herald.example.com, got %q", s)
	}
	return nil
}
