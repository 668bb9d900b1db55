// Package eventschema checks event data against the JSON Schemas of the
// event catalogue (herald.EventType), with santhosh-tekuri/jsonschema. A
// schema without $schema is read as draft 2020-12. Schemas are compiled
// once and cached by their text, so a changed schema (a new version, on
// any node) is compiled afresh and an unchanged one never is again.
// Schemas cannot reach other documents: a $ref to anything but the schema
// itself fails to compile, so that no file or URL is read.
package eventschema

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/heraldhq/herald"
)

// MaxCached is how many compiled schemas a Validator keeps; beyond it the
// cache starts over.
const MaxCached = 1024

// schemaURL is the location each schema is compiled at.
const schemaURL = "herald:///event-type.json"

var printer = message.NewPrinter(language.English)

// Compile compiles a schema, or returns an EINVALID error naming field.
func Compile(field string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "%s: not JSON: %s", field, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, herald.Errorf(herald.EINVALID, "%s: %s", field, oneLine(err.Error()))
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "%s: not a valid JSON Schema: %s", field, oneLine(err.Error()))
	}
	return sch, nil
}

// noLoader refuses every document a schema refers to.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: schemas cannot refer to other documents", url)
}

// Validator checks data against event types' schemas, caching the
// compiled schemas. Its zero value is ready; it is safe for concurrent use.
type Validator struct {
	mu    sync.RWMutex
	cache map[string]*jsonschema.Schema
}

// schema returns the compiled schema of t, from the cache when it holds it.
func (v *Validator) schema(t *herald.EventType) (*jsonschema.Schema, error) {
	v.mu.RLock()
	sch, ok := v.cache[string(t.Schema)]
	v.mu.RUnlock()
	if ok {
		return sch, nil
	}
	sch, err := Compile("schema", t.Schema)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.cache == nil || len(v.cache) >= MaxCached {
		v.cache = map[string]*jsonschema.Schema{}
	}
	v.cache[string(t.Schema)] = sch
	v.mu.Unlock()
	return sch, nil
}

// Validate checks data (a JSON object) against t's schema; a type without
// one accepts anything. A mismatch is an EINVALID error that names the
// JSON path of the value, from data, and the rule it broke, such as
// `data.total: type: got string, want number`.
func (v *Validator) Validate(t *herald.EventType, data []byte) error {
	if !t.HasSchema() {
		return nil
	}
	sch, err := v.schema(t)
	if err != nil {
		return fmt.Errorf("event type %s: %w", t.Name, err)
	}
	return Check(sch, "data", data)
}

// Check validates doc against a compiled schema; a mismatch is an
// EINVALID error whose path starts with root.
func Check(sch *jsonschema.Schema, root string, doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return herald.Errorf(herald.EINVALID, "%s: not JSON: %s", root, err)
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil
	} else if !errors.As(err, &ve) {
		return herald.Errorf(herald.EINVALID, "%s: %s", root, oneLine(err.Error()))
	}
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	rule := strings.Join(ve.ErrorKind.KeywordPath(), "/")
	msg := strings.TrimPrefix(ve.ErrorKind.LocalizedString(printer), rule+": ")
	return herald.Errorf(herald.EINVALID, "%s: %s: %s", Path(root, ve.InstanceLocation), rule, msg)
}

// Path writes an instance location as a JSON path from root:
// data.items[0].total, with keys that are not plain names quoted
// (data["a b"]).
func Path(root string, loc []string) string {
	var b strings.Builder
	b.WriteString(root)
	for _, seg := range loc {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
		} else if plainKey(seg) {
			b.WriteString("." + seg)
		} else {
			b.WriteString("[" + strconv.Quote(seg) + "]")
		}
	}
	return b.String()
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
