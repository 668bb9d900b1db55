package runtime

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseJSONAnswer: any answer parses without panicking; a parsed one
// has valid UTF-8 text and named actions.
func FuzzParseJSONAnswer(f *testing.F) {
	for _, s := range []string{`{"response":"hi"}`, `{"response":{"a":1}}`, `{"actions":[{"action":"notify","content":{"n":1.50}}]}`,
		`{"actions":[{}]}`, `{"actions":"x"}`, `{"response":null,"actions":null}`, `{"response":"\ud800"}`, `[]`, `null`, `{"other":1}`, "{\"response\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, ok, err := parseJSONAnswer(b)
		if !ok || err != nil {
			if resp != nil {
				t.Fatalf("%q: a response %+v with ok %v err %v", b, resp, ok, err)
			}
			return
		}
		if resp == nil || !utf8.ValidString(resp.Response) {
			t.Fatalf("%q: %+v", b, resp)
		}
		for i, a := range resp.Actions {
			if a.Action == "" || !utf8.ValidString(a.Action) {
				t.Fatalf("%q: action %d is %+v", b, i, a)
			}
		}
	})
}
