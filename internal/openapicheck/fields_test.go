package openapicheck

import (
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestUndocumented names the fields a schema leaves out, through allOf,
// oneOf, arrays and maps, and leaves open objects alone.
func TestUndocumented(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`
openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Thing:
      type: object
      properties:
        id: {type: string}
        tags: {type: object, additionalProperties: {type: object, properties: {v: {type: string}}}}
        any: {}
    Page:
      allOf:
        - {type: object, properties: {total: {type: integer}}}
        - properties:
            items: {type: array, items: {oneOf: [{$ref: "#/components/schemas/Thing"}, {type: "null"}]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"total":1,"extra":true,"items":[{"id":"a","any":{"free":1},"tags":{"x":{"v":"1","w":2}},"new/field":1},null]}`
	got := Undocumented(doc.Components.Schemas["Page"], []byte(body))
	want := []string{"/extra", "/items/0/new~1field", "/items/0/tags/x/w"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Undocumented = %q, want %q", got, want)
	}
}
