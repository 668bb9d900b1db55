package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// fuzzSlow is how long one compilation or evaluation may take in a fuzz
// run before it counts as a hang: Timeout, with room for a busy machine.
const fuzzSlow = 3 * Timeout

// fuzzPayload is the payload the fuzzers evaluate against: small, but with
// every JSON type, nesting and an array.
var fuzzPayload = map[string]any{
	"alert_name": "HighCPU",
	"instance":   "server-1",
	"severity":   "critical",
	"status":     "firing",
	"message":    "CPU above 90%",
	"count":      float64(3),
	"ratio":      0.5,
	"ok":         true,
	"none":       nil,
	"labels":     map[string]any{"service": "api", "team": "ops"},
	"alerts": []any{
		map[string]any{"status": "firing", "labels": map[string]any{"severity": "critical"}},
		map[string]any{"status": "resolved", "labels": map[string]any{"severity": "warning"}},
	},
	"text": strings.Repeat("lorem ipsum, ", 50),
}

// checkError fails the fuzz run unless err is nil or an EINVALID
// *herald.Error whose message starts with one of prefixes.
func checkError(t *testing.T, err error, prefixes ...string) {
	t.Helper()
	if err == nil {
		return
	}
	var he *herald.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v is a %T, not a *herald.Error", err, err)
	}
	if he.Code != herald.EINVALID {
		t.Fatalf("error code %q, want %q: %s", he.Code, herald.EINVALID, he.Message)
	}
	for _, p := range prefixes {
		if strings.HasPrefix(he.Message, p) {
			return
		}
	}
	t.Fatalf("error message %q starts with none of %q", he.Message, prefixes)
}

// templateSeeds are the seed corpus of FuzzCompileTemplate.
var templateSeeds = []string{
	"Alert: {{alert_name}} on {{instance}} ({{severity}})",
	"GitHub event: {{event_type}} on {{repository}}",
	"Alert from {{source}}: {{message}}",
	"{% for a in alerts %}{{ loop.index }}. {{ a.status|upper }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}",
	"{% set ns = namespace(n=0) %}{% for a in alerts if a.status == 'firing' %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}",
	"{% set t %}[{{ severity }}]{% endset %}{{ t ~ '!' }} {{ [1, 2] + [3] }} {{ {'a': (1, 2)} }} {{ 'ab' * count }}",
	"{{ alerts|map(attribute='status')|join(', ') }} {{ labels|dictsort }} {{ text|truncate(20) }} {{ '%s'|format(ok) }}",
	"{{ labels.items() }} {{ alert_name.lower().split('c') }} {{ range(3)|list }} {{ dict(a=1) }} {{ payload|tojson }}",
	"{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ -count }} {{ not ok }} {{ 1 if ok else 2 }} {{ none is none }}",
	"{% raw %}{{ x }}{% endraw %}{# comment #}{%- if true -%} trimmed {%- endif -%}",
	"{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
	"{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
	"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
	"{% include '/etc/passwd' %}", "{{ 1 + }}", "hello {{ x }", "{% if x %}", "{{ x(1,) }}",
	// Expressions, for the wrapped variants.
	"alert_name ~ '!' * 3", "alerts|selectattr('status', 'equalto', 'firing')|list|length", "labels.get('team', 'none')",
	"text.split(',')|map('trim')|unique|sort|join(';')", "(count + ratio) // 1", "a.labels.severity if a is defined else ''",
	"{'a': [1, 2.5, none, true]}|tojson(indent=2)", "text|replace('o', '00')|center(700)|indent(2)|truncate(50)",
	"range(10)|batch(3, 'x')|list", "'%-5s|%05.1f'|format('ab', ratio)", "loop.index ~ loop.cycle('a', 'b')",
}

