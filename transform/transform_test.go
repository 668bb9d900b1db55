package transform

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
)

// decode returns the JSON document s decoded as encoding/json does.
func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// mustCompile compiles t and f or fails the test.
func mustCompile(tb testing.TB, t herald.Transform, f herald.Filters) *Program {
	tb.Helper()
	p, err := Compile(t, f)
	if err != nil {
		tb.Fatalf("Compile(%+v, %+v): %v", t, f, err)
	}
	return p
}

// render compiles a message template and renders it for in.
func render(t *testing.T, tpl string, in Input) (string, error) {
	t.Helper()
	p := mustCompile(t, herald.Transform{MessageTemplate: tpl}, herald.Filters{})
	msg, _, err := p.Render(in)
	return msg, err
}

// wantInvalid checks that err is a *herald.Error with code EINVALID whose
// message contains every one of parts.
func wantInvalid(t *testing.T, err error, parts ...string) {
	t.Helper()
	var he *herald.Error
	if !errors.As(err, &he) {
		t.Fatalf("error = %v (%T), want a *herald.Error", err, err)
	}
	if he.Code != herald.EINVALID {
		t.Errorf("code = %q, want %q (message %q)", he.Code, herald.EINVALID, he.Message)
	}
	for _, p := range parts {
		if !strings.Contains(he.Message, p) {
			t.Errorf("message %q does not contain %q", he.Message, p)
		}
	}
}

// alertPayload is the AlertManager-style payload of seed 002.
const alertPayload = `{
	"alert_name": "HighCPU",
	"instance": "server-1",
	"severity": "critical",
	"status": "firing",
	"service_name": "api",
	"message": "CPU above 90% for 5 minutes",
	"count": 3,
	"labels": {"service": "api", "team": "ops"},
	"alerts": [
		{"status": "firing", "labels": {"alertname": "HighCPU", "severity": "critical"}},
		{"status": "resolved", "labels": {"alertname": "DiskFull", "severity": "warning"}}
	]
}`

