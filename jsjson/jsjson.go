// Package jsjson canonicalizes JSON text the way JavaScript does: the output
// of Canonicalize is byte for byte what Node's
// JSON.stringify(JSON.parse(text)) prints.
//
// Herald stores event data in this form and sends it unchanged, so receivers
// that parse the body and HMAC JSON.stringify(req.body) instead of the raw
// bytes compute the same signature as receivers that HMAC the raw body.
//
// The JavaScript rules reproduced here are:
//
//   - output is compact, with no insignificant whitespace;
//   - strings escape only '"', '\\' and control characters below U+0020
//     (as \b \t \n \f \r, or \u00xx in lowercase hex); '<', '>', '&',
//     U+2028, U+2029 and all other characters are written as UTF-8;
//   - lone surrogates written as \uXXXX escapes in the input stay escapes
//     (lowercase hex), while escaped surrogate pairs become UTF-8;
//   - numbers are parsed to float64 and printed as Number.prototype.toString
//     does (1.0 → 1, 1e21 → 1e+21, -0 → 0); numbers beyond the float64 range
//     are Infinity in JavaScript, which JSON.stringify prints as null;
//   - object keys that are array indices (canonical decimal integers from 0
//     to 2^32-2) come first in ascending numeric order, then the other keys
//     in the order they were first seen; a duplicate key keeps the position
//     of its first occurrence and the value of its last.
//
// Unlike JavaScript, input that is not valid UTF-8 is rejected, as is nesting
// deeper than MaxDepth.
package jsjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
)

// MaxDepth is the deepest nesting of arrays and objects Canonicalize accepts;
// deeper input fails with ErrTooDeep.
const MaxDepth = 1000

// Errors returned (wrapped) by Canonicalize.
var (
	// ErrSyntax reports input that is not a single valid UTF-8 JSON text.
	ErrSyntax = errors.New("invalid JSON")
	// ErrTooDeep reports input nested deeper than MaxDepth.
	ErrTooDeep = errors.New("JSON nested too deeply")
)

// member records where one object member was written in the output: the
// key (with its quotes) is out[ks:ke], the value out[ke+1:ve].
type member struct {
	ks, ke, ve int
}

// parser holds the state of one Canonicalize call. Parsers are pooled so the
// member stack and scratch buffers are reused between calls.
type parser struct {
	in      []byte
	pos     int
	depth   int
	out     []byte
	members []member // stack of members of the objects being written
	scratch []byte   // reorderObject's copy of an object
	order   []int    // reorderObject's and hasDuplicate's index lists
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

// Canonicalize parses the JSON text b and returns what JavaScript's
// JSON.stringify(JSON.parse(b)) prints for it. Leading and trailing JSON
// whitespace is allowed; anything else after the value, invalid UTF-8 and
// any other syntax error fail with an error wrapping ErrSyntax, and nesting
// deeper than MaxDepth fails with ErrTooDeep. The result never aliases b.
func Canonicalize(b []byte) ([]byte, error) {
	p := parserPool.Get().(*parser)
	p.in, p.pos, p.depth = b, 0, 0
	p.out = make([]byte, 0, len(b)+len(b)/8+8)
	err := p.run()
	out := p.out
	p.in, p.out = nil, nil
	p.members = p.members[:0]
	if cap(p.scratch) > 1<<20 {
		p.scratch = nil
	}
	parserPool.Put(p)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (p *parser) run() error {
	p.skipSpace()
	if err := p.value(); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos < len(p.in) {
		return p.errorf("unexpected %s after top-level value", p.describe())
	}
	return nil
}

// errorf returns a syntax error at the current position.
func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("parse JSON at offset %d: %w: %s", p.pos, ErrSyntax, fmt.Sprintf(format, args...))
}

// describe names the byte at the current position for error messages.
func (p *parser) describe() string {
	if p.pos >= len(p.in) {
		return "end of input"
	}
	c := p.in[p.pos]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses the value at p.pos (whitespace already skipped) and appends
// its canonical form to p.out.
func (p *parser) value() error {
	if p.pos >= len(p.in) {
		return p.errorf("unexpected end of input, expecting a value")
	}
	switch c := p.in[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	}
	return p.errorf("unexpected %s, expecting a value", p.describe())
}

func (p *parser) literal(lit string) error {
	if len(p.in)-p.pos < len(lit) || string(p.in[p.pos:p.pos+len(lit)]) != lit {
		return p.errorf("invalid literal, expecting %s", lit)
	}
	p.pos += len(lit)
	p.out = append(p.out, lit...)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return fmt.Errorf("parse JSON at offset %d: %w (more than %d levels)", p.pos, ErrTooDeep, MaxDepth)
	}
	return nil
}

func (p *parser) array() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '['
	p.out = append(p.out, '[')
	p.skipSpace()
	if p.pos < len(p.in) && p.in[p.pos] == ']' {
		p.pos++
		p.out = append(p.out, ']')
		p.depth--
		return nil
	}
	for {
		p.skipSpace()
		if err := p.value(); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.in) {
			return p.errorf("unexpected end of input in array")
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
			p.out = append(p.out, ',')
		case ']':
			p.pos++
			p.out = append(p.out, ']')
			p.depth--
			return nil
		default:
			return p.errorf("unexpected %s in array, expecting ',' or ']'", p.describe())
		}
	}
}