// FuzzCompileTemplate checks that any template either fails to compile with
// an EINVALID error, or renders or fails to render with one, without a
// panic or a hang.
func FuzzCompileTemplate(f *testing.F) {
	for _, s := range templateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		// The input as a template, and as an expression printed alone and
		// in a loop, to reach the evaluator more often.
		for _, tpl := range []string{src, "{{ " + src + " }}", "{% for a in alerts %}{{ " + src + " }}{% endfor %}"} {
			start := time.Now()
			p, err := Compile(herald.Transform{MessageTemplate: tpl}, herald.Filters{})
			if elapsed := time.Since(start); elapsed > fuzzSlow {
				t.Fatalf("Compile took %v", elapsed)
			}
			if err != nil {
				checkError(t, err, "transform.message_template: ")
				continue
			}
			in := Input{Payload: fuzzPayload, Headers: map[string]string{"X-A": "b"}, EventType: "cpu.critical", Source: "fuzz"}
			start = time.Now()
			msg, _, err := p.Render(in)
			if elapsed := time.Since(start); elapsed > fuzzSlow {
				t.Fatalf("Render took %v", elapsed)
			}
			checkError(t, err, "transform.message_template: ")
			if len(msg) > MaxMessageBytes {
				t.Fatalf("message of %d bytes", len(msg))
			}
		}
	})
}

// FuzzJSONPath checks that any context_mapping query either fails to
// compile with an EINVALID error naming the key, or evaluates.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{
		"$.labels.service", "$.status", "$.severity", "$.service_name", "$", "$.alerts[0].labels.severity",
		"$.alerts[*].status", "$.alerts[-1]", "$.alerts[0:2:1]", "$..severity", "$..[?@.status == 'firing'].labels",
		"$.alerts[?@.labels.severity == 'critical' && length(@.status) > 2]", "$[?match(@, 'a.*')]",
		"$..a..b", "$[?@..x]", "$[?$.a]", "$['a\\u00e9']", "$.", "$[0", "labels.service", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := Compile(herald.Transform{ContextMapping: map[string]string{"key": path}}, herald.Filters{})
		if err != nil {
			checkError(t, err, "transform.context_mapping.key: ")
			return
		}
		start := time.Now()
		_, ctx, err := p.Render(Input{Payload: fuzzPayload})
		if elapsed := time.Since(start); elapsed > fuzzSlow {
			t.Fatalf("Render took %v", elapsed)
		}
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if ctx == nil {
			t.Fatal("nil context with a context_mapping")
		}
	})
}

// FuzzCondition checks that any condition either fails to compile with an
// EINVALID error, or evaluates to a result or an EINVALID error, without a
// panic or a hang.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"$.severity == 'critical'", "$.count > 2 && $.ratio < 1", "$.labels.service in ['api', 'web']",
		"any($.alerts, .status == 'firing')", "all($.alerts, all($.alerts, true))", "$.missing.deep == nil",
		"event_type startsWith 'cpu.'", "$.severity + '!' == 'critical!'", "len($.text) > 10 ? true : false",
		"let a = $.text; let b = a + a; len(b) > 0", "$.alert_name matches '^High' || $.none ?? false",
		"count(1..1000, # % 2 == 0) > 3", "map($.alerts, .status)[0] == 'firing'", "$env.event_type == ''",
		"1 +", "severity == 'x'", "repeat('a', 3) == ''", "all(1..1000000, true)",
	} {
		f.Add(s)
	}
	payloads := []any{fuzzPayload, nil, []any{"a", float64(1)}, "text"}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(herald.Transform{}, herald.Filters{Condition: src})
		if err != nil {
			checkError(t, err, "filters.condition: ")
			return
		}
		for _, payload := range payloads {
			start := time.Now()
			ok, reason, err := p.Match("cpu.critical", payload)
			if elapsed := time.Since(start); elapsed > fuzzSlow {
				t.Fatalf("Match took %v", elapsed)
			}
			checkError(t, err, "filters.condition: ")
			if !ok && reason == "" {
				t.Fatal("no reason for a failed match")
			}
		}
	})
}
