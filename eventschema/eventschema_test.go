package eventschema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

func TestValidateNamesPathAndRule(t *testing.T) {
	et := &herald.EventType{Name: "order.created", Version: 1, Schema: json.RawMessage(`{
		"type": "object", "required": ["order_id"],
		"properties": {"order_id": {"type": "string"}, "items": {"type": "array", "items": {
			"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}}}}}`)}
	var v Validator
	cases := []struct{ data, want string }{
		{`{"order_id":"o1","items":[{"qty":2}]}`, ""},
		{`{"items":[]}`, `data: required: missing property 'order_id'`},
		{`{"order_id":7}`, `data.order_id: type: got number, want string`},
		{`{"order_id":"o","items":[{"qty":1},{"qty":0}]}`, `data.items[1].qty: minimum: got 0, want 1`},
	}
	for _, c := range cases {
		err := v.Validate(et, []byte(c.data))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.data, err)
			}
			continue
		}
		if herald.ErrorCode(err) != herald.EINVALID || herald.ErrorMessage(err) != c.want {
			t.Errorf("%s: got %q (%s), want %q", c.data, herald.ErrorMessage(err), herald.ErrorCode(err), c.want)
		}
	}
	if len(v.cache) != 1 {
		t.Fatalf("cache holds %d schemas, want 1", len(v.cache))
	}
	// A new version with another schema is compiled afresh.
	et2 := *et
	et2.Version, et2.Schema = 2, json.RawMessage(`{"type":"object","required":["total"]}`)
	if err := v.Validate(&et2, []byte(`{"order_id":"o1"}`)); err == nil || !strings.Contains(err.Error(), "total") {
		t.Fatalf("version 2: %v", err)
	}
	if err := v.Validate(&herald.EventType{Name: "x", Schema: json.RawMessage("null")}, []byte(`{"a":1}`)); err != nil {
		t.Fatalf("no schema: %v", err)
	}
}

func TestCompileRefusesOtherDocuments(t *testing.T) {
	for _, s := range []string{`{"$ref":"file:///etc/passwd"}`, `{"$ref":"https://example.com/s.json"}`, `{"type":12}`, `{`} {
		if _, err := Compile("schema", []byte(s)); herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("%s: %v, want EINVALID", s, err)
		}
	}
	if _, err := Compile("schema", []byte(`{"$defs":{"a":{"type":"string"}},"properties":{"x":{"$ref":"#/$defs/a"}}}`)); err != nil {
		t.Errorf("local $ref: %v", err)
	}
}

func TestPath(t *testing.T) {
	if got := Path("data", []string{"a b", "0", "x1", "_y"}); got != `data["a b"][0].x1._y` {
		t.Fatal(got)
	}
}

// TestBuiltinExamplesValidate: every built-in type is valid, its schema
// compiles and its example satisfies it.
func TestBuiltinExamplesValidate(t *testing.T) {
	seen := map[string]bool{}
	var v Validator
	for _, et := range Builtin() {
		if seen[et.Name] {
			t.Errorf("%s twice", et.Name)
		}
		seen[et.Name] = true
		if err := et.Validate(); err != nil {
			t.Errorf("%s: %v", et.Name, err)
			continue
		}
		if err := v.Validate(et, et.Example); err != nil {
			t.Errorf("%s: example: %v", et.Name, err)
		}
		err := v.Validate(et, []byte(`{}`))
		if ops := strings.HasPrefix(et.Name, "webhook.") && et.Name != "webhook.test"; ops != (err != nil) {
			t.Errorf("%s: {} gives %v", et.Name, err)
		}
		if err := v.Validate(et, []byte(`{"agent_id":7,"deployment_id":7,"alert_id":7,"webhook_id":7}`)); err == nil {
			t.Errorf("%s: a number for an id is accepted", et.Name)
		}
		var example map[string]any
		json.Unmarshal(et.Example, &example)
		for _, f := range BuiltinFields(et.Name) {
			if _, ok := example[f]; !ok {
				t.Errorf("%s: the example lacks %s", et.Name, f)
			}
		}
	}
}

// BenchmarkValidate is the cost of checking a ~1 KB event against a
// cached schema that checks every field.
func BenchmarkValidate(b *testing.B) {
	et := &herald.EventType{Name: "order.created", Version: 1, Schema: json.RawMessage(`{"type":"object","required":["order_id","items"],"properties":{
		"order_id":{"type":"string","pattern":"^ord_"},"total":{"type":"number","minimum":0},
		"items":{"type":"array","items":{"type":"object","required":["sku","qty"],"properties":{"sku":{"type":"string"},"qty":{"type":"integer","minimum":1},"price":{"type":"number"}}}}}}`)}
	data := []byte(`{"order_id":"ord_1","total":12.5,"note":"` + strings.Repeat("n", 600) + `","items":[` +
		strings.TrimSuffix(strings.Repeat(`{"sku":"SKU-00001","qty":2,"price":9.99,"name":"Widget"},`, 6), ",") + `]}`)
	b.SetBytes(int64(len(data)))
	var v Validator
	for b.Loop() {
		if err := v.Validate(et, data); err != nil {
			b.Fatal(err)
		}
	}
}
