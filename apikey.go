package herald

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// API key scopes.
const (
	ScopeAdmin  = "admin"  // every route
	ScopeIngest = "ingest" // the ingestion routes only
)

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "hk_"

// APIKey is a credential for the API. Only the SHA-256 of the key is kept;
// the key itself is shown once, when it is created.
type APIKey struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Scope string `json:"scope"`
	// TenantID confines every request of the key to one tenant; "" (null)
	// is a platform key.
	TenantID   TenantID   `json:"tenant_id"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Key is the plain key, set only in the create response.
	Key string `json:"key,omitempty"`
}

// APIKeyTouchInterval is how often, at most, a key's last_used_at is
// written: a key used all the time costs one write a minute per node.
const APIKeyTouchInterval = time.Minute

// TouchAPIKeyParams says when a key was used.
type TouchAPIKeyParams struct {
	// ID is the key's id.
	ID string
	// UsedAt is the time of use.
	UsedAt time.Time
}

// APIKeyFilter selects API keys.
type APIKeyFilter struct {
	Tenancy Tenancy
}

// NewAPIKey makes a key "hk_" + base64url of 32 random bytes and returns the
// APIKey record (with Key set) ready to be stored.
func NewAPIKey(name, scope string, now time.Time) *APIKey {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("herald: crypto/rand failed: " + err.Error())
	}
	key := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return &APIKey{
		ID:        NewID(PrefixAPIKey, now),
		Name:      name,
		Scope:     scope,
		Prefix:    key[:len(APIKeyPrefix)+6],
		Hash:      HashAPIKey(key),
		CreatedAt: now.UTC(),
		Key:       key,
	}
}

// HashAPIKey returns the hex SHA-256 of a key, the form in which keys are
// stored and looked up. Keys carry 256 random bits, so a fast hash is safe.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return hex.EncodeToString(sum[:])
}

// ValidateAPIKeyInput checks a key's name and scope.
func ValidateAPIKeyInput(name, scope string) error {
	if err := ValidateName("name", name); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" || len(name) > 200 {
		return Errorf(EINVALID, "name: is required, at most 200 characters")
	}
	if scope != ScopeAdmin && scope != ScopeIngest {
		return Errorf(EINVALID, "scope: must be %q or %q, got %q", ScopeAdmin, ScopeIngest, scope)
	}
	return nil
}

// APIKeyStore keeps API keys.
type APIKeyStore interface {
	// CreateAPIKey stores a key (by its hash) for k.TenantID.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// CreateFirstAPIKey stores k (a platform key) only when no key exists
	// yet, and reports whether it did; concurrent first starts create one
	// key between them.
	CreateFirstAPIKey(ctx context.Context, k *APIKey) (bool, error)
	// APIKeyByHash returns the unrevoked key with that hash, whatever its
	// tenant: it is how a request's tenant is found.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// ListAPIKeys returns the keys within f.Tenancy, revoked ones too,
	// oldest first.
	ListAPIKeys(ctx context.Context, f APIKeyFilter) ([]*APIKey, error)
	// RevokeAPIKey marks a key revoked.
	RevokeAPIKey(ctx context.Context, ref Ref) error
	// TouchAPIKey sets a key's last_used_at to p.UsedAt unless it is later
	// already; an unknown key is no error.
	TouchAPIKey(ctx context.Context, p TouchAPIKeyParams) error
}
