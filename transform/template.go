package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"

	"github.com/heraldhq/herald"
)

// templateName is the name gonja knows the template by.
const templateName = "message_template"

// compileTemplate parses transform.message_template and rewrites it for the
// sandbox. Errors are *herald.Error values naming the field and the line
// and column.
func compileTemplate(src string) (t *exec.Template, err error) {
	const field = "transform.message_template"
	if len(src) > MaxTemplateBytes {
		return nil, fieldError(field, fmt.Errorf("template is longer than %s", byteSize(MaxTemplateBytes)))
	} else if !utf8.ValidString(src) {
		return nil, fieldError(field, errors.New("template is not valid UTF-8"))
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fieldError(field, fmt.Errorf("invalid template (%v)", r))
		}
	}()
	if err := scanNesting(src); err != nil {
		return nil, fieldError(field, err)
	}
	cfg := config.New()
	t, err = exec.NewTemplate(templateName, cfg, &sourceLoader{src: src}, sandboxEnv)
	if err != nil {
		return nil, fieldError(field, templateError(src, err))
	}
	if err := rewriteTemplate(t.Root()); err != nil {
		return nil, fieldError(field, err)
	}
	return t, nil
}

// fieldError returns an EINVALID *herald.Error "field: err".
func fieldError(field string, err error) *herald.Error {
	return herald.Errorf(herald.EINVALID, "%s: %s", field, err)
}

// gonjaPos finds the position gonja appends to some messages.
var gonjaPos = regexp.MustCompile(`\s*\(Line: (\d+) Col: (\d+), near "((?s).*)"\)$`)

// unknownTag is gonja's message for a tag it does not know, which here
// includes every tag the sandbox leaves out.
var unknownTag = regexp.MustCompile(`^ControlStructure '(.*)' not found`)

// templateError rewrites a gonja parse error of src as "line L, column C:
// message".
func templateError(src string, err error) error {
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		if se.Line == 0 {
			// Tokens of lexer errors carry no line: find the error again.
			if pe := lexError(src); pe != nil {
				return pe
			}
		}
		msg := se.Message
		if m := unknownTag.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("unknown or unsupported tag {%% %s %%}", m[1])
		}
		if se.Raw != "" && len(se.Raw) <= 40 {
			msg = fmt.Sprintf("%s (near %q)", msg, se.Raw)
		}
		return &posError{line: se.Line, col: se.Column, msg: msg}
	}
	if pe := lexError(src); pe != nil {
		return pe
	}
	// Drop gonja's "failed to parse template '<source>'" prefix.
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	msg := err.Error()
	if m := gonjaPos.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		return &posError{line: line, col: col, msg: strings.TrimSpace(msg[:len(msg)-len(m[0])])}
	}
	return errors.New(msg)
}

// lexError returns the first lexical error of src, if any.
func lexError(src string) *posError {
	s := tokens.LexAll(src, config.New())
	for !s.End() {
		s.Next()
	}
	if !s.IsError() {
		return nil
	}
	tok := s.Current()
	pos := min(max(tok.Pos, 0), len(src))
	line, col := tokens.ReadablePosition(pos, src)
	return &posError{line: line, col: col, msg: tok.Val}
}

// sourceLoader serves the template itself and nothing else: a template
// cannot read files.
type sourceLoader struct{ src string }

// Read implements loaders.Loader.
func (l *sourceLoader) Read(path string) (io.Reader, error) {
	if path != templateName {
		return nil, fmt.Errorf("templates cannot load %q", path)
	}
	return strings.NewReader(l.src), nil
}

// Resolve implements loaders.Loader.
func (l *sourceLoader) Resolve(path string) (string, error) { return path, nil }

// Inherit implements loaders.Loader.
func (l *sourceLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

// limitWriter collects the message, failing past MaxMessageBytes.
type limitWriter struct {
	b   *budget
	out strings.Builder
}

// Write implements io.Writer.
func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > MaxMessageBytes-w.out.Len() {
		return 0, w.b.fail(limitf("the message would be longer than %s", byteSize(MaxMessageBytes)))
	}
	if err := w.b.check(); err != nil {
		return 0, err
	}
	return w.out.Write(p)
}

