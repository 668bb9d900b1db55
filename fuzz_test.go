package herald_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// FuzzDurationJSON: Duration and Durations read any JSON without
// panicking, name their errors, and what they read writes back to the
// same value.
func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"5m"`, `300`, `1.5`, `null`, `"-1h30m"`, `["1s","2m",3]`, `[]`, `"soon"`, `[true]`, `{}`, `1e300`, `"9223372036854775807ns"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d herald.Duration
		if err := json.Unmarshal(b, &d); err == nil {
			out, err := json.Marshal(d)
			if err != nil {
				t.Fatalf("marshal %v: %v", d, err)
			}
			var back herald.Duration
			if err := json.Unmarshal(out, &back); err != nil || back != d {
				t.Fatalf("%s read as %v, written %s, read back as %v (%v)", b, d, out, back, err)
			}
		}
		var ds herald.Durations
		if err := json.Unmarshal(b, &ds); err == nil {
			out, _ := json.Marshal(ds)
			var back herald.Durations
			if err := json.Unmarshal(out, &back); err != nil || len(back) != len(ds) {
				t.Fatalf("%s read as %v, written %s, read back as %v (%v)", b, ds, out, back, err)
			}
			for i := range ds {
				if back[i] != ds[i] {
					t.Fatalf("%s: entry %d %v read back as %v", b, i, ds[i], back[i])
				}
			}
		}
		if ds, err := herald.ParseDurations(string(b)); err == nil {
			parts := make([]string, len(ds))
			for i, d := range ds {
				parts[i] = d.String()
			}
			back, err := herald.ParseDurations(strings.Join(parts, ","))
			if err != nil || len(back) != len(ds) {
				t.Fatalf("%q parsed as %v, read back as %v (%v)", b, ds, back, err)
			}
		}
	})
}

// FuzzLogEntryJSON: a log entry reads any JSON without panicking, and one
// it reads keeps its message through a write and a read.
func FuzzLogEntryJSON(f *testing.F) {
	for _, s := range []string{`"booting"`, `{"level":"warn","message":"disk","timestamp":"2026-01-02T15:04:05Z"}`, `{"message":"a\u0000b"}`,
		`{"level":"x"}`, `3`, `null`, `{"message":"m","timestamp":"soon"}`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var l herald.LogEntry
		if json.Unmarshal(b, &l) != nil {
			return
		}
		l.Normalize(time.Unix(1_700_000_000, 0))
		out, err := json.Marshal(l)
		if err != nil {
			return // a timestamp outside what JSON times hold
		}
		var back herald.LogEntry
		if err := json.Unmarshal(out, &back); err != nil || back.Message != l.Message || back.Level != l.Level || !back.Timestamp.Equal(l.Timestamp) {
			t.Fatalf("%s read as %+v, written %s, read back as %+v (%v)", b, l, out, back, err)
		}
	})
}

// FuzzValidateWebhookURL: a URL it accepts is valid UTF-8 without NUL, has
// an http(s) scheme and a host, and can be requested.
func FuzzValidateWebhookURL(f *testing.F) {
	for _, s := range []string{"https://example.com/hook", "http://127.0.0.1:8080/x?a=1", "https://user:pw@example.com", "ftp://x", "https://", "//example.com",
		"https://example.com/\x00", "https://example.com/\xff", "https://[::1]:443/", "HTTPS://EXAMPLE.COM"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, u string, allowHTTP bool) {
		err := herald.ValidateWebhookURL(u, herald.URLPolicy{AllowHTTP: allowHTTP})
		if err != nil {
			if herald.ErrorCode(err) != herald.EINVALID || !strings.HasPrefix(herald.ErrorMessage(err), "url: ") {
				t.Fatalf("%q: %v, want an invalid url error", u, err)
			}
			return
		}
		if !utf8.ValidString(u) || strings.IndexByte(u, 0) >= 0 {
			t.Fatalf("%q accepted", u)
		}
		req, err := http.NewRequest(http.MethodPost, u, nil)
		if err != nil || req.URL.Hostname() == "" || req.URL.Scheme != "https" && !(allowHTTP && req.URL.Scheme == "http") {
			t.Fatalf("%q accepted, but requests as %v (%v)", u, req, err)
		}
	})
}

// FuzzParseIPPrefix: a prefix it parses is valid, masked, and parses back
// from its text to itself.
func FuzzParseIPPrefix(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "::1", "192.168.1.0/24", "192.168.1.7/24", "::ffff:10.0.0.1", " 10.0.0.1 ", "10.0.0.1/33", "fe80::1%eth0", "", "/", "1.2.3.4,5.6.7.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := herald.ParseIPPrefix(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() {
			t.Fatalf("%q parsed as %v", s, p)
		}
		back, err := herald.ParseIPPrefix(p.String())
		if err != nil || back != p {
			t.Fatalf("%q parsed as %v, read back as %v (%v)", s, p, back, err)
		}
		if !strings.Contains(s, "/") && !p.Contains(netip.MustParseAddr(p.Addr().String())) {
			t.Fatalf("%q: %v does not hold its address", s, p)
		}
	})
}
