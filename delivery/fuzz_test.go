package delivery

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// FuzzParseRetryAfter: any Retry-After gives a wait of zero or more, and
// a whole number of seconds gives that many, up to herald.MaxRetryDelay.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", " 30 ", "-5", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 04 Dec 2026 05:00:00 GMT",
		"9223372036854775807", "99999999999", "soon"} {
		f.Add(s, int64(1_764_824_400))
	}
	f.Fuzz(func(t *testing.T, v string, unix int64) {
		now := time.Unix(unix, 0)
		d := parseRetryAfter(v, now)
		if d < 0 {
			t.Fatalf("%q at %v: %v", v, now, d)
		}
		if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
			want := herald.MaxRetryDelay
			if secs < int(herald.MaxRetryDelay/time.Second) {
				want = time.Duration(secs) * time.Second
			}
			if d != want {
				t.Fatalf("%q: %v, want %v", v, d, want)
			}
		}
	})
}
