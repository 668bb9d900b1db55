package openapicheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Undocumented returns the JSON pointers of the object fields of body that
// schema does not describe: an object whose schema (with its allOf, oneOf
// and anyOf branches) names properties and no additionalProperties schema
// must hold no other field. The document's schemas stay open, so that
// clients accept fields a newer server adds; the tests hold the server to
// what is written.
func Undocumented(schema *openapi3.SchemaRef, body []byte) []string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil
	}
	var out []string
	walk(schema, v, "", &out)
	return out
}

func walk(ref *openapi3.SchemaRef, v any, at string, out *[]string) {
	schemas := flatten(ref, nil)
	if len(schemas) == 0 {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		declared := map[string][]*openapi3.SchemaRef{}
		var extra []*openapi3.SchemaRef
		open := true
		for _, s := range schemas {
			if len(s.Properties) > 0 {
				open = false
			}
			for name, p := range s.Properties {
				declared[name] = append(declared[name], p)
			}
			if s.AdditionalProperties.Schema != nil {
				extra = append(extra, s.AdditionalProperties.Schema)
			}
			if a := s.AdditionalProperties.Has; a != nil && *a {
				open = true
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			path := at + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			switch {
			case declared[k] != nil:
				for _, p := range declared[k] {
					walk(p, v[k], path, out)
				}
			case extra != nil:
				for _, p := range extra {
					walk(p, v[k], path, out)
				}
			case !open:
				*out = append(*out, path)
			}
		}
	case []any:
		for i, item := range v {
			for _, s := range schemas {
				if s.Items != nil {
					walk(s.Items, item, fmt.Sprintf("%s/%d", at, i), out)
				}
			}
		}
	}
}

// flatten returns the schema and its allOf, oneOf and anyOf branches.
func flatten(ref *openapi3.SchemaRef, acc []*openapi3.Schema) []*openapi3.Schema {
	if ref == nil || ref.Value == nil {
		return acc
	}
	s := ref.Value
	acc = append(acc, s)
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			acc = flatten(r, acc)
		}
	}
	return acc
}
