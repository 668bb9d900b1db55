package api

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

// hs256 signs claims with testSecret.
func hs256(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// live returns claims valid for an hour, plus extra.
func live(extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func TestJWTVerifierHS256(t *testing.T) {
	v, err := NewJWTVerifier(JWTConfig{Secret: testSecret, Issuer: "https://issuer", Audience: "herald"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	ok := jwt.MapClaims{"iss": "https://issuer", "aud": "herald"}
	c, err := v.Verify(ctx, hs256(t, live(jwt.MapClaims{"iss": "https://issuer", "aud": []string{"other", "herald"}, "agent_id": "a1", "sub": "s"})))
	if err != nil || c.AgentID != "a1" || c.Subject != "s" {
		t.Fatalf("valid token: %+v %v", c, err)
	}
	c, err = v.Verify(ctx, hs256(t, live(jwt.MapClaims{"iss": "https://issuer", "aud": "herald", "sub": "a2"})))
	if err != nil || c.AgentID != "a2" {
		t.Fatalf("sub as agent: %+v %v", c, err)
	}
	c, err = v.Verify(ctx, hs256(t, live(ok)))
	if err != nil || c.AgentID != "" {
		t.Fatalf("token for any agent: %+v %v", c, err)
	}

	wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, live(ok)).SignedString([]byte(strings.Repeat("x", 40)))
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, live(ok)).SignedString([]byte(testSecret))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, live(ok)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	bad := map[string]struct{ token, reason string }{
		"expired":      {hs256(t, jwt.MapClaims{"iss": "https://issuer", "aud": "herald", "exp": time.Now().Add(-time.Hour).Unix()}), "expired"},
		"no exp":       {hs256(t, jwt.MapClaims{"iss": "https://issuer", "aud": "herald"}), "no exp"},
		"not yet":      {hs256(t, live(jwt.MapClaims{"iss": "https://issuer", "aud": "herald", "nbf": time.Now().Add(time.Hour).Unix()})), "nbf"},
		"issuer":       {hs256(t, live(jwt.MapClaims{"iss": "https://evil", "aud": "herald"})), "issuer"},
		"no issuer":    {hs256(t, live(jwt.MapClaims{"aud": "herald"})), "no iss"},
		"no audience":  {hs256(t, live(jwt.MapClaims{"iss": "https://issuer"})), "no aud"},
		"audience":     {hs256(t, live(jwt.MapClaims{"iss": "https://issuer", "aud": "other"})), "audience"},
		"wrong key":    {wrongKey, "signature"},
		"HS512":        {hs512, "algorithm"},
		"alg none":     {none, "algorithm"},
		"garbage":      {"a.b.c", "well-formed"},
		"agent number": {hs256(t, live(jwt.MapClaims{"iss": "https://issuer", "aud": "herald", "agent_id": 7})), "well-formed"},
	}
	for name, b := range bad {
		_, err := v.Verify(ctx, b.token)
		if herald.ErrorCode(err) != herald.EUNAUTHORIZED || !strings.Contains(herald.ErrorMessage(err), b.reason) {
			t.Errorf("%s: got %v, want unauthorized naming %q", name, err, b.reason)
		}
	}
}

func TestJWTVerifierConfig(t *testing.T) {
	if _, err := NewJWTVerifier(JWTConfig{}); err == nil {
		t.Error("no secret and no JWKS accepted")
	}
	if _, err := NewJWTVerifier(JWTConfig{Secret: "short"}); err == nil || !strings.Contains(err.Error(), "32") {
		t.Errorf("short secret: %v", err)
	}
	if _, err := NewJWTVerifier(JWTConfig{JWKSURL: "file:///etc/keys"}); err == nil {
		t.Error("file:// JWKS accepted")
	}
}

// b64 is unpadded base64url.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwksServer serves a JWKS of an RSA key (kid "rsa") and an Ed25519 key
// (kid "ed") on 127.0.0.1.
func jwksServer(t *testing.T) (url string, rsaKey *rsa.PrivateKey, edKey ed25519.PrivateKey) {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig", "n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "OKP", "kid": "ed", "alg": "EdDSA", "use": "sig", "crv": "Ed25519", "x": b64(edPub)},
	}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/.well-known/jwks.json", rsaKey, edKey
}

// signed signs claims with method and key, naming kid in the header.
func signed(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTVerifierJWKS(t *testing.T) {
	url, rsaKey, edKey := jwksServer(t)
	v, err := NewJWTVerifier(JWTConfig{JWKSURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	for name, tok := range map[string]string{
		"RS256":        signed(t, jwt.SigningMethodRS256, "rsa", rsaKey, live(jwt.MapClaims{"agent_id": "a1"})),
		"EdDSA":        signed(t, jwt.SigningMethodEdDSA, "ed", edKey, live(jwt.MapClaims{"agent_id": "a1"})),
		"RS256 no kid": signed(t, jwt.SigningMethodRS256, "", rsaKey, live(jwt.MapClaims{"agent_id": "a1"})),
	} {
		if c, err := v.Verify(ctx, tok); err != nil || c.AgentID != "a1" {
			t.Errorf("%s: %+v %v", name, c, err)
		}
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{
		"other RSA key": signed(t, jwt.SigningMethodRS256, "rsa", other, live(nil)),
		"unknown kid":   signed(t, jwt.SigningMethodRS256, "nope", rsaKey, live(nil)),
		"EdDSA as RSA":  signed(t, jwt.SigningMethodEdDSA, "rsa", edKey, live(nil)),
		"HS256 off":     hs256(t, live(nil)),
		// The RSA public key's bytes as an HMAC secret: the classic
		// algorithm confusion, refused because HS256 is not enabled.
		"HS256 with the public key": signed(t, jwt.SigningMethodHS256, "rsa", rsaKey.PublicKey.N.Bytes(), live(nil)),
		"expired":                   signed(t, jwt.SigningMethodRS256, "rsa", rsaKey, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}),
	} {
		if _, err := v.Verify(ctx, tok); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}
