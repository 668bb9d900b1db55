package jsjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhq/herald/jsjson"
)

func FuzzCanonicalize(f *testing.F) {
	for _, s := range trickyInputs() {
		if len(s) < 4096 {
			f.Add([]byte(s))
		}
	}
	for _, s := range generatedInputs(2, 40, 10) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := jsjson.Canonicalize(in)
		if err != nil {
			if !errors.Is(err, jsjson.ErrSyntax) && !errors.Is(err, jsjson.ErrTooDeep) {
				t.Fatalf("error %v wraps neither ErrSyntax nor ErrTooDeep", err)
			}
			// Text that encoding/json accepts is only rejected for
			// invalid UTF-8 or depth.
			if json.Valid(in) && utf8.Valid(in) && !errors.Is(err, jsjson.ErrTooDeep) {
				t.Fatalf("Canonicalize(%q) rejects valid JSON: %v", in, err)
			}
			return
		}
		if !json.Valid(in) || !utf8.Valid(in) {
			t.Fatalf("Canonicalize(%q) accepts invalid JSON", in)
		}
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("Canonicalize(%q) = %q, not valid UTF-8 JSON", in, out)
		}
		again, err := jsjson.Canonicalize(out)
		if err != nil {
			t.Fatalf("Canonicalize(%q) fails on its own output %q: %v", in, out, err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if len(out) > 0 && strings.ContainsAny(string(out[:1]), " \t\r\n") {
			t.Fatalf("output %q starts with whitespace", out)
		}
		// The output means what the input means (encoding/json also keeps
		// the last of duplicate keys and ignores key order). encoding/json
		// turns lone surrogates into U+FFFD, merging keys JavaScript keeps
		// apart, so texts with them are left out.
		var vin, vout any
		if !bytes.Contains(out, []byte(`\ud`)) && json.Unmarshal(in, &vin) == nil {
			if err := json.Unmarshal(out, &vout); err != nil {
				t.Fatalf("encoding/json rejects output %q: %v", out, err)
			}
			if !reflect.DeepEqual(vin, vout) {
				t.Fatalf("meaning changed: %q (%#v) -> %q (%#v)", in, vin, out, vout)
			}
		}
	})
}
