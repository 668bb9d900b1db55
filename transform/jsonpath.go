package transform

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/theory/jsonpath"

	"github.com/heraldhq/herald"
)

// compileMappings validates and compiles transform.context_mapping, sorted by
// key so that errors and evaluation are deterministic.
func compileMappings(m map[string]string) ([]mapping, error) {
	if len(m) > MaxContextMappings {
		return nil, herald.Errorf(herald.EINVALID, "transform.context_mapping: more than %d keys", MaxContextMappings)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]mapping, 0, len(keys))
	for _, k := range keys {
		if err := validateContextKey(k); err != nil {
			return nil, herald.Errorf(herald.EINVALID, "transform.context_mapping: key %q: %s", k, err)
		}
		p, err := compileJSONPath(m[k])
		if err != nil {
			return nil, herald.Errorf(herald.EINVALID, "transform.context_mapping.%s: %s", k, err)
		}
		out = append(out, mapping{key: k, path: p})
	}
	return out, nil
}

// validateContextKey accepts non-empty keys of at most MaxContextKeyBytes of
// printable UTF-8.
func validateContextKey(k string) error {
	if k == "" {
		return fmt.Errorf("key is empty")
	} else if len(k) > MaxContextKeyBytes {
		return fmt.Errorf("key is longer than %d bytes", MaxContextKeyBytes)
	} else if !utf8.ValidString(k) {
		return fmt.Errorf("key is not valid UTF-8")
	}
	for _, r := range k {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("key has the control character %U", r)
		}
	}
	return nil
}

// jsonpathPos finds the position at the end of theory/jsonpath's messages:
// "unexpected '.' at position 3" (1-based) or "invalid escape at 2"
// (0-based, from the lexer).
var jsonpathPos = regexp.MustCompile(`^(.*) at (position )?(\d+)$`)

// compileJSONPath parses one RFC 9535 query and checks that evaluating it
// stays linear in the payload (see checkPathCost). Errors read
// "position N: message".
func compileJSONPath(src string) (*jsonpath.Path, error) {
	if src == "" {
		return nil, fmt.Errorf("query is empty")
	} else if len(src) > MaxJSONPathBytes {
		return nil, fmt.Errorf("query is longer than %s", byteSize(MaxJSONPathBytes))
	}
	p, err := parsePath(src)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), jsonpath.ErrPathParse.Error()+": ")
		if m := jsonpathPos.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[3])
			if m[2] == "" {
				n++
			}
			return nil, fmt.Errorf("position %d: %s", n, m[1])
		}
		return nil, errors.New(msg)
	}
	if err := checkPathCost(src); err != nil {
		return nil, err
	}
	return p, nil
}

// parsePath is jsonpath.Parse with panics turned into errors.
func parsePath(src string) (p *jsonpath.Path, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("invalid query (%v)", r)
		}
	}()
	return jsonpath.Parse(src)
}

// checkPathCost rejects the queries whose evaluation can be quadratic or
// worse in the payload: more than one descendant segment (".."), and a
// descendant segment or an absolute query ("$") inside a filter selector,
// which would be evaluated again for every candidate node. It also rejects
// match() and search(), which compile their regular expression anew for
// every node, from a pattern that may come from the payload. src must be a
// valid query: outside string literals, "$", "?" and ".." then only appear
// as the root identifier, a filter selector and a descendant segment.
func checkPathCost(src string) error {
	var (
		brackets    []bool // one per open "[": whether it holds a filter selector
		descendants int
	)
	inFilter := func() bool {
		for _, f := range brackets {
			if f {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\'', '"':
			// Skip the string literal, escapes included.
			for i++; i < len(src) && src[i] != c; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '[':
			brackets = append(brackets, false)
		case ']':
			if len(brackets) > 0 {
				brackets = brackets[:len(brackets)-1]
			}
		case ',':
			if len(brackets) > 0 {
				brackets[len(brackets)-1] = false
			}
		case '?':
			if len(brackets) > 0 {
				brackets[len(brackets)-1] = true
			}
		case 'm', 's':
			for _, fn := range []string{"match(", "search("} {
				if strings.HasPrefix(src[i:], fn) && (i == 0 || !isNameChar(src[i-1])) {
					return fmt.Errorf("position %d: the regular-expression functions match() and search() are not supported", i+1)
				}
			}
		case '$':
			if i > 0 && inFilter() {
				return fmt.Errorf("position %d: absolute queries ($) are not allowed inside filter selectors", i+1)
			}
		case '.':
			if i+1 < len(src) && src[i+1] == '.' {
				if inFilter() {
					return fmt.Errorf("position %d: descendant segments (..) are not allowed inside filter selectors", i+1)
				}
				descendants++
				if descendants > 1 {
					return fmt.Errorf("position %d: a query may have only one descendant segment (..)", i+1)
				}
				i++
			}
		}
	}
	return nil
}

// isNameChar reports whether c may be part of a JSONPath function or member
// name.
func isNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// selectFirst returns the first node p selects from payload, and whether
// there is one.
func selectFirst(p *jsonpath.Path, payload any) (v any, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			v, ok = nil, false
		}
	}()
	nodes := p.Select(payload)
	if len(nodes) == 0 {
		return nil, false
	}
	return nodes[0], true
}
