package herald

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// ID prefixes name the kind of every identifier Herald generates.
const (
	PrefixWebhook  = "wh_"
	PrefixEvent    = "evt_"
	PrefixDelivery = "dlv_"
	PrefixAttempt  = "att_"
	PrefixAPIKey   = "key_"
)

// crockford is the lowercase Crockford base32 alphabet; it sorts like the
// numbers it encodes, so IDs sort by creation time.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix followed by 26 characters: a 48-bit millisecond
// timestamp and 80 random bits in lowercase Crockford base32 (a ULID). IDs
// made later sort after earlier ones, so listing by ID lists by age.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("herald: crypto/rand failed: " + err.Error())
	}
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	// 128 bits in 26 groups of 5 bits; the first group holds the top 3 bits.
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + 26)
	sb.WriteString(prefix)
	sb.Write(out[:])
	return sb.String()
}
