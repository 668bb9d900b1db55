package jsontime_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

func TestRewrite(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 12, 4, 3, 45, 4, 123456789, time.UTC)
	type inner struct {
		When *time.Time `json:"when"`
	}
	v := struct {
		A     time.Time         `json:"a"`
		B     *time.Time        `json:"b"`
		C     *time.Time        `json:"c"`
		D     []inner           `json:"d"`
		E     map[string]any    `json:"e"`
		Data  json.RawMessage   `json:"data"`
		Names map[string]string `json:"names"`
		priv  time.Time
	}{
		A:     at,
		B:     ptr(time.Date(2026, 12, 4, 3, 45, 4, 0, est)),
		D:     []inner{{When: ptr(time.Date(2026, 1, 1, 0, 0, 0, 120000000, time.UTC))}},
		E:     map[string]any{"t": time.Date(2026, 1, 2, 0, 0, 0, 5000, time.UTC)},
		Data:  json.RawMessage(`{"ts":"2020-01-01T00:00:00Z"}`),
		Names: map[string]string{"x": "2021-01-01T00:00:00Z"},
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got := string(jsontime.Rewrite(v, b))
	want := `{"a":"2026-12-04T03:45:04.123456Z","b":"2026-12-04T08:45:04.000000Z","c":null,` +
		`"d":[{"when":"2026-01-01T00:00:00.120000Z"}],"e":{"t":"2026-01-02T00:00:00.000005Z"},` +
		`"data":{"ts":"2020-01-01T00:00:00Z"},"names":{"x":"2021-01-01T00:00:00Z"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back struct {
		A time.Time `json:"a"`
	}
	if err := json.Unmarshal([]byte(got), &back); err != nil || !back.A.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("parse back: %v %v", back.A, err)
	}
}

func ptr[T any](v T) *T { return &v }
