// Package jsontime writes the times of a JSON answer in one format: RFC 3339
// in UTC with exactly six fractional digits (herald.TimestampFormat, for
// example 2026-12-04T03:45:04.123456Z), whatever the time's location and
// precision.
//
// encoding/json writes a time.Time as RFC 3339 with up to nine fractional
// digits, trailing zeros dropped, in the time's own location. Rather than
// change the type of every time field of the domain, Rewrite takes the value
// that was encoded and its JSON: it walks the value for its time.Time values
// and replaces each one's encoding in the JSON with the fixed format.
// Raw JSON (json.RawMessage, such as an event's data) is not walked; a
// string in it equal to the exact encoding of one of the value's times is
// the same instant and is rewritten too.
package jsontime

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"github.com/heraldhq/herald"
)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// Rewrite returns b, the JSON encoding of v, with every time.Time of v
// written in herald.TimestampFormat. b is returned as is when v holds no
// time.
func Rewrite(v any, b []byte) []byte {
	pairs := map[string]string{}
	collect(reflect.ValueOf(v), pairs, 0)
	if len(pairs) == 0 {
		return b
	}
	for from, to := range pairs {
		b = bytes.ReplaceAll(b, []byte(from), []byte(to))
	}
	return b
}

// Format writes t in herald.TimestampFormat.
func Format(t time.Time) string { return t.UTC().Format(herald.TimestampFormat) }

// maxDepth bounds the walk of self-referencing values.
const maxDepth = 32

// collect adds to pairs the quoted encoding/json form of every time in v,
// mapped to its quoted fixed form.
func collect(v reflect.Value, pairs map[string]string, depth int) {
	if !v.IsValid() || depth > maxDepth {
		return
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if enc, err := json.Marshal(t); err == nil {
			pairs[string(enc)] = `"` + Format(t) + `"`
		}
		return
	}
	if v.Type() == rawType {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collect(v.Elem(), pairs, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collect(v.Field(i), pairs, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			collect(v.Index(i), pairs, depth+1)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			collect(it.Value(), pairs, depth+1)
		}
	}
}
