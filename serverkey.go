package herald

import (
	"context"
	"time"
)

// ServerKeyUI names the server key that signs the web UI's session cookies
// and portal tokens.
const ServerKeyUI = "ui"

// ServerKeyLen is the length of a server key made by the UI, in bytes.
const ServerKeyLen = 32

// ServerKeyParams asks for the server key named Name, storing New as it when
// no key of that name exists yet.
type ServerKeyParams struct {
	// Name names the key, such as ServerKeyUI.
	Name string
	// New is the key stored when none is; at least 16 bytes.
	New []byte
	// Now is when a new key is created.
	Now time.Time
}

// ServerKeyStore keeps the server's own secret keys, which every node of a
// cluster shares through the database.
type ServerKeyStore interface {
	// ServerKey returns the key named p.Name, first storing p.New as it
	// when none is stored yet: nodes starting at once all get the one key
	// stored first.
	ServerKey(ctx context.Context, p ServerKeyParams) ([]byte, error)
}
