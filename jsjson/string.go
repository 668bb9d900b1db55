package jsjson

import (
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// safe[c] is true for the ASCII bytes JSON.stringify copies unchanged.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString appends s to dst as a JSON string literal escaped the way
// JavaScript's JSON.stringify escapes it (see the package documentation).
// Each byte of s that is not part of valid UTF-8 is written as U+FFFD, as
// encoding/json does.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i, run := 0, 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[run:i]...)
			dst = appendEscapedASCII(dst, c)
			i++
			run = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[run:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			run = i
			continue
		}
		i += size
	}
	dst = append(dst, s[run:]...)
	return append(dst, '"')
}

// appendEscapedASCII appends the escape of '"', '\\' or a control character.
func appendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendRune appends the UTF-16 code unit or code point r as JSON.stringify
// writes it: escaped if it is '"', '\\', a control character or a lone
// surrogate, else as UTF-8.
func appendRune(dst []byte, r rune) []byte {
	switch {
	case r < utf8.RuneSelf:
		if safe[r] {
			return append(dst, byte(r))
		}
		return appendEscapedASCII(dst, byte(r))
	case utf16.IsSurrogate(r):
		return append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	return utf8.AppendRune(dst, r)
}

// str parses the JSON string at p.pos and appends its canonical form.
func (p *parser) str() error {
	in := p.in
	p.pos++ // opening quote
	p.out = append(p.out, '"')
	run := p.pos
	for {
		// Copy the common bytes in bulk.
		i := p.pos
		for i < len(in) && in[i] < utf8.RuneSelf && safe[in[i]] {
			i++
		}
		p.pos = i
		if i >= len(in) {
			return p.errorf("unexpected end of input in string")
		}
		switch c := in[i]; {
		case c == '"':
			p.out = append(p.out, in[run:i]...)
			p.out = append(p.out, '"')
			p.pos++
			return nil
		case c == '\\':
			p.out = append(p.out, in[run:i]...)
			if err := p.escape(); err != nil {
				return err
			}
			run = p.pos
		case c < 0x20:
			return p.errorf("invalid control character 0x%02x in string", c)
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				return p.errorf("invalid UTF-8 byte 0x%02x in string", c)
			}
			p.pos += size
		}
	}
}

// escape parses the escape sequence at p.pos and appends its canonical form.
func (p *parser) escape() error {
	in := p.in
	if p.pos+1 >= len(in) {
		p.pos++
		return p.errorf("unexpected end of input in string escape")
	}
	var r rune
	switch in[p.pos+1] {
	case '"':
		r = '"'
	case '\\':
		r = '\\'
	case '/':
		r = '/'
	case 'b':
		r = '\b'
	case 'f':
		r = '\f'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 't':
		r = '\t'
	case 'u':
		u, ok := hex4(in[p.pos+2:])
		if !ok {
			p.pos += 2
			return p.errorf("invalid \\u escape: expecting 4 hex digits")
		}
		p.pos += 6
		if utf16.IsSurrogate(u) && u < 0xdc00 && p.pos+1 < len(in) && in[p.pos] == '\\' && in[p.pos+1] == 'u' {
			if lo, ok := hex4(in[p.pos+2:]); ok && lo >= 0xdc00 && lo < 0xe000 {
				p.pos += 6
				p.out = utf8.AppendRune(p.out, utf16.DecodeRune(u, lo))
				return nil
			}
		}
		p.out = appendRune(p.out, u)
		return nil
	default:
		p.pos++
		return p.errorf("invalid escape %s in string", p.describe())
	}
	p.pos += 2
	p.out = appendRune(p.out, r)
	return nil
}

// hex4 decodes four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
