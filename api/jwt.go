package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
)

// JWT verification defaults.
const (
	// DefaultJWKSRefresh is how often a JWKS is fetched again: 1h. A token
	// whose kid is not in the cached set also triggers a fetch, at most
	// once per 5 minutes.
	DefaultJWKSRefresh = time.Hour
	// DefaultJWKSTimeout bounds each JWKS fetch: 10s.
	DefaultJWKSTimeout = 10 * time.Second
	// JWTLeeway is the clock skew allowed on exp and nbf: 30s.
	JWTLeeway = 30 * time.Second
	// MinJWTSecretLen is the shortest HS256 secret accepted: 32 bytes, the
	// size of the hash (RFC 7518, section 3.2).
	MinJWTSecretLen = 32
)

// JWTConfig configures bearer-token (JWT) authentication of the ingestion
// routes. At least one of Secret and JWKSURL must be set.
type JWTConfig struct {
	// Secret verifies HS256 tokens; "" accepts none. At least
	// MinJWTSecretLen bytes.
	Secret string
	// JWKSURL is a JSON Web Key Set whose keys verify RS256, ES256 and
	// EdDSA tokens; "" accepts none. It is fetched when the verifier is
	// made (a failure is logged, not fatal), every RefreshInterval, and
	// when a token names an unknown kid.
	JWKSURL string
	// Issuer, when set, must equal the token's iss.
	Issuer string
	// Audience, when set, must be one of the token's aud.
	Audience string
	// RefreshInterval is how often the JWKS is fetched again. Default
	// DefaultJWKSRefresh.
	RefreshInterval time.Duration
	// HTTPClient fetches the JWKS. Default a client with a
	// DefaultJWKSTimeout timeout.
	HTTPClient *http.Client
	// Logger receives JWKS fetch failures. Default slog.Default().
	Logger *slog.Logger
	// Clock tells the time against which exp and nbf are checked. Default
	// the system clock.
	Clock herald.Clock
}

// JWTClaims is what a verified token says about its bearer.
type JWTClaims struct {
	// AgentID is the agent the token may report for: its agent_id claim,
	// else its sub; "" when it has neither, which lets it report for any
	// agent.
	AgentID string
	// Subject is the sub claim.
	Subject string
	// TenantID is the tenant the token reports for, "" for the platform:
	// the claim Config.JWTTenantClaim names, which the server reads (with
	// Claim) once the token is verified.
	TenantID string

	all map[string]any
}

// Claim returns one claim of the token, as JSON decoded it, and whether
// the token has it.
func (c *JWTClaims) Claim(name string) (any, bool) {
	v, ok := c.all[name]
	return v, ok
}

// ingestClaims are the claims read from a token: those Herald knows, and
// all of them by name.
type ingestClaims struct {
	AgentID string `json:"agent_id,omitempty"`
	jwt.RegisteredClaims
	all map[string]any
}

// UnmarshalJSON reads the known claims and keeps every claim by name.
func (c *ingestClaims) UnmarshalJSON(b []byte) error {
	type known ingestClaims
	var k known
	if err := json.Unmarshal(b, &k); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &k.all); err != nil {
		return err
	}
	*c = ingestClaims(k)
	return nil
}

// JWTVerifier checks the bearer tokens of the ingestion routes. Make it
// with NewJWTVerifier and stop its JWKS refresh with Close.
type JWTVerifier struct {
	cfg     JWTConfig
	parser  *jwt.Parser
	jwks    keyfunc.Keyfunc // nil without JWKSURL
	methods []string
	cancel  context.CancelFunc
}

// NewJWTVerifier checks cfg and returns a verifier; with a JWKSURL it
// fetches the key set once before returning (a failure is logged and the
// fetch retried later) and refreshes it in the background until Close.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	if cfg.Secret == "" && cfg.JWKSURL == "" {
		return nil, errors.New("jwt: a secret or a JWKS URL is required")
	}
	if cfg.Secret != "" && len(cfg.Secret) < MinJWTSecretLen {
		return nil, fmt.Errorf("jwt secret: must be at least %d bytes", MinJWTSecretLen)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = herald.SystemClock{}
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultJWKSRefresh
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultJWKSTimeout}
	}
	v := &JWTVerifier{cfg: cfg, cancel: func() {}}
	if cfg.Secret != "" {
		v.methods = append(v.methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSURL != "" {
		if err := checkJWKSURL(cfg.JWKSURL); err != nil {
			return nil, err
		}
		v.methods = append(v.methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg(), jwt.SigningMethodEdDSA.Alg())
		ctx, cancel := context.WithCancel(context.Background())
		logger := cfg.Logger
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
			Client:          cfg.HTTPClient,
			HTTPTimeout:     DefaultJWKSTimeout,
			RefreshInterval: cfg.RefreshInterval,
			// A token with an unknown kid must not wait for the refresh
			// rate limit: it fails at once instead.
			RateLimitWaitMax: time.Millisecond,
			RefreshErrorHandlerFunc: func(u string) func(ctx context.Context, err error) {
				return func(ctx context.Context, err error) {
					logger.Warn("cannot fetch the JWKS", "url", u, "error", err)
				}
			},
		})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("jwks: %w", err)
		}
		v.jwks, v.cancel = kf, cancel
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(JWTLeeway),
		jwt.WithTimeFunc(cfg.Clock.Now),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// checkJWKSURL checks that u is an absolute http or https URL.
func checkJWKSURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return fmt.Errorf("jwks url: %q is not an absolute http(s) URL", u)
	}
	return nil
}

// Close stops the JWKS refresh. It is safe to call on a nil verifier.
func (v *JWTVerifier) Close() {
	if v != nil {
		v.cancel()
	}
}

// Verify checks a token's signature (HS256 with the secret; RS256, ES256
// or EdDSA with a JWKS key), its exp (required) and nbf, and its iss and
// aud when configured. Failures are EUNAUTHORIZED errors saying why.
func (v *JWTVerifier) Verify(ctx context.Context, token string) (*JWTClaims, error) {
	var c ingestClaims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() == jwt.SigningMethodHS256.Alg() {
			return []byte(v.cfg.Secret), nil
		}
		if v.jwks == nil {
			return nil, jwt.ErrTokenUnverifiable
		}
		return v.jwks.KeyfuncCtx(ctx)(t)
	})
	if err != nil {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "the bearer token is not valid: %s", v.reason(err))
	}
	out := &JWTClaims{AgentID: c.AgentID, Subject: c.Subject, all: c.all}
	if out.AgentID == "" {
		out.AgentID = c.Subject
	}
	return out, nil
}

// reason explains a verification failure without echoing the token.
func (v *JWTVerifier) reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "it is not a well-formed JWT"
	case strings.Contains(err.Error(), "signing method"):
		return fmt.Sprintf("its algorithm is not one of %s", strings.Join(v.methods, ", "))
	case errors.Is(err, keyfunc.ErrKeyfunc):
		return "no key of the JWKS matches its kid"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "it cannot be verified"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "its signature does not verify"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		for _, claim := range []string{"exp", "iss", "aud"} {
			if strings.Contains(err.Error(), claim+" claim is required") {
				return "it has no " + claim + " claim"
			}
		}
		return "it lacks a required claim"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "it has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "it is not valid yet (nbf)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return fmt.Sprintf("its issuer is not %q", v.cfg.Issuer)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fmt.Sprintf("its audience does not include %q", v.cfg.Audience)
	}
	return "it cannot be verified"
}