func (p *parser) object() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '{'
	start := len(p.out)
	p.out = append(p.out, '{')
	base := len(p.members)
	p.skipSpace()
	if p.pos < len(p.in) && p.in[p.pos] == '}' {
		p.pos++
		p.out = append(p.out, '}')
		p.depth--
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return p.errorf("unexpected %s in object, expecting a string key", p.describe())
		}
		ks := len(p.out)
		if err := p.str(); err != nil {
			return err
		}
		ke := len(p.out)
		p.skipSpace()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return p.errorf("unexpected %s after object key, expecting ':'", p.describe())
		}
		p.pos++
		p.out = append(p.out, ':')
		p.skipSpace()
		if err := p.value(); err != nil {
			return err
		}
		p.members = append(p.members, member{ks, ke, len(p.out)})
		p.skipSpace()
		if p.pos >= len(p.in) {
			return p.errorf("unexpected end of input in object")
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
			p.out = append(p.out, ',')
		case '}':
			p.pos++
			p.out = append(p.out, '}')
			p.depth--
			p.finishObject(start, base)
			return nil
		default:
			return p.errorf("unexpected %s in object, expecting ',' or '}'", p.describe())
		}
	}
}

// finishObject rewrites the object written at p.out[start:], whose members
// are p.members[base:], into JavaScript's key order when it has array-index
// or duplicate keys, then pops its members.
func (p *parser) finishObject(start, base int) {
	ms := p.members[base:]
	needs := false
	for _, m := range ms {
		if _, ok := arrayIndex(p.out[m.ks+1 : m.ke-1]); ok {
			needs = true
			break
		}
	}
	if !needs && len(ms) > 1 {
		needs = p.hasDuplicate(ms)
	}
	if needs {
		p.reorderObject(start, ms)
	}
	p.members = p.members[:base]
}

// keyOf returns member m's canonical key, quotes included.
func (p *parser) keyOf(m member) []byte { return p.out[m.ks:m.ke] }

// hasDuplicate reports whether two of ms have the same key. Canonical key
// bytes are equal exactly when the JavaScript strings are.
func (p *parser) hasDuplicate(ms []member) bool {
	if len(ms) <= 16 {
		for i := 1; i < len(ms); i++ {
			ki := p.keyOf(ms[i])
			for j := 0; j < i; j++ {
				if string(ki) == string(p.keyOf(ms[j])) {
					return true
				}
			}
		}
		return false
	}
	p.order = p.order[:0]
	for i := range ms {
		p.order = append(p.order, i)
	}
	slices.SortFunc(p.order, func(a, b int) int {
		return compareBytes(p.keyOf(ms[a]), p.keyOf(ms[b]))
	})
	for i := 1; i < len(p.order); i++ {
		if string(p.keyOf(ms[p.order[i]])) == string(p.keyOf(ms[p.order[i-1]])) {
			return true
		}
	}
	return false
}

