package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

type ctxKey int

const (
	keyCtx ctxKey = iota
	claimsCtx
	accessCtx
)

// KeyFromContext returns the API key that authenticated the request.
func KeyFromContext(ctx context.Context) *herald.APIKey {
	k, _ := ctx.Value(keyCtx).(*herald.APIKey)
	return k
}

// ClaimsFromContext returns the claims of the JWT that authenticated the
// request, nil when an API key did.
func ClaimsFromContext(ctx context.Context) *JWTClaims {
	c, _ := ctx.Value(claimsCtx).(*JWTClaims)
	return c
}

// authenticateIngest wraps h for the ingestion routes: it accepts an API
// key of scope ingest or admin, as authenticate does, or a bearer JWT that
// Config.JWT verifies, whose Config.JWTTenantClaim names its tenant. A
// bearer credential that starts with the API key prefix (hk_) is always
// taken as a key.
func (s *Server) authenticateIngest(h http.HandlerFunc) http.Handler {
	keys := s.authenticate(herald.ScopeIngest, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		if token == "" && r.Header.Get("X-API-Key") == "" && s.cfg.JWT != nil {
			s.error(w, r, herald.Errorf(herald.EUNAUTHORIZED, "credentials are required: send Authorization: Bearer <API key or JWT> or X-API-Key: <key>"))
			return
		}
		if r.Header.Get("X-API-Key") != "" || token == "" || strings.HasPrefix(token, herald.APIKeyPrefix) {
			keys.ServeHTTP(w, r)
			return
		}
		if s.cfg.JWT == nil {
			if strings.Count(token, ".") == 2 {
				s.error(w, r, herald.Errorf(herald.EUNAUTHORIZED, "JWT authentication is not enabled on this server (--jwt-secret or --jwks-url); send an API key"))
				return
			}
			keys.ServeHTTP(w, r)
			return
		}
		claims, err := s.cfg.JWT.Verify(r.Context(), token)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if claims.TenantID, err = s.jwtTenant(claims); err != nil {
			s.error(w, r, err)
			return
		}
		acc, err := resolveAccess(r, claims.TenantID, false)
		if err != nil {
			s.error(w, r, err)
			return
		}
		h(w, withAccess(r.WithContext(context.WithValue(r.Context(), claimsCtx, claims)), acc))
	})
}

// checkAgent refuses a report for agentID when the request's token is
// bound to another agent.
func checkAgent(r *http.Request, agentID string) error {
	c := ClaimsFromContext(r.Context())
	if c == nil || c.AgentID == "" || c.AgentID == agentID {
		return nil
	}
	return herald.Errorf(herald.EFORBIDDEN, "agent_id: this token may report only for agent %q", c.AgentID)
}

// bearer returns the credential of "Authorization: Bearer <credential>".
func bearer(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// authenticate wraps h so that it runs only for requests carrying a valid
// key (Authorization: Bearer <key> or X-API-Key: <key>) of the given scope
// or admin, and resolves the request's tenant (resolveAccess) for h.
func (s *Server) authenticate(scope string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.Header.Get("X-API-Key")
		if raw == "" {
			raw = bearer(r)
		}
		if raw == "" {
			s.error(w, r, herald.Errorf(herald.EUNAUTHORIZED, "an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>"))
			return
		}
		key, err := s.lookupKey(r.Context(), raw)
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			s.error(w, r, herald.Errorf(herald.EUNAUTHORIZED, "the API key is invalid or revoked"))
			return
		} else if err != nil {
			s.error(w, r, err)
			return
		}
		if key.Scope != herald.ScopeAdmin && key.Scope != scope {
			s.error(w, r, herald.Errorf(herald.EFORBIDDEN, "this key has scope %q; the route needs %q", key.Scope, scope))
			return
		}
		acc, err := resolveAccess(r, string(key.TenantID), true)
		if err != nil {
			s.error(w, r, err)
			return
		}
		h(w, withAccess(r.WithContext(context.WithValue(r.Context(), keyCtx, key)), acc))
	})
}

func (s *Server) lookupKey(ctx context.Context, raw string) (*herald.APIKey, error) {
	hash := herald.HashAPIKey(raw)
	k := s.keys.get(hash)
	if k == nil {
		var err error
		if k, err = s.cfg.Store.APIKeyByHash(ctx, hash); err != nil {
			return nil, err
		}
		s.keys.put(hash, k)
	}
	s.touchKey(ctx, k)
	return k, nil
}

// keyTouches remembers when this node last wrote each key's last_used_at.
type keyTouches struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// touchKey writes k's last_used_at when this node has not written it for
// herald.APIKeyTouchInterval (a minute), so that a key in constant use costs
// one write a minute. A failed write is logged, not answered.
func (s *Server) touchKey(ctx context.Context, k *herald.APIKey) {
	now := s.cfg.Clock.Now()
	t := s.touched
	t.mu.Lock()
	last, ok := t.m[k.ID]
	due := !ok || now.Sub(last) >= herald.APIKeyTouchInterval
	if due {
		if len(t.m) > 10000 {
			clear(t.m)
		}
		t.m[k.ID] = now
	}
	t.mu.Unlock()
	if !due {
		return
	}
	if err := s.cfg.Store.TouchAPIKey(ctx, herald.TouchAPIKeyParams{ID: k.ID, UsedAt: now}); err != nil {
		s.cfg.Logger.Warn("write api key last_used_at", "key", k.ID, "error", err)
	}
}

// keyCache keeps looked-up keys briefly so that a burst of requests does
// not read the database for each; a revocation on another node takes
// effect within the TTL, on this node at once.
type keyCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedKey
}

type cachedKey struct {
	key     *herald.APIKey
	expires time.Time
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, m: map[string]cachedKey{}}
}

func (c *keyCache) get(hash string) *herald.APIKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || time.Now().After(e.expires) {
		delete(c.m, hash)
		return nil
	}
	return e.key
}

func (c *keyCache) put(hash string, k *herald.APIKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[hash] = cachedKey{k, time.Now().Add(c.ttl)}
}

func (c *keyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
