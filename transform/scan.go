package transform

import (
	"fmt"
	"strings"
)

// scanNesting checks, before gonja parses src, that its brackets and block
// tags nest at most MaxTemplateNesting levels, so that pathological inputs
// are refused in linear time. It understands just enough of the syntax:
// tags, comments, raw blocks and string literals; the rewriter checks the
// parsed template exactly.
func scanNesting(src string) error {
	brackets, blocks := 0, 0
	for i := 0; i < len(src); {
		open := strings.IndexByte(src[i:], '{')
		if open < 0 || i+open+1 >= len(src) {
			return nil
		}
		i += open
		var end string
		switch src[i+1] {
		case '{':
			end = "}}"
		case '%':
			end = "%}"
		case '#':
			j := strings.Index(src[i+2:], "#}")
			if j < 0 {
				return nil
			}
			i += 2 + j + 2
			continue
		default:
			i++
			continue
		}
		start := i
		i += 2
		// The tag runs to end, outside string literals.
		var quote byte
		for ; i < len(src); i++ {
			c := src[i]
			switch {
			case quote != 0:
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
				continue
			case c == '\'' || c == '"':
				quote = c
			case c == '(' || c == '[' || c == '{':
				brackets++
				if brackets > MaxTemplateNesting {
					return scanError(src, i, "brackets nest deeper than %d levels", MaxTemplateNesting)
				}
			case c == ')' || c == ']' || c == '}':
				if strings.HasPrefix(src[i:], end) && (end != "}}" || brackets == 0) {
					goto closed
				}
				brackets = max(brackets-1, 0)
			case c == '%' && end == "%}" && strings.HasPrefix(src[i:], end):
				goto closed
			}
		}
		return nil // unterminated: gonja reports it
	closed:
		brackets = 0
		if end == "%}" {
			body := strings.Trim(src[start+2:i], "-+ \t\r\n")
			name, rest, _ := strings.Cut(body, " ")
			switch {
			case name == "if" || name == "for" || name == "set" && !strings.Contains(rest, "="):
				blocks++
				if blocks > MaxTemplateNesting {
					return scanError(src, start, "blocks nest deeper than %d levels", MaxTemplateNesting)
				}
			case name == "endif" || name == "endfor" || name == "endset":
				blocks = max(blocks-1, 0)
			case name == "raw":
				j := strings.Index(src[i:], "endraw")
				if j < 0 {
					return nil
				}
				i += j
			}
		}
		i += len(end)
	}
	return nil
}

// scanError returns a *posError at byte offset off of src.
func scanError(src string, off int, format string, args ...any) error {
	line := 1 + strings.Count(src[:off], "\n")
	col := off - strings.LastIndexByte(src[:off], '\n')
	return &posError{line: line, col: col, msg: fmt.Sprintf(format, args...)}
}
