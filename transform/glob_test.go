package transform

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, eventType string
		want               bool
	}{
		{"*.critical", "cpu.critical", true},
		{"*.critical", "host.cpu.critical", true},
		{"*.critical", "critical", false},
		{"*.critical", "cpu.critical.not", false},
		{"*.warning", "disk.warning", true},
		{"test.*", "test.foo", true},
		{"test.*", "test.foo.bar", true},
		{"test.*", "test", false},
		{"test.*", "testing.foo", false},
		{"test*", "test", true},
		{"*", "anything.at.all", true},
		{"*", "", false},
		{"a?c", "abc", true},
		{"a?c", "a.c", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true},
		{"push", "push", true},
		{"push", "Push", false},
		{"Push Hook", "Push Hook", false}, // not even valid: see TestCompileErrors
		{"*.*.*", "a.b.c", true},
		{"*.*.*", "a.b", false},
		{"a*b*c", "aXXbYYbZZc", true},
		{"a*b*c", "aXXcYYb", false},
		{"**x", "abx", true},
		{"*a*a*a*a*a*b", strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			if tt.pattern == "Push Hook" {
				continue
			}
			t.Fatalf("compileGlob(%q): %v", tt.pattern, err)
		}
		if got := g.match(tt.eventType); got != tt.want {
			t.Errorf("glob %q matches %q = %v, want %v", tt.pattern, tt.eventType, got, tt.want)
		}
	}
}

// globRegexp is the reference semantics of a glob, for FuzzGlob.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// FuzzGlob checks that every pattern either fails to compile or matches
// exactly like its regular-expression equivalent, without panicking.
func FuzzGlob(f *testing.F) {
	for _, seed := range [][2]string{
		{"*.critical", "cpu.critical"}, {"*.warning", "disk.warning"}, {"*.debug", "x.debug"},
		{"test.*", "test.foo"}, {"a?c", "abc"}, {"*", ""}, {"**", "a"}, {"a*b*c", "aXbXc"},
		{"?", "é"}, {"*a*a*b", "aaaaaaaa"}, {"", "x"}, {"a b", "a b"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, eventType string) {
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		got := g.match(eventType)
		if eventType == "" {
			if got {
				t.Fatalf("glob %q matches the empty event type", pattern)
			}
			return
		}
		if !utf8.ValidString(eventType) {
			return // the regexp and the matcher may decode invalid bytes differently
		}
		if want := globRegexp(pattern).MatchString(eventType); got != want {
			t.Fatalf("glob %q matches %q = %v, regexp says %v", pattern, eventType, got, want)
		}
	})
}
