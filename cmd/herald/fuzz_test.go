package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/sqlite"
)

// FuzzImportLines: "herald import" reads any input into a store without
// panicking; it stores every record or says which one it could not.
func FuzzImportLines(f *testing.F) {
	for _, s := range []string{
		`{"webhook":{"id":"wh_1","url":"https://example.com","events":["*"],"secret":"whsec_0123456789abcdef"}}`,
		`{"event":{"id":"evt_1","type":"a.b","data":{"n":1.50},"created":1700000000}}`,
		`{"agent":{"id":"a1","status":"running","error":"a\u0000b"}}` + "\n" + `{"agent_logs":{"agent_id":"a1","entries":[{"level":"info","message":"m","timestamp":"2026-01-02T15:04:05Z"}]}}`,
		`{"delivery":{}}`, `{"deployment":{}}`, `{"invocation":{}}`, `{"inbound_request":{}}`, `{"agent_logs":{}}`, `{"metric_points":{}}`,
		`{}`, `[]`, `{"event":{"data":"\u0000"}}`, "{\"agent\":{\"id\":\"\xff\"}}", `{"api_key":{"id":"key_1"}}`, `{`,
	} {
		f.Add([]byte(s))
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := importAll(context.Background(), store, bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		values := 0
		for dec := json.NewDecoder(bytes.NewReader(data)); dec.Decode(new(json.RawMessage)) == nil; values++ {
		}
		if n := res.Stored + res.Present; n != values {
			t.Fatalf("%q: no error and %d records stored or present of %d", data, n, values)
		}
	})
}
