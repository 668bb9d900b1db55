package transform

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestTemplateLimits runs templates that try to loop forever, exhaust memory
// or explode their output: each must fail cleanly, with an EINVALID error
// naming the limit, and quickly.
func TestTemplateLimits(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	payload := map[string]any{
		"big":   big,
		"csv":   strings.Repeat("a,", 50<<10),
		"small": "abc",
		"deep":  nestedList(2000),
	}
	literal := strings.Repeat("y", 60<<10)
	tests := []struct {
		name, tpl, part string
	}{
		{"nested loops", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
			"would run more than 100000 loop iterations"},
		{"three nested loops", "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(10) %}{% endfor %}{% endfor %}{% endfor %}",
			"loop iterations"},
		{"huge range", "{% for i in range(1000000000000) %}{% endfor %}", "range: more than 100000 items"},
		{"huge range arithmetic", "{{ range(-9223372036854775807, 9223372036854775807)|length }}", "range: more than 100000 items"},
		{"loop over a long string", "{% for a in big %}{% for b in big %}{% endfor %}{% endfor %}", "loop iterations"},
		{"output explosion", "{% for i in range(100000) %}{{ big }}{% endfor %}", "longer than 1 MiB"},
		{"literal explosion", "{% for i in range(100000) %}" + literal + "{% endfor %}", "MiB"},
		{"hidden literal explosion", "{% set x %}{% for i in range(100000) %}" + literal + "{% endfor %}{% endset %}{{ x|length }}",
			"produced more than 32 MiB of values|took longer than 1s"},
		{"hidden output explosion", "{% for i in range(100000) %}{% set x %}{{ big }}{% endset %}{% endfor %}",
			"produced more than 32 MiB of values|took longer than 1s"},
		{"string repeat", "{{ 'x' * 1000000000 }}", "a string would be longer than 1 MiB"},
		{"string doubling", "{% set ns = namespace(s='xxxxxxxx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
			"a string would be longer than 1 MiB"},
		{"string doubling with +", "{% set ns = namespace(s=small) %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
			"a string would be longer than 1 MiB"},
		{"list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
			"more than 100000 items"},
		{"shared references", "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = ns.l + [big] %}{% endfor %}{{ ns.l|join }}",
			"1 MiB"},
		{"literal of references", "{{ [big, big, big, big, big, big, big, big, big, big, big, big]|join }}", "larger than 1 MiB"},
		{"deep nesting", "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
			"nest deeper than 256 levels"},
		{"deep payload wrapped", "{{ [deep] }}", "nest deeper than 256 levels"},
		{"center", "{{ small|center(1000000000) }}", "filter center: width is larger than"},
		{"indent", "{{ csv|replace(',', '\n')|indent(1000) }}", "filter indent"},
		{"replace", "{{ big|replace('', big) }}", "filter replace"},
		{"join separator", "{{ range(100000)|join(big) }}", "filter join"},
		{"format width", "{{ '%999999d%999999d'|format(1, 2) }}", "filter format"},
		{"tojson indent", "{{ deep|tojson(indent=100000) }}", "filter tojson"},
		{"batch", "{{ [1]|batch(1000000000, 'x') }}", "filter batch: linecount is larger"},
		{"slow method in a loop", "{% for i in range(100000) %}{% if csv.split(',') %}{% endif %}{% endfor %}",
			"produced more than 32 MiB of values|took longer than 1s"},
		{"slow method in a loop filter", "{% for i in range(100000) if csv.split(',') %}{% endfor %}",
			"produced more than 32 MiB of values|took longer than 1s"},
		{"slow slicing in a loop", "{% for i in range(100000) %}{% if csv[::2] %}{% endif %}{% endfor %}",
			"took longer than 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, herald.Transform{MessageTemplate: tt.tpl}, herald.Filters{})
			start := time.Now()
			msg, _, err := p.Render(Input{Payload: payload})
			if elapsed := time.Since(start); elapsed > 2*Timeout {
				t.Errorf("Render took %v", elapsed)
			}
			if err == nil {
				t.Fatalf("Render succeeded with %d bytes", len(msg))
			}
			if raceEnabled && strings.Contains(err.Error(), "took longer than") {
				return
			}
			// A part "a|b" accepts either limit: which one a slow machine
			// hits first may vary.
			want := strings.Split(tt.part, "|")
			for _, w := range want[1:] {
				if strings.Contains(err.Error(), w) {
					want[0] = w
				}
			}
			wantInvalid(t, err, "transform.message_template: ", want[0])
		})
	}
}

