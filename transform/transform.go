// Package transform compiles and applies the transform and filters of an
// inbound webhook (herald.Transform and herald.Filters, seed 002): it decides
// whether a request passes (Match) and turns it into the message and context
// handed to an agent (Render).
//
// Compile once when a webhook is created or updated, and keep the *Program:
// it is immutable and safe for concurrent use by many requests. Every error
// is a *herald.Error with code herald.EINVALID whose message names the field
// ("filters.include[0]: ...") and, when known, the position.
//
// # Message templates
//
// transform.message_template is Jinja2, rendered by gonja in a sandbox. The
// variables are the top-level fields of an object payload (those named like
// identifiers), which always win. Herald's own values are always under
// herald: herald.source, herald.event_type, herald.headers and
// herald.payload. The bare names payload, headers, event_type and source
// hold the same values only when the payload has no field of that name, so
// "Alert from {{source}}" prints the payload's source when it has one.
// Integral JSON numbers are ints ({{ count }} is
// "3", not "3.0"). An undefined variable prints as nothing; an attribute of
// an undefined variable is an error (use "default" or "is defined").
//
// Allowed: the tags if/elif/else, for/else (loop.*, break, continue, an
// "if" filter), set (a variable, a namespace attribute, or the block form),
// raw and comments; all operators; the builtin tests; the filters abs, attr,
// batch, capitalize, center, count, d, default, dictsort, e, escape,
// filesizeformat, first, float, format, groupby, indent, int, items, join,
// last, length, list, lower, map, max, min, reject, rejectattr, replace,
// reverse, round, safe, select, selectattr, slice, sort, string, sum, title,
// tojson, trim, truncate, unique, upper, urlencode and wordcount; the
// methods of strings, lists and dicts that neither pad nor mutate
// ("a,b".split(","), d.items(), s.lower()...); and the globals range, dict
// and namespace. Everything else, notably include, extends, import, macro,
// call, block, do, with, filter blocks and recursive loops, fails to compile,
// so a template reads nothing but its input and cannot recurse.
//
// # Context mapping
//
// transform.context_mapping values are RFC 9535 JSONPath queries
// (github.com/theory/jsonpath). Each key gets the first node its query
// selects; a key whose query selects nothing is left out. To keep evaluation
// linear in the payload, a query may have one descendant segment ("..")
// outside filter selectors and none inside them, no absolute query ("$")
// inside a filter selector, and no match() or search() (which compile a
// regular expression for every node).
//
// # Filters
//
// filters.include and filters.exclude are globs on the event type: "*"
// matches any run of characters, dots included, "?" one character, and
// everything else itself. filters.condition is an expr-lang expression
// (github.com/expr-lang/expr) where "$" is the payload and event_type the
// event type; it must be boolean, and nil (a missing field) counts as false.
// Member and index access are nil-safe ($.a.b and $.list[9] are nil when
// missing). The builtins are those in conditionBuiltins: the predicates
// (all, any, none, one, filter, map, find..., count, sum) and the linear
// string, number and collection functions.
//
// # Limits
//
// A hostile or careless configuration cannot hang or crash the server.
// Compile refuses templates over MaxTemplateBytes or nesting deeper than
// MaxTemplateNesting, conditions over MaxConditionBytes or
// MaxConditionNodes, and the queries and globs described above. Render and
// the condition in Match each run under Timeout. A render runs at most
// MaxLoopIterations loop iterations; every value it builds is at most
// MaxValueBytes and MaxListItems, and all of them together at most
// MaxRenderBytes, counted at their full size even when they share memory;
// its message is at most MaxMessageBytes. A condition runs at most
// MaxConditionSteps predicate bodies within expr's ConditionMemoryBudget,
// and builds strings of at most MaxConditionStringBytes. Panics inside the
// engines become errors.
package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/theory/jsonpath"

	"github.com/heraldhq/herald"
)

