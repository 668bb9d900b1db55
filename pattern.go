package herald

import (
	"fmt"
	"strings"
)

// MaxEventTypeLen is the longest event type name Herald accepts.
const MaxEventTypeLen = 128

// ValidateEventType reports whether t is a valid event type name: lowercase,
// dot-separated segments of [a-z0-9_], at most MaxEventTypeLen bytes, such as
// "agent.status" or "deployment.rolled_back".
func ValidateEventType(t string) error {
	if t == "" {
		return fmt.Errorf("event type is empty")
	} else if len(t) > MaxEventTypeLen {
		return fmt.Errorf("event type is longer than %d characters", MaxEventTypeLen)
	}
	for _, seg := range strings.Split(t, ".") {
		if !validSegment(seg) {
			return fmt.Errorf("event type %q must be lowercase dot-separated segments of [a-z0-9_]", t)
		}
	}
	return nil
}

// ValidatePattern reports whether p is a valid event pattern. A pattern is an
// event type in which any segment may be "*", which matches one or more
// segments: "*" matches every event, "agent.*" every type under "agent.",
// "*.failed" every type ending in ".failed", and an exact name itself.
func ValidatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("pattern is empty")
	} else if len(p) > MaxEventTypeLen {
		return fmt.Errorf("pattern %q is longer than %d characters", p, MaxEventTypeLen)
	}
	for _, seg := range strings.Split(p, ".") {
		if seg != "*" && !validSegment(seg) {
			return fmt.Errorf("pattern %q must be dot-separated segments of [a-z0-9_] or *", p)
		}
	}
	return nil
}

func validSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// MatchPattern reports whether the event type t matches pattern p (see
// ValidatePattern). An invalid pattern matches nothing but an identical type.
func MatchPattern(p, t string) bool {
	if p == "*" || p == t {
		return true
	}
	if !strings.Contains(p, "*") {
		return false
	}
	return matchSegments(strings.Split(p, "."), strings.Split(t, "."))
}

// matchSegments matches pattern segments against type segments, "*" taking
// one or more segments. The recursion depth is bounded by the pattern length.
func matchSegments(ps, ts []string) bool {
	for len(ps) > 0 {
		if ps[0] != "*" {
			if len(ts) == 0 || ps[0] != ts[0] {
				return false
			}
			ps, ts = ps[1:], ts[1:]
			continue
		}
		// Collapse consecutive stars: each still needs one segment.
		n := 0
		for n < len(ps) && ps[n] == "*" {
			n++
		}
		rest := ps[n:]
		for k := n; k <= len(ts); k++ {
			if matchSegments(rest, ts[k:]) {
				return true
			}
		}
		return false
	}
	return len(ts) == 0
}

// MatchAny reports whether t matches any of the patterns.
func MatchAny(patterns []string, t string) bool {
	for _, p := range patterns {
		if MatchPattern(p, t) {
			return true
		}
	}
	return false
}
