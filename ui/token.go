package ui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// Token purposes: each signature covers its purpose, so that a token made
// for one use is refused for another.
const (
	purposeSession = "session"
	purposePortal  = "portal"
	purposeLogin   = "login"
	purposeFlash   = "flash"
)

// claims is what a session cookie or a portal token carries.
type claims struct {
	// Kind is "operator" or "portal".
	Kind string `json:"kind"`
	// KeyID is the operator's API key.
	KeyID string `json:"key_id,omitempty"`
	// Tenant confines the session; "" with Kind operator is every tenant.
	Tenant string `json:"tenant,omitempty"`
	// Caps are the portal's capabilities.
	Caps []string `json:"caps,omitempty"`
	// Agent confines a portal to one agent's webhooks.
	Agent string `json:"agent,omitempty"`
	// EventTypes limit the portal's event picker.
	EventTypes []string `json:"event_types,omitempty"`
	// Nonce keys the session's CSRF token.
	Nonce string `json:"nonce,omitempty"`
	// Exp is when it expires, in unix seconds.
	Exp int64 `json:"exp"`
}

// expired reports whether c is past its expiry at now.
func (c *claims) expired(now time.Time) bool { return now.Unix() >= c.Exp }

// signer signs and checks tokens with the server key.
type signer struct{ key []byte }

// mac is the HMAC-SHA256 of purpose and msg under the server key.
func (s signer) mac(purpose string, msg []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("herald-ui/" + purpose + "\x00"))
	h.Write(msg)
	return h.Sum(nil)
}

// sign returns base64url(JSON of c) "." base64url(MAC).
func (s signer) sign(purpose string, c *claims) string {
	body, _ := json.Marshal(c)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(body) + "." + enc.EncodeToString(s.mac(purpose, body))
}

// verify checks a token of purpose and its expiry, and returns its claims.
func (s signer) verify(purpose, token string, now time.Time) (*claims, error) {
	body64, mac64, ok := strings.Cut(token, ".")
	if !ok {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "the token is malformed")
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(body64)
	mac, err2 := enc.DecodeString(mac64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(purpose, body)) {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "the token's signature is invalid")
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "the token is malformed")
	}
	if c.expired(now) {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "the token expired at %s", time.Unix(c.Exp, 0).UTC().Format(time.RFC3339))
	}
	return &c, nil
}

// csrf is the CSRF token of a session nonce.
func (s signer) csrf(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", []byte(nonce)))
}

// checkCSRF reports whether token is the CSRF token of nonce.
func (s signer) checkCSRF(nonce, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && nonce != "" && hmac.Equal(got, s.mac("csrf", []byte(nonce)))
}

// seal encrypts plain with AES-GCM under a key derived from the server key,
// bound to aad: what a flash cookie carries.
func (s signer) seal(aad string, plain []byte) (string, error) {
	gcm, err := s.gcm()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("read nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, []byte(aad))), nil
}

// open decrypts what seal made for aad.
func (s signer) open(aad, sealed string) ([]byte, error) {
	gcm, err := s.gcm()
	if err != nil {
		return nil, err
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < gcm.NonceSize() {
		return nil, herald.Errorf(herald.EINVALID, "the sealed value is malformed")
	}
	plain, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], []byte(aad))
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "the sealed value is invalid")
	}
	return plain, nil
}

// gcm is the AES-256-GCM of the flash key.
func (s signer) gcm() (cipher.AEAD, error) {
	block, err := aes.NewCipher(s.mac(purposeFlash, nil))
	if err != nil {
		return nil, fmt.Errorf("make cipher: %w", err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("make gcm: %w", err)
	}
	return g, nil
}

// randomString returns n random bytes as base64url.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("ui: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