// Limits of compiled programs and of each evaluation. They are constants so
// that every Herald instance accepts the same configurations.
const (
	// MaxTemplateBytes is the longest transform.message_template: 64 KiB.
	MaxTemplateBytes = 64 << 10
	// MaxTemplateNesting is the deepest nesting a message template may have,
	// counting brackets, operators and attribute accesses within
	// expressions and tags within tags: 100 levels. gonja's parser,
	// evaluator and error messages are recursive, some quadratic in depth.
	MaxTemplateNesting = 100
	// MaxMessageBytes is the longest message Render returns, rendered or
	// default: 1 MiB. A template whose output grows past it fails.
	MaxMessageBytes = 1 << 20
	// MaxValueBytes is the largest string one template operation (an
	// operator, filter or method) may produce: 1 MiB.
	MaxValueBytes = 1 << 20
	// MaxListItems is the longest list one template operation may produce,
	// and the longest range(): 100,000 items.
	MaxListItems = 100_000
	// MaxRenderBytes bounds the total size of the values a render produces
	// (operator, filter and method results, printed expressions, loop bodies):
	// 32 MiB. It bounds memory and work however values are combined.
	MaxRenderBytes = 32 << 20
	// MaxLoopIterations is the most for-loop iterations one render may run,
	// all loops together: 100,000.
	MaxLoopIterations = 100_000
	// Timeout bounds one Render and one condition evaluation in Match: 1s.
	Timeout = time.Second

	// MaxContextMappings is the most keys transform.context_mapping may have.
	MaxContextMappings = 64
	// MaxContextKeyBytes is the longest context_mapping key: 128 bytes.
	MaxContextKeyBytes = 128
	// MaxJSONPathBytes is the longest context_mapping query: 4 KiB.
	MaxJSONPathBytes = 4 << 10

	// MaxGlobs is the most globs filters.include and filters.exclude may
	// each have: 100.
	MaxGlobs = 100
	// MaxGlobBytes is the longest glob: 256 bytes.
	MaxGlobBytes = 256

	// MaxConditionBytes is the longest filters.condition: 4 KiB.
	MaxConditionBytes = 4 << 10
	// MaxConditionNodes is the most syntax-tree nodes a condition may have:
	// 500.
	MaxConditionNodes = 500
	// ConditionMemoryBudget is expr's memory budget for one evaluation, in
	// its units (roughly, elements of ranges, arrays and maps it builds):
	// 100,000.
	ConditionMemoryBudget = 100_000
	// MaxConditionSteps is the most predicate bodies (the closures of all,
	// any, filter, map...) one evaluation may run, nested ones included:
	// 100,000.
	MaxConditionSteps = 100_000
	// MaxConditionStringBytes is the longest string "+" may build in a
	// condition: 64 KiB. All of them together may total 1 MiB per
	// evaluation.
	MaxConditionStringBytes = 64 << 10
)

// Program is a compiled transform and filters. It is immutable and safe for
// concurrent use.
type Program struct {
	include   []glob
	exclude   []glob
	condition *vm.Program // nil when filters.condition is empty
	template  *exec.Template
	mappings  []mapping // sorted by key
}

// mapping is one compiled context_mapping entry.
type mapping struct {
	key  string
	path *jsonpath.Path
}

// Input is what Render transforms: one inbound request.
type Input struct {
	// Payload is the decoded JSON body: map[string]any, []any, string,
	// float64 (or json.Number), bool or nil, as encoding/json produces.
	Payload any
	// Headers are the request headers, one value per name. Nil is fine.
	Headers map[string]string
	// EventType is the request's event type, "" when it has none.
	EventType string
	// Source names where the request came from (the webhook's name or the
	// sending platform); templates see it as herald.source, and as source
	// when the payload has no source field. It may be empty.
	Source string
}

// Check validates an inbound webhook's settings (herald.InboundWebhook's
// Validate) and compiles its transform and filters: what the API and the
// dashboard check before they store one.
func Check(wh *herald.InboundWebhook) error {
	if err := wh.Validate(); err != nil {
		return err
	}
	_, err := Compile(wh.Transform, wh.Filters)
	return err
}

// Compile validates and compiles t and f. Every error is a *herald.Error
// with code herald.EINVALID whose message names the field and, when known,
// the position: "transform.message_template: line 1, column 5: ...",
// "transform.context_mapping.service: position 3: ...",
// "filters.condition: line 1, column 12: ...", "filters.include[0]: ...".
func Compile(t herald.Transform, f herald.Filters) (*Program, error) {
	p := &Program{}
	var err error
	if p.exclude, err = compileGlobs("filters.exclude", f.Exclude); err != nil {
		return nil, err
	}
	if p.include, err = compileGlobs("filters.include", f.Include); err != nil {
		return nil, err
	}
	if f.Condition != "" {
		if p.condition, err = compileCondition(f.Condition); err != nil {
			return nil, err
		}
	}
	if t.MessageTemplate != "" {
		if p.template, err = compileTemplate(t.MessageTemplate); err != nil {
			return nil, err
		}
	}
	if p.mappings, err = compileMappings(t.ContextMapping); err != nil {
		return nil, err
	}
	return p, nil
}

