package herald_test

import (
	"testing"

	"github.com/heraldhq/herald"
)

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"*", "agent.status", true},
		{"*", "x", true},
		{"agent.*", "agent.status", true},
		{"agent.*", "agent.status.extra", true},
		{"agent.*", "agent", false},
		{"agent.*", "agents.status", false},
		{"agent.*", "deployment.failed", false},
		{"*.failed", "deployment.failed", true},
		{"*.failed", "agent.run.failed", true},
		{"*.failed", "failed", false},
		{"*.failed", "deployment.failed_twice", false},
		{"deployment.failed", "deployment.failed", true},
		{"deployment.failed", "deployment.failed.x", false},
		{"agent.*.done", "agent.x.done", true},
		{"agent.*.done", "agent.x.y.done", true},
		{"agent.*.done", "agent.done", false},
		{"*.*", "a", false},
		{"*.*", "a.b", true},
	}
	for _, c := range cases {
		if got := herald.MatchPattern(c.pattern, c.typ); got != c.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", c.pattern, c.typ, got, c.want)
		}
	}
}

func TestValidatePattern(t *testing.T) {
	for _, p := range []string{"*", "agent.*", "*.failed", "deployment.rolled_back", "a.*.b", "metrics.report"} {
		if err := herald.ValidatePattern(p); err != nil {
			t.Errorf("ValidatePattern(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"", "Agent.*", "agent.", ".agent", "agent..x", "agent.st*", "agent.**", "agent status", "agent-x"} {
		if err := herald.ValidatePattern(p); err == nil {
			t.Errorf("ValidatePattern(%q) = nil, want an error", p)
		}
	}
}

func TestValidateEventType(t *testing.T) {
	for _, s := range []string{"agent.status", "a", "deployment.rolled_back", "x1.y_2"} {
		if err := herald.ValidateEventType(s); err != nil {
			t.Errorf("ValidateEventType(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "agent.*", "Agent", "a..b", "a.", "a b", string(make([]byte, 200))} {
		if err := herald.ValidateEventType(s); err == nil {
			t.Errorf("ValidateEventType(%q) = nil, want an error", s)
		}
	}
}

// FuzzMatchPattern checks that matching never panics or hangs, that a valid
// type always matches itself and "*", and that a valid pattern without a
// star matches exactly itself.
func FuzzMatchPattern(f *testing.F) {
	f.Add("agent.*", "agent.status")
	f.Add("*.failed", "deployment.failed")
	f.Add("*.*.*.*.*.*.*.*", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p")
	f.Fuzz(func(t *testing.T, p, typ string) {
		got := herald.MatchPattern(p, typ)
		if herald.ValidateEventType(typ) == nil {
			if !herald.MatchPattern(typ, typ) || !herald.MatchPattern("*", typ) {
				t.Fatalf("%q does not match itself or *", typ)
			}
			if herald.ValidatePattern(p) == nil && !containsStar(p) && got != (p == typ) {
				t.Fatalf("exact pattern %q vs %q = %v", p, typ, got)
			}
		}
	})
}

func containsStar(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' {
			return true
		}
	}
	return false
}
