package transform

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// glob is a compiled event-type glob: "*" matches any run of characters
// (dots included, possibly none), "?" exactly one character, and every other
// character itself.
type glob struct {
	src string
	pat []rune
}

// compileGlobs validates the globs of field ("filters.include") and returns
// them compiled.
func compileGlobs(field string, srcs []string) ([]glob, error) {
	if len(srcs) > MaxGlobs {
		return nil, herald.Errorf(herald.EINVALID, "%s: more than %d patterns", field, MaxGlobs)
	}
	globs := make([]glob, 0, len(srcs))
	for i, src := range srcs {
		g, err := compileGlob(src)
		if err != nil {
			return nil, herald.Errorf(herald.EINVALID, "%s[%d]: %s", field, i, err)
		}
		globs = append(globs, g)
	}
	return globs, nil
}

// compileGlob validates one glob: non-empty, at most MaxGlobBytes of valid
// UTF-8 without spaces or control characters.
func compileGlob(src string) (glob, error) {
	if src == "" {
		return glob{}, fmt.Errorf("pattern is empty")
	} else if len(src) > MaxGlobBytes {
		return glob{}, fmt.Errorf("pattern is longer than %d bytes", MaxGlobBytes)
	}
	pat := make([]rune, 0, len(src))
	for i, w := 0, 0; i < len(src); i += w {
		r, size := utf8.DecodeRuneInString(src[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			return glob{}, fmt.Errorf("position %d: invalid UTF-8", i+1)
		case unicode.IsSpace(r):
			return glob{}, fmt.Errorf("position %d: white space is not allowed in a pattern", i+1)
		case !unicode.IsPrint(r):
			return glob{}, fmt.Errorf("position %d: control character %U is not allowed in a pattern", i+1, r)
		}
		// Collapse runs of "*": they match what one does.
		if r == '*' && len(pat) > 0 && pat[len(pat)-1] == '*' {
			continue
		}
		pat = append(pat, r)
	}
	return glob{src: src, pat: pat}, nil
}

// match reports whether the event type t matches g. The empty type matches
// nothing. It runs in O(len(pattern) * len(t)) time without recursion.
func (g glob) match(t string) bool {
	if t == "" {
		return false
	}
	return matchGlob(g.pat, []rune(t))
}

// matchGlob is the classic wildcard matcher: on a mismatch it backtracks to
// the last "*" and lets it swallow one more character.
func matchGlob(pat, s []rune) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case p < len(pat) && (pat[p] == '?' || pat[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