// Match reports whether a request with this event type and payload passes
// the filters. When it does not, reason says why: "excluded by
// filters.exclude pattern X", "event type X matches no filters.include
// pattern" or "filters.condition is false". The exclude globs are checked
// first, then the include globs, then the condition. An empty event type
// matches no glob: it is never excluded, and never included by a non-empty
// include list.
//
// err is non-nil only when the condition cannot be evaluated on this payload
// (a type error such as comparing a string with a number, or a limit hit):
// it is then a *herald.Error with code herald.EINVALID naming
// filters.condition, ok is false and reason repeats it.
func (p *Program) Match(eventType string, payload any) (ok bool, reason string, err error) {
	for _, g := range p.exclude {
		if g.match(eventType) {
			return false, fmt.Sprintf("excluded by filters.exclude pattern %s", g.src), nil
		}
	}
	if len(p.include) > 0 {
		included := false
		for _, g := range p.include {
			if g.match(eventType) {
				included = true
				break
			}
		}
		if !included {
			return false, fmt.Sprintf("event type %q matches no filters.include pattern", eventType), nil
		}
	}
	if p.condition == nil {
		return true, "", nil
	}
	pass, err := runCondition(p.condition, eventType, payload)
	if err != nil {
		e := herald.Errorf(herald.EINVALID, "filters.condition: %s", err)
		return false, e.Message, e
	}
	if !pass {
		return false, "filters.condition is false", nil
	}
	return true, "", nil
}

// Render turns in into the message and context for the agent. With a
// message template the message is its output; without one it is the
// payload's "message" field when that is a string, else the payload as
// compact JSON. ctx holds, for each context_mapping key, the first node its
// query selects from the payload; keys whose query selects nothing are left
// out, and ctx is nil when there is no context_mapping.
//
// Errors are *herald.Error with code herald.EINVALID naming the field:
// "transform.message_template: ..." when rendering fails or hits a limit,
// "transform.message: ..." when the default message is too long.
func (p *Program) Render(in Input) (message string, ctx map[string]any, err error) {
	if p.template != nil {
		message, err = renderTemplate(p.template, in)
		if err != nil {
			return "", nil, herald.Errorf(herald.EINVALID, "transform.message_template: %s", err)
		}
	} else {
		message, err = defaultMessage(in.Payload)
		if err != nil {
			return "", nil, herald.Errorf(herald.EINVALID, "transform.message: %s", err)
		}
	}
	return message, p.Context(in.Payload), nil
}

// HasTemplate reports whether p renders a message_template (else Render
// makes the default message).
func (p *Program) HasTemplate() bool { return p.template != nil }

// Context is the context Render returns for payload: each
// context_mapping key with the first node its query selects, nil when
// there is no context_mapping.
func (p *Program) Context(payload any) map[string]any {
	if len(p.mappings) == 0 {
		return nil
	}
	ctx := make(map[string]any, len(p.mappings))
	for _, m := range p.mappings {
		if v, ok := selectFirst(m.path, payload); ok {
			ctx[m.key] = v
		}
	}
	return ctx
}

// defaultMessage is the message without a template: the payload's "message"
// string, else the payload as compact JSON.
func defaultMessage(payload any) (string, error) {
	if obj, ok := payload.(map[string]any); ok {
		if s, ok := obj["message"].(string); ok {
			if len(s) > MaxMessageBytes {
				return "", fmt.Errorf("the payload's message is longer than %s", byteSize(MaxMessageBytes))
			}
			return s, nil
		}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("encode payload: %w", err)
	}
	if len(b) > MaxMessageBytes {
		return "", fmt.Errorf("the payload is longer than %s", byteSize(MaxMessageBytes))
	}
	return string(b), nil
}

// errLimit is a limit hit during an evaluation; its message is shown as is.
type errLimit struct{ msg string }

func (e *errLimit) Error() string { return e.msg }

// limitf returns an *errLimit.
func limitf(format string, args ...any) error {
	return &errLimit{msg: fmt.Sprintf(format, args...)}
}

// isLimit reports whether err is or wraps an *errLimit, and returns it.
func isLimit(err error) (*errLimit, bool) {
	var l *errLimit
	ok := errors.As(err, &l)
	return l, ok
}

// byteSize formats a power-of-two size limit for messages: "64 KiB".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