// renderTemplate renders t for in. The render runs in its own goroutine so
// that, whatever happens in gonja, Render returns within Timeout; the render
// itself checks the same deadline at every loop iteration and operation, so
// it stops soon after.
func renderTemplate(t *exec.Template, in Input) (string, error) {
	b := newBudget(MaxLoopIterations, "loop iterations", MaxRenderBytes)
	b.abort = true
	ctx := exec.NewContext(templateVars(in, b))
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				if l, ok := p.(*errLimit); ok {
					r = result{err: l}
				} else {
					r = result{err: fmt.Errorf("the template engine failed: %v", p)}
				}
			}
			done <- r
		}()
		w := &limitWriter{b: b}
		if err := t.Execute(w, ctx); err != nil {
			r.err = renderError(b, err)
			return
		}
		r.out = w.out.String()
	}()
	timer := time.NewTimer(Timeout + Timeout/10)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.out, r.err
	case <-timer.C:
		b.stop()
		return "", limitf("took longer than %s", Timeout)
	}
}

// gonjaAt matches the "where" prefixes gonja puts on execution errors.
var gonjaAt = regexp.MustCompile(`(?:unable to execute template: )?Unable to (?:execute controlStructure|render expression|render condition|evaluation condition as boolean) at line (\d+): `)

// gonjaCall matches how gonja prints the calls of rewritten expressions,
// which mean nothing to the template's author.
var gonjaCall = regexp.MustCompile(`call\(\[((?:[^\[\]]|\[[^\[\]]*\])*)\], map\[\]\)(: )?`)

// gonjaInternal matches the parts of gonja's messages that only name the
// sandbox's internal functions or gonja's own types.
var gonjaInternal = regexp.MustCompile(`unable to evaluate parameters: |invalid call to function 'herald#\w+': |\w+ControlStructure\(Line=\d+ Col=\d+\): `)

// renderError turns a gonja execution error into a message: the limit hit,
// if any, else gonja's message as "line L: message", without its generic
// prefixes and the internals of the sandbox.
func renderError(b *budget, err error) error {
	if b.err != nil {
		return b.err
	}
	if l, ok := isLimit(err); ok {
		return l
	}
	msg := err.Error()
	line := ""
	if m := gonjaAt.FindStringSubmatch(msg); m != nil {
		line = "line " + m[1] + ": "
	}
	msg = gonjaAt.ReplaceAllString(msg, "")
	msg = gonjaCall.ReplaceAllString(msg, "")
	msg = gonjaInternal.ReplaceAllString(msg, "")
	msg = strings.TrimPrefix(msg, "unable to execute template: ")
	return errors.New(line + msg)
}

// identifier matches the payload keys that become template variables.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// templateVars returns the variables of a render. The top-level fields of
// an object payload whose names are identifiers come first and always win.
// Herald's own values are always under herald: herald.source,
// herald.event_type, herald.headers and herald.payload. The bare names
// payload, headers, event_type and source hold the same values only when
// the payload has no field of that name.
func templateVars(in Input, b *budget) map[string]any {
	payload := templateValue(in.Payload, 0)
	vars := map[string]any{}
	if obj, ok := payload.(map[string]any); ok {
		for k, v := range obj {
			if identifier.MatchString(k) {
				vars[k] = v
			}
		}
	}
	headers := make(map[string]any, len(in.Headers))
	for k, v := range in.Headers {
		headers[k] = v
	}
	own := map[string]any{
		"payload":    payload,
		"headers":    headers,
		"event_type": in.EventType,
		"source":     in.Source,
	}
	for k, v := range own {
		if _, taken := vars[k]; !taken {
			vars[k] = v
		}
	}
	vars[heraldVar] = own
	vars[budgetVar] = b
	return vars
}

// heraldVar is the template variable that holds Herald's own values; it
// hides a payload field of the same name, which stays readable as
// herald.payload.herald.
const heraldVar = "herald"

// maxPayloadDepth bounds the copy of the payload; encoding/json never
// decodes deeper than 10,000 levels.
const maxPayloadDepth = 10_000

// templateValue copies a decoded JSON value for a template, so that a
// template can never change the caller's payload, and turns integral numbers
// into ints so that {{ count }} prints 3, not 3.0.
func templateValue(v any, depth int) any {
	if depth > maxPayloadDepth {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = templateValue(item, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = templateValue(item, depth+1)
		}
		return out
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int(x)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		if f, err := x.Float64(); err == nil {
			return templateValue(f, depth)
		}
		return x.String()
	}
	return v
}