func compareBytes(a, b []byte) int {
	switch sa, sb := string(a), string(b); {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

// reorderObject rewrites the object at p.out[start:] with its members ms in
// JavaScript's order: one member per distinct key, array indices ascending,
// then the other keys by first occurrence, each with its last value.
func (p *parser) reorderObject(start int, ms []member) {
	// last[i] is the index of the last member with the key of ms[i]; it is
	// -1 for members whose key already occurred earlier.
	last := make([]int, len(ms))
	var seen map[string]int
	if len(ms) > 16 {
		seen = make(map[string]int, len(ms))
	}
	for i, m := range ms {
		last[i] = i
		first := -1
		if seen != nil {
			if f, ok := seen[string(p.keyOf(m))]; ok {
				first = f
			} else {
				seen[string(p.keyOf(m))] = i
			}
		} else {
			for j := 0; j < i; j++ {
				if last[j] >= 0 && string(p.keyOf(ms[j])) == string(p.keyOf(m)) {
					first = j
					break
				}
			}
		}
		if first >= 0 {
			last[first] = i
			last[i] = -1
		}
	}
	// order lists the first occurrences: array indices sorted numerically,
	// then the others as they come.
	p.order = p.order[:0]
	for i, m := range ms {
		if _, ok := arrayIndex(p.out[m.ks+1 : m.ke-1]); ok && last[i] >= 0 {
			p.order = append(p.order, i)
		}
	}
	slices.SortFunc(p.order, func(a, b int) int {
		x, _ := arrayIndex(p.out[ms[a].ks+1 : ms[a].ke-1])
		y, _ := arrayIndex(p.out[ms[b].ks+1 : ms[b].ke-1])
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	for i, m := range ms {
		if _, ok := arrayIndex(p.out[m.ks+1 : m.ke-1]); !ok && last[i] >= 0 {
			p.order = append(p.order, i)
		}
	}
	p.scratch = append(p.scratch[:0], p.out[start:]...)
	p.out = append(p.out[:start], '{')
	for n, i := range p.order {
		if n > 0 {
			p.out = append(p.out, ',')
		}
		k, v := ms[i], ms[last[i]]
		p.out = append(p.out, p.scratch[k.ks-start:k.ke-start]...)
		p.out = append(p.out, ':')
		p.out = append(p.out, p.scratch[v.ke+1-start:v.ve-start]...)
	}
	p.out = append(p.out, '}')
}

// arrayIndex reports whether key (a canonical string's content) is an array
// index in JavaScript's sense, the canonical decimal form of an integer from
// 0 to 2^32-2, and returns its value.
func arrayIndex(key []byte) (uint64, bool) {
	if len(key) == 0 || len(key) > 10 || key[0] == '0' && len(key) > 1 {
		return 0, false
	}
	var n uint64
	for _, c := range key {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= math.MaxUint32-1
}

// number parses a JSON number and appends it as JavaScript prints it.
func (p *parser) number() error {
	start := p.pos
	i := p.pos
	in := p.in
	if in[i] == '-' {
		i++
	}
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && in[i] >= '1' && in[i] <= '9':
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return p.errorf("invalid number: expecting a digit, got %s", p.describe())
	}
	intEnd := i
	simple := true
	if i < len(in) && in[i] == '.' {
		simple = false
		i++
		d := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return p.errorf("invalid number: expecting a digit after '.', got %s", p.describe())
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		simple = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		d := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return p.errorf("invalid number: expecting a digit in exponent, got %s", p.describe())
		}
	}
	p.pos = i
	lit := in[start:i]
	// Integers of at most 15 digits are exact in a float64 and JavaScript
	// prints them as written, except that -0 is 0.
	if simple && intEnd-start <= 15 {
		if string(lit) == "-0" {
			lit = lit[1:]
		}
		p.out = append(p.out, lit...)
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return p.errorf("invalid number %q", lit)
	}
	// Out of range: ParseFloat gives ±Inf (JavaScript's Infinity, printed
	// as null) or, for underflow, the nearest representable value.
	p.out = AppendNumber(p.out, f)
	return nil
}

// AppendNumber appends f as JavaScript's JSON.stringify prints a number:
// Number.prototype.toString (shortest round-trip digits, exponent form below
// 1e-6 and from 1e21 on, "-0" as "0"), and null for NaN and ±Infinity.
func AppendNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0')
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±dd
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	// Split into the digits and the decimal exponent n such that the value
	// is 0.d1d2…dk × 10^n, as in the ECMAScript specification.
	var digits [24]byte
	k := 0
	i := 0
	for ; s[i] != 'e'; i++ {
		if s[i] != '.' {
			digits[k] = s[i]
			k++
		}
	}
	e := 0
	neg := s[i+1] == '-'
	for _, c := range s[i+2:] {
		e = e*10 + int(c-'0')
	}
	if neg {
		e = -e
	}
	n := e + 1
	d := digits[:k]
	switch {
	case k <= n && n <= 21:
		dst = append(dst, d...)
		for j := k; j < n; j++ {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, d[:n]...)
		dst = append(dst, '.')
		dst = append(dst, d[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for j := n; j < 0; j++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	default:
		dst = append(dst, d[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, d[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

// Marshal encodes v with encoding/json and returns it in canonical form:
// what event payloads built in Go must be stored as.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonicalize(b)
}
