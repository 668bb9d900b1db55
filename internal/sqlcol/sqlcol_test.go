package sqlcol

import (
	"encoding/json"
	"testing"

	"github.com/heraldhq/herald"
)

func TestActionsRoundTrip(t *testing.T) {
	if v, err := Actions(nil); v != nil || err != nil {
		t.Fatalf("no actions: %v, %v; want NULL", v, err)
	}
	v, err := Actions([]herald.Action{{Action: "post", Content: map[string]any{"n": json.Number("12345678901234567890")}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeActions(v.(string))
	if err != nil {
		t.Fatal(err)
	}
	if n := got[0].Content.(map[string]any)["n"]; got[0].Action != "post" || n != json.Number("12345678901234567890") {
		t.Fatalf("decoded %+v", got)
	}
	if Object(nil) != "{}" || Object(json.RawMessage(`{"a":1}`)) != `{"a":1}` {
		t.Fatal("Object")
	}
}