// nestedList returns [[[...]]] nested depth levels deep.
func nestedList(depth int) any {
	var v any = []any{}
	for i := 0; i < depth; i++ {
		v = []any{v}
	}
	return v
}

// TestLargeButFine checks that the limits leave room for real work: a
// payload near the body limit printed whole, and a few thousand loop
// iterations.
func TestLargeButFine(t *testing.T) {
	items := make([]any, 2000)
	for i := range items {
		items[i] = map[string]any{"name": "item", "value": float64(i)}
	}
	payload := map[string]any{"items": items, "blob": strings.Repeat("z", 700<<10)}
	p := mustCompile(t, herald.Transform{
		MessageTemplate: "{{ blob|length }} {% for it in items %}{{ it.name }}{{ it.value }},{% endfor %} {{ payload|tojson|length > 0 }}",
	}, herald.Filters{Condition: "all($.items, .value >= 0) && len($.blob) > 0"})
	if ok, reason, err := p.Match("", payload); !ok || err != nil {
		t.Fatalf("Match = %v, %q, %v", ok, reason, err)
	}
	msg, _, err := p.Render(Input{Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, "716800 item0,item1,") || !strings.HasSuffix(msg, "item1999, True") {
		t.Errorf("Render = %q...", msg[:min(len(msg), 80)])
	}
}

func TestConditionTimeout(t *testing.T) {
	// Each predicate body does linear work on a long string: the steps
	// stay under the limit, the deadline stops it.
	xs := make([]any, 90000)
	payload := map[string]any{"xs": xs, "s": strings.Repeat("ab", 64<<10)}
	p := mustCompile(t, herald.Transform{}, herald.Filters{Condition: "all($.xs, indexOf($.s, 'abc') < 0 && upper($.s) != '')"})
	start := time.Now()
	_, _, err := p.Match("", payload)
	if elapsed := time.Since(start); elapsed > 2*Timeout {
		t.Errorf("Match took %v", elapsed)
	}
	wantInvalid(t, err, "filters.condition: ", "took longer than 1s")
}

// TestNestingLimits checks that deeply nested templates are refused at
// compile time, fast: gonja's parser and error messages are quadratic in
// nesting depth.
func TestNestingLimits(t *testing.T) {
	n := 20000
	tests := map[string]string{
		"parentheses":  "{{ " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + " }}",
		"lists":        "{{ " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + " }}",
		"dicts":        "{{ " + strings.Repeat("{'a':", n/4) + "1" + strings.Repeat("}", n/4) + " }}",
		"unclosed":     strings.Repeat("{{ (", n/2),
		"ifs":          strings.Repeat("{% if true %}", 3000) + "x" + strings.Repeat("{% endif %}", 3000),
		"fors":         strings.Repeat("{% for i in [1] %}", 3000) + "x" + strings.Repeat("{% endfor %}", 3000),
		"set blocks":   strings.Repeat("{% set x %}", 3000) + "x" + strings.Repeat("{% endset %}", 3000),
		"operators":    "{{ 'a'" + strings.Repeat(" ~ 'a'", 5000) + " }}",
		"attributes":   "{{ x" + strings.Repeat(".a", 20000) + " }}",
		"calls":        "{{ x" + strings.Repeat("()", 20000) + " }}",
		"nested calls": "{{ " + strings.Repeat("f(", 150) + strings.Repeat(")", 150) + " }}",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			src = src[:min(len(src), MaxTemplateBytes)]
			start := time.Now()
			_, err := Compile(herald.Transform{MessageTemplate: src}, herald.Filters{})
			if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
				t.Errorf("Compile took %v", elapsed)
			}
			wantInvalid(t, err, "transform.message_template: line 1, column ", "deeper than 100 levels")
		})
	}
	// Long but flat templates are fine.
	src := "{{ 'a'" + strings.Repeat("|upper", 5000) + " }}" + strings.Repeat("{% if true %}x{% endif %}", 1000)
	if _, err := render(t, src, Input{}); err != nil {
		t.Errorf("flat template: %v", err)
	}
}

// TestRenderStopsAfterTimeout checks that a render that runs out of time
// does not keep running in the background.
func TestRenderStopsAfterTimeout(t *testing.T) {
	payload := map[string]any{"csv": strings.Repeat("a,", 50<<10)}
	p := mustCompile(t, herald.Transform{
		MessageTemplate: "{% for i in range(100000) %}{% if csv[::2] %}{% endif %}{% endfor %}",
	}, herald.Filters{})
	before := runtime.NumGoroutine()
	_, _, err := p.Render(Input{Payload: payload})
	wantInvalid(t, err, "took longer than 1s")
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the render, %d before", n, before)
	}
}