func TestSeedTemplates(t *testing.T) {
	payload := decode(t, alertPayload)
	tests := []struct {
		name, tpl string
		in        Input
		want      string
	}{
		{"alert", "Alert: {{alert_name}} on {{instance}} ({{severity}})",
			Input{Payload: payload}, "Alert: HighCPU on server-1 (critical)"},
		{"alert from source", "Alert from {{source}}: {{message}}",
			Input{Payload: payload, Source: "webhook:alert-webhook"}, "Alert from webhook:alert-webhook: CPU above 90% for 5 minutes"},
		{"the payload's source wins", "Alert from {{source}}: {{message}}",
			Input{Payload: decode(t, `{"source": "prometheus", "message": "CPU above 90%"}`), Source: "webhook:alert-webhook"},
			"Alert from prometheus: CPU above 90%"},
		{"herald.source", "{{source}} via {{herald.source}}",
			Input{Payload: decode(t, `{"source": "prometheus"}`), Source: "webhook:alert-webhook"}, "prometheus via webhook:alert-webhook"},
		{"github", "GitHub event: {{event_type}} on {{repository}}",
			Input{Payload: decode(t, `{"repository": "heraldhq/herald"}`), EventType: "push"}, "GitHub event: push on heraldhq/herald"},
		{"integers print as integers", "{{ count }} alerts, {{ count * 2 }} checks, {{ count / 2 }}",
			Input{Payload: payload}, "3 alerts, 6 checks, 1.5"},
		{"loop over alerts",
			"{% for a in alerts %}{{ loop.index }}. {{ a.labels.alertname }} is {{ a.status }}{% if not loop.last %}; {% endif %}{% endfor %}",
			Input{Payload: payload}, "1. HighCPU is firing; 2. DiskFull is resolved"},
		{"filters", "{{ alerts|map(attribute='status')|join(', ')|upper }} {{ labels|dictsort|first|last }}",
			Input{Payload: payload}, "FIRING, RESOLVED api"},
		{"namespace counter",
			"{% set ns = namespace(n=0) %}{% for a in alerts if a.status == 'firing' %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }} firing",
			Input{Payload: payload}, "1 firing"},
		{"set block", "{% set title %}[{{ severity|upper }}]{% endset %}{{ title }} {{ alert_name }}",
			Input{Payload: payload}, "[CRITICAL] HighCPU"},
		{"headers and payload", "{{ headers['X-Source'] }} {{ payload.labels.team }} {{ payload['service_name'] }}",
			Input{Payload: payload, Headers: map[string]string{"X-Source": "prom"}}, "prom ops api"},
		{"undefined prints nothing", "[{{ nothing }}]{{ nothing|default('n/a') }}",
			Input{Payload: payload}, "[]n/a"},
		{"methods", "{{ alert_name.lower() }} {{ 'a,b'.split(',')|length }} {{ labels.keys()|join('+') }}",
			Input{Payload: payload}, "highcpu 2 service+team"},
		{"literals and operators", "{{ [1, 2] + [3] }} {{ {'a': 1}['a'] }} {{ 'ab' * 2 }} {{ 'x' ~ 1 }} {{ 7 // 2 }} {{ 7 % 4 }} {{ (1, 2)|length }}",
			Input{Payload: payload}, "[1, 2, 3] 1 abab x1 3 3 2"},
		{"globals", "{{ range(3)|join }} {{ dict(b=2, a=1)['a'] }}",
			Input{Payload: payload}, "012 1"},
		{"format and tojson", "{{ '%s=%d'|format('n', 3) }} {{ labels|tojson }}",
			Input{Payload: payload}, `n=3 {"service":"api","team":"ops"}`},
		{"raw and comments", "{# hidden #}{% raw %}{{ not rendered }}{% endraw %}",
			Input{Payload: payload}, "{{ not rendered }}"},
		{"array payload", "{{ payload|length }} items, first {{ payload[0] }}",
			Input{Payload: decode(t, `["a", "b"]`)}, "2 items, first a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(t, tt.tpl, tt.in)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTemplateVariables(t *testing.T) {
	in := Input{Source: "input-source", EventType: "input.type", Headers: map[string]string{"h": "v"}}
	tests := []struct {
		name, payload, tpl, want string
	}{
		{"the payload's fields win",
			`{"source": "payload-source", "event_type": "payload-type", "headers": 1, "payload": "shadow", "alert-name": "dashed", "n": 1.5, "big": 1e300}`,
			"{{ source }}|{{ event_type }}|{{ headers }}|{{ payload }}|{{ n }}",
			"payload-source|payload-type|1|shadow|1.5"},
		{"herald's own values are always under herald",
			`{"source": "payload-source", "event_type": "payload-type", "headers": 1, "payload": "shadow", "alert-name": "dashed"}`,
			"{{ herald.source }}|{{ herald.event_type }}|{{ herald.headers.h }}|{{ herald.payload.payload }}|{{ herald.payload['alert-name'] }}",
			"input-source|input.type|v|shadow|dashed"},
		{"bare names are filled when the payload has no such field",
			`{"message": "m"}`,
			"{{ source }}|{{ event_type }}|{{ headers.h }}|{{ payload.message }}|{{ message }}",
			"input-source|input.type|v|m|m"},
		{"a payload field named herald is under herald.payload",
			`{"herald": "mine"}`,
			"{{ herald.source }}|{{ herald.payload.herald }}",
			"input-source|mine"},
		{"an array payload",
			`["a"]`,
			"{{ payload[0] }}|{{ herald.payload[0] }}|{{ source }}",
			"a|a|input-source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := in
			in.Payload = decode(t, tt.payload)
			got, err := render(t, tt.tpl, in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTemplateDoesNotChangePayload(t *testing.T) {
	payload := decode(t, `{"labels": {"a": "1"}, "list": [1, 2]}`)
	before, _ := json.Marshal(payload)
	_, err := render(t, "{% set x = labels.copy() %}{{ list.copy() }}{{ labels.items() }}{{ list|reverse|list }}{{ list|sort(reverse=true) }}",
		Input{Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(payload)
	if string(before) != string(after) {
		t.Errorf("payload changed: %s, was %s", after, before)
	}
}

func TestDefaultMessage(t *testing.T) {
	tests := []struct {
		payload string
		want    string
	}{
		{`{"message": "Process this data", "context": {"a": 1}}`, "Process this data"},
		{`{"text": "no message field", "n": 1}`, `{"n":1,"text":"no message field"}`},
		{`{"message": 42}`, `{"message":42}`},
		{`["a", 1]`, `["a",1]`},
		{`"just a string"`, `"just a string"`},
		{`null`, `null`},
	}
	p := mustCompile(t, herald.Transform{}, herald.Filters{})
	for _, tt := range tests {
		msg, ctx, err := p.Render(Input{Payload: decode(t, tt.payload)})
		if err != nil {
			t.Fatalf("Render(%s): %v", tt.payload, err)
		}
		if msg != tt.want {
			t.Errorf("Render(%s) = %q, want %q", tt.payload, msg, tt.want)
		}
		if ctx != nil {
			t.Errorf("Render(%s) context = %v, want nil", tt.payload, ctx)
		}
	}
	_, _, err := p.Render(Input{Payload: map[string]any{"message": strings.Repeat("x", MaxMessageBytes+1)}})
	wantInvalid(t, err, "transform.message:", "1 MiB")
}

func TestContextMapping(t *testing.T) {
	payload := decode(t, alertPayload)
	p := mustCompile(t, herald.Transform{ContextMapping: map[string]string{
		"service":  "$.labels.service",
		"severity": "$.status",
		"svc":      "$.service_name",
		"first":    "$.alerts[0].labels.alertname",
		"firing":   "$.alerts[?@.status == 'firing'].labels.severity",
		"any":      "$..alertname",
		"missing":  "$.labels.nope",
		"count":    "$.count",
		"labels":   "$.labels",
	}}, herald.Filters{})
	_, ctx, err := p.Render(Input{Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"service": "api", "severity": "firing", "svc": "api", "first": "HighCPU",
		"firing": "critical", "any": "HighCPU", "count": float64(3),
		"labels": map[string]any{"service": "api", "team": "ops"},
	}
	if !reflect.DeepEqual(ctx, want) {
		t.Errorf("context = %#v, want %#v", ctx, want)
	}
	if _, ok := ctx["missing"]; ok {
		t.Error("a query that selects nothing must leave its key out")
	}
	// A scalar payload selects nothing but the root.
	_, ctx, err = p.Render(Input{Payload: "text"})
	if err != nil || len(ctx) != 0 || ctx == nil {
		t.Errorf("Render(scalar) = %v, %v; want an empty, non-nil context", ctx, err)
	}
}

func TestMatch(t *testing.T) {
	payload := decode(t, alertPayload)
	seed := herald.Filters{Include: []string{"*.critical", "*.warning"}, Exclude: []string{"*.debug", "test.*"}}
	tests := []struct {
		name      string
		filters   herald.Filters
		eventType string
		payload   any
		ok        bool
		reason    string
	}{
		{"no filters", herald.Filters{}, "anything", payload, true, ""},
		{"no filters, no type", herald.Filters{}, "", payload, true, ""},
		{"included", seed, "cpu.critical", payload, true, ""},
		{"included, warning", seed, "disk.warning", payload, true, ""},
		{"not included", seed, "cpu.info", payload, false, `event type "cpu.info" matches no filters.include pattern`},
		{"excluded", seed, "cpu.debug", payload, false, "excluded by filters.exclude pattern *.debug"},
		{"exclude wins", seed, "test.critical", payload, false, "excluded by filters.exclude pattern test.*"},
		{"empty type never included", seed, "", payload, false, `event type "" matches no filters.include pattern`},
		{"empty type never excluded", herald.Filters{Exclude: []string{"*"}}, "", payload, true, ""},
		{"star excludes all", herald.Filters{Exclude: []string{"*"}}, "a", payload, false, "excluded by filters.exclude pattern *"},
		{"condition true", herald.Filters{Condition: "$.severity == 'critical'"}, "", payload, true, ""},
		{"condition false", herald.Filters{Condition: "$.severity == 'warning'"}, "", payload, false, "filters.condition is false"},
		{"condition after include", herald.Filters{Include: []string{"*.critical"}, Condition: "$.severity == 'warning'"},
			"cpu.critical", payload, false, "filters.condition is false"},
		{"include before condition", herald.Filters{Include: []string{"*.critical"}, Condition: "$.severity == 'critical'"},
			"cpu.info", payload, false, `event type "cpu.info" matches no filters.include pattern`},
		{"condition on event type", herald.Filters{Condition: "event_type startsWith 'cpu.'"}, "cpu.info", payload, true, ""},
		{"missing field is nil", herald.Filters{Condition: "$.nope.deeper == nil && $.alerts[9] == nil"}, "", payload, true, ""},
		{"nil condition is false", herald.Filters{Condition: "$.nope"}, "", payload, false, "filters.condition is false"},
		{"predicates", herald.Filters{Condition: "any($.alerts, .status == 'firing') && count($.alerts, .labels.severity == 'warning') == 1"},
			"", payload, true, ""},
		{"numbers", herald.Filters{Condition: "$.count == 3 && $.count > 2.5 && $.count + 1 == 4"}, "", payload, true, ""},
		{"membership and regex", herald.Filters{Condition: "$.labels.service in ['api', 'web'] && $.alert_name matches '^High'"},
			"", payload, true, ""},
		{"dynamic pattern", herald.Filters{Condition: "$.alert_name matches ('^' + 'High')"}, "", payload, true, ""},
		{"array payload", herald.Filters{Condition: "len($) == 2 && $[0] == 'a' && $[-1] == 'b'"}, "", decode(t, `["a", "b"]`), true, ""},
		{"null payload", herald.Filters{Condition: "$.severity == 'critical'"}, "", nil, false, "filters.condition is false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, herald.Transform{}, tt.filters)
			ok, reason, err := p.Match(tt.eventType, tt.payload)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if ok != tt.ok || reason != tt.reason {
				t.Errorf("Match = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

func TestMatchConditionErrors(t *testing.T) {
	payload := map[string]any{"xs": make([]any, 400), "pattern": strings.Repeat("a", 2000)}
	tests := []struct {
		condition string
		parts     []string
	}{
		{"$.xs[0] ?? 'x'", []string{"filters.condition:", "string, not a boolean"}},
		{"$.xs > 3", []string{"filters.condition: line 1, column"}},
		{"'x' matches $.pattern", []string{"filters.condition: line 1, column 5:", "longer than 1 KiB"}},
		{"'x' matches ('(' + '')", []string{"filters.condition: line 1, column 5:", "compile pattern"}},
		{"all(1..1000000, true)", []string{"filters.condition: line 1, column", "memory budget exceeded"}},
		{"count($.xs, count($.xs, true) > 0) > 0", []string{"more than 100000 predicate evaluations"}},
		{"let a = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; let b = a+a; let c = b+b; let d = c+c; let e = d+d; let f = e+e; " +
			"let g = f+f; let h = g+g; let i = h+h; let j = i+i; let k = j+j; let l = k+k; let m = l+l; len(m) > 0",
			[]string{"a string would be longer than 64 KiB"}},
	}
	for _, tt := range tests {
		p := mustCompile(t, herald.Transform{}, herald.Filters{Condition: tt.condition})
		ok, reason, err := p.Match("", payload)
		if ok {
			t.Errorf("Match(%s) = true", tt.condition)
		}
		wantInvalid(t, err, tt.parts...)
		if err != nil && reason != herald.ErrorMessage(err) {
			t.Errorf("reason = %q, want the error's message", reason)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		t     herald.Transform
		f     herald.Filters
		parts []string
	}{
		{"template syntax", herald.Transform{MessageTemplate: "Alert: {{ 1 + }}"},
			herald.Filters{}, []string{"transform.message_template: line 1, column 15:"}},
		{"template unclosed", herald.Transform{MessageTemplate: "a\nhello {{ x }"},
			herald.Filters{}, []string{"transform.message_template: line 2, column 13:", "Unexpected delimiter"}},
		{"template unclosed if", herald.Transform{MessageTemplate: "{% if x %}"},
			herald.Filters{}, []string{"transform.message_template: line 1, column 11:", "endif"}},
		{"template too long", herald.Transform{MessageTemplate: strings.Repeat("x", MaxTemplateBytes+1)},
			herald.Filters{}, []string{"transform.message_template:", "longer than 64 KiB"}},
		{"template not utf-8", herald.Transform{MessageTemplate: "\xff"},
			herald.Filters{}, []string{"transform.message_template:", "UTF-8"}},
		{"jsonpath", herald.Transform{ContextMapping: map[string]string{"service": "$.labels..."}},
			herald.Filters{}, []string{"transform.context_mapping.service: position"}},
		{"jsonpath eof", herald.Transform{ContextMapping: map[string]string{"service": "$[0"}},
			herald.Filters{}, []string{"transform.context_mapping.service: position 4: unexpected eof"}},
		{"jsonpath no root", herald.Transform{ContextMapping: map[string]string{"s": "labels.service"}},
			herald.Filters{}, []string{"transform.context_mapping.s: position 1:"}},
		{"jsonpath empty", herald.Transform{ContextMapping: map[string]string{"s": ""}},
			herald.Filters{}, []string{"transform.context_mapping.s: query is empty"}},
		{"jsonpath two descendants", herald.Transform{ContextMapping: map[string]string{"s": "$..a..b"}},
			herald.Filters{}, []string{"transform.context_mapping.s: position 5:", "one descendant segment"}},
		{"jsonpath descendant in filter", herald.Transform{ContextMapping: map[string]string{"s": "$[?@..x]"}},
			herald.Filters{}, []string{"transform.context_mapping.s: position 5:", "inside filter"}},
		{"jsonpath root in filter", herald.Transform{ContextMapping: map[string]string{"s": "$.a[?@.b == $.c]"}},
			herald.Filters{}, []string{"transform.context_mapping.s: position 13:", "absolute"}},
		{"jsonpath regex", herald.Transform{ContextMapping: map[string]string{"s": "$[?match(@.a, 'x.*')]"}},
			herald.Filters{}, []string{"transform.context_mapping.s: position 4:", "match() and search() are not supported"}},
		{"context key empty", herald.Transform{ContextMapping: map[string]string{"": "$"}},
			herald.Filters{}, []string{"transform.context_mapping: key \"\": key is empty"}},
		{"condition syntax", herald.Transform{}, herald.Filters{Condition: "$.severity == 'critical' &&"},
			[]string{"filters.condition: line 1, column 27:"}},
		{"condition unknown name", herald.Transform{}, herald.Filters{Condition: "severity == 'critical'"},
			[]string{"filters.condition: line 1, column 1: unknown name severity"}},
		{"condition not boolean", herald.Transform{}, herald.Filters{Condition: "1 + 2"},
			[]string{"filters.condition: expected bool, but got int"}},
		{"condition disabled builtin", herald.Transform{}, herald.Filters{Condition: "repeat('a', 3) == 'aaa'"},
			[]string{"filters.condition: line 1, column 1: unknown name repeat"}},
		{"condition too long", herald.Transform{}, herald.Filters{Condition: strings.Repeat(" ", MaxConditionBytes+1)},
			[]string{"filters.condition:", "longer than 4 KiB"}},
		{"condition too many nodes", herald.Transform{}, herald.Filters{Condition: strings.Repeat("1+", 600) + "1 > 0"},
			[]string{"filters.condition:"}},
		{"include empty", herald.Transform{}, herald.Filters{Include: []string{"a.*", ""}},
			[]string{"filters.include[1]: pattern is empty"}},
		{"include space", herald.Transform{}, herald.Filters{Include: []string{"a b"}},
			[]string{"filters.include[0]: position 2:"}},
		{"exclude control", herald.Transform{}, herald.Filters{Exclude: []string{"ab\x00"}},
			[]string{"filters.exclude[0]: position 3:", "control character"}},
		{"exclude too long", herald.Transform{}, herald.Filters{Exclude: []string{strings.Repeat("a", MaxGlobBytes+1)}},
			[]string{"filters.exclude[0]:", "longer than 256 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.t, tt.f)
			if p != nil {
				t.Errorf("Compile returned a program with error %v", err)
			}
			wantInvalid(t, err, tt.parts...)
		})
	}
}

func TestSandboxRefuses(t *testing.T) {
	tests := []struct{ tpl, part string }{
		{"{% include '/etc/passwd' %}", "line 1, column 4: unknown or unsupported tag {% include %}"},
		{"{% extends 'base.html' %}", "unsupported tag {% extends %}"},
		{"{% import 'x' as x %}", "unsupported tag {% import %}"},
		{"{% from 'x' import y %}", "unsupported tag {% from %}"},
		{"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "unsupported tag {% macro %}"},
		{"{% call f() %}{% endcall %}", "unsupported tag {% call %}"},
		{"{% block b %}{{ self.b() }}{% endblock %}", "unsupported tag {% block %}"},
		{"{% do x.append(1) %}", "unsupported tag {% do %}"},
		{"{% with a = 1 %}{% endwith %}", "unsupported tag {% with %}"},
		{"{% filter upper %}x{% endfilter %}", "unsupported tag {% filter %}"},
		{"{% autoescape true %}x{% endautoescape %}", "unsupported tag {% autoescape %}"},
		{"{% for x in y recursive %}{{ loop(x) }}{% endfor %}", "line 1, column 1: recursive loops are not supported"},
		{"{% set x.y['z'] = 1 %}", "set can assign a name or a namespace attribute only"},
	}
	for _, tt := range tests {
		_, err := Compile(herald.Transform{MessageTemplate: tt.tpl}, herald.Filters{})
		wantInvalid(t, err, "transform.message_template: ", tt.part)
	}
	// Filters and tests outside the allowlists fail to compile; methods
	// and functions, whose receivers are known at render time only, fail
	// to render.
	for tpl, part := range map[string]string{
		"{{ 'a'|wordwrap(10) }}":               `line 1, column 8: unknown or unsupported filter "wordwrap"`,
		"{{ 'a' is nonsense }}":                `line 1, column 11: unknown test "nonsense"`,
		"{{ [1]|map('wordwrap') }}":            "",
		"{% for x in y|xmlattr %}{% endfor %}": `unknown or unsupported filter "xmlattr"`,
	} {
		_, err := Compile(herald.Transform{MessageTemplate: tpl}, herald.Filters{})
		if part == "" {
			if err != nil {
				t.Errorf("Compile(%s): %v", tpl, err)
			}
			continue
		}
		wantInvalid(t, err, "transform.message_template: ", part)
	}
	if msg, err := render(t, "{{ ['a b']|map('wordwrap', 1)|list }}", Input{}); err == nil && strings.Contains(msg, "a\nb") {
		t.Errorf("map applied a filter outside the allowlist: %q", msg)
	}
	for _, tpl := range []string{"{{ 'a'.center(5) }}", "{{ [1].append(2) }}", "{{ lipsum() }}"} {
		_, err := render(t, tpl, Input{})
		if err == nil {
			t.Errorf("Render(%s) succeeded", tpl)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	payload := decode(t, alertPayload)
	tests := []struct{ tpl, part string }{
		{"{{ 1 / 0 }}", "line 1: division by zero"},
		{"{{ 1 // 0 }}", "division by zero"},
		{"{{ 1 % 0 }}", "modulo by zero"},
		{"{{ nothing.deeper }}", "line 1:"},
		{"{% set ns = namespace() %}{% set ns.me = [ns] %}", "a namespace cannot hold a namespace"},
		{"{% set x = 1 %}{% set x.y = 2 %}", "only namespace() objects"},
		{"{{ [1] + 'a' }}", "cannot concatenate a list and a string"},
	}
	for _, tt := range tests {
		_, err := render(t, tt.tpl, Input{Payload: payload})
		wantInvalid(t, err, "transform.message_template: ", tt.part)
	}
}

func TestConcurrentUse(t *testing.T) {
	p := mustCompile(t, herald.Transform{
		MessageTemplate: "{% set ns = namespace(n=0) %}{% for a in alerts %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ alert_name }}:{{ ns.n }}",
		ContextMapping:  map[string]string{"service": "$.labels.service"},
	}, herald.Filters{Include: []string{"*.critical"}, Condition: "any($.alerts, .status == 'firing')"})
	payload := decode(t, alertPayload)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if ok, _, err := p.Match("cpu.critical", payload); !ok || err != nil {
					t.Errorf("Match = %v, %v", ok, err)
					return
				}
				msg, ctx, err := p.Render(Input{Payload: payload})
				if err != nil || msg != "HighCPU:2" || ctx["service"] != "api" {
					t.Errorf("Render = %q, %v, %v", msg, ctx, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestSeedWebhookConfiguration applies the "alert-webhook" configuration of
// seed 002 as a whole, decoded from its JSON.
func TestSeedWebhookConfiguration(t *testing.T) {
	var config struct {
		Transform herald.Transform `json:"transform"`
		Filters   herald.Filters   `json:"filters"`
	}
	err := json.Unmarshal([]byte(`{
		"name": "alert-webhook",
		"agent": "default",
		"secret": "my-secret",
		"transform": {
			"message_template": "Alert from {{source}}: {{message}}",
			"context_mapping": {"severity": "$.severity", "service": "$.service_name"}
		},
		"filters": {
			"include": ["*.critical", "*.warning"],
			"exclude": ["*.debug"],
			"condition": "$.severity == 'critical'"
		}
	}`), &config)
	if err != nil {
		t.Fatal(err)
	}
	p := mustCompile(t, config.Transform, config.Filters)
	payload := decode(t, alertPayload)
	if ok, reason, err := p.Match("cpu.critical", payload); !ok || err != nil {
		t.Fatalf("Match = %v, %q, %v", ok, reason, err)
	}
	if ok, reason, _ := p.Match("cpu.debug", payload); ok || reason != "excluded by filters.exclude pattern *.debug" {
		t.Errorf("Match(cpu.debug) = %v, %q", ok, reason)
	}
	// The payload's source wins over the webhook's.
	payload.(map[string]any)["source"] = "prometheus"
	msg, ctx, err := p.Render(Input{Payload: payload, Source: "webhook:alert-webhook", EventType: "cpu.critical"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Alert from prometheus: CPU above 90% for 5 minutes"; msg != want {
		t.Errorf("message = %q, want %q", msg, want)
	}
	if want := map[string]any{"severity": "critical", "service": "api"}; !reflect.DeepEqual(ctx, want) {
		t.Errorf("context = %v, want %v", ctx, want)
	}
	// The types round-trip through JSON with the seed's field names.
	out, _ := json.Marshal(config)
	if !strings.Contains(string(out), `"message_template":`) || !strings.Contains(string(out), `"context_mapping":`) ||
		!strings.Contains(string(out), `"include":`) || !strings.Contains(string(out), `"condition":`) {
		t.Errorf("JSON = %s", out)
	}
}
