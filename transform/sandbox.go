package transform

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/builtins/methods"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// The sandbox. gonja evaluates templates with no notion of cost, so the
// template environment is built here from allowlists, and the parsed
// template is rewritten (see rewrite.go) so that every operation that can
// make a value larger than its inputs (the operators +, * and ~, list and
// dict literals, filters, methods and printed expressions) goes through a
// function that checks the result against MaxValueBytes and MaxListItems and
// charges its size to the render's budget. As every value a template builds
// is charged its full size when built, no value is ever larger than
// MaxRenderBytes, and the linear work done on values is bounded too.

// Names of the sandbox's internal functions and of the budget in a render's
// context. They contain '#', which gonja identifiers cannot, so templates
// can neither call nor shadow them.
const (
	budgetVar = "herald#budget"
	fnOut     = "herald#out"   // {{ x }}: x as a string, charged
	fnAdd     = "herald#add"   // a + b
	fnMul     = "herald#mul"   // a * b
	fnCat     = "herald#cat"   // a ~ b
	fnDiv     = "herald#div"   // a / b
	fnFDiv    = "herald#fdiv"  // a // b
	fnMod     = "herald#mod"   // a % b
	fnList    = "herald#list"  // [a, b] and (a, b)
	fnDict    = "herald#dict"  // {k: v}: arguments k1, v1, k2, v2...
	fnIter    = "herald#iter"  // the iterable of a for loop
	fnCheck   = "herald#check" // x.m(): the result, charged
)

// maxValueDepth is the deepest nesting of lists and dicts a template may
// build. It keeps the recursive walks over values (printing, comparing,
// sizing) far from the stack limit.
const maxValueDepth = 256

// sandboxEnv is the environment of every message template.
var sandboxEnv = &exec.Environment{
	Context:           exec.NewContext(sandboxGlobals()),
	Filters:           exec.NewFilterSet(sandboxFilters()),
	Tests:             builtins.Tests,
	ControlStructures: exec.NewControlStructureSet(sandboxTags()),
	Methods:           sandboxMethods(),
}

// sandboxTags are the allowed tags. for, if, break, continue and raw are
// gonja's; set is ours (gonja's can write into any map). Anything else, such
// as include, extends, import, macro, call, block, do, with or filter, fails
// to parse as an unknown tag.
func sandboxTags() map[string]parser.ControlStructureParser {
	tags := map[string]parser.ControlStructureParser{"set": parseSet}
	for _, name := range []string{"for", "if", "break", "continue", "raw"} {
		p, ok := controlStructures.All.Get(name)
		if !ok {
			panic("transform: gonja has no " + name + " tag")
		}
		tags[name] = p
	}
	return tags
}

// sandboxGlobals are the global functions: bounded versions of range, dict
// and namespace, and the internal functions of the rewritten templates.
func sandboxGlobals() map[string]any {
	return map[string]any{
		"range":     globalRange,
		"dict":      globalDict,
		"namespace": globalNamespace,
		fnOut:       internalOut,
		fnAdd:       internalAdd,
		fnMul:       internalMul,
		fnCat:       internalCat,
		fnDiv:       internalDiv,
		fnFDiv:      internalFloorDiv,
		fnMod:       internalMod,
		fnList:      internalList,
		fnDict:      internalDict,
		fnIter:      internalIter,
		fnCheck:     internalCheck,
	}
}

// filterCheck vets a filter's input and arguments before it runs, for the
// filters whose output can be much larger than their input.
type filterCheck func(in *exec.Value, params *exec.VarArgs) error

// allowedFilters are the filters templates may use, with their checks. Left
// out: wordwrap (quadratic), pprint, forceescape, random, striptags, urlize
// and xmlattr.
var allowedFilters = map[string]filterCheck{
	"abs": nil, "attr": nil, "capitalize": nil, "default": nil, "d": nil,
	"dictsort": nil, "e": nil, "escape": nil, "filesizeformat": nil,
	"first": nil, "float": nil, "groupby": nil, "int": nil, "items": nil,
	"last": nil, "length": nil, "count": nil, "list": nil, "lower": nil,
	"map": nil, "max": nil, "min": nil, "reject": nil, "rejectattr": nil,
	"reverse": nil, "round": nil, "safe": nil, "select": nil,
	"selectattr": nil, "sort": nil, "string": nil, "sum": nil, "title": nil,
	"trim": nil, "truncate": nil, "unique": nil, "upper": nil,
	"urlencode": nil, "wordcount": nil,
	"batch":   checkCount("linecount"),
	"slice":   checkCount("slices"),
	"center":  checkCenter,
	"indent":  checkIndent,
	"join":    checkJoin,
	"replace": checkReplace,
	"format":  checkFormat,
	"tojson":  checkToJSON,
}

// sandboxFilters wraps the allowed filters: check, run, charge the result.
func sandboxFilters() map[string]exec.FilterFunction {
	out := make(map[string]exec.FilterFunction, len(allowedFilters))
	for name, check := range allowedFilters {
		fn, ok := builtins.Filters.Get(name)
		if !ok {
			panic("transform: gonja has no " + name + " filter")
		}
		name, check := name, check
		out[name] = func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
			b, err := budgetOf(e.Environment.Context)
			if err != nil {
				return exec.AsValue(err)
			}
			if check != nil {
				if err := check(in, params); err != nil {
					return exec.AsValue(b.fail(limitf("filter %s: %s", name, err)))
				}
			}
			result := fn(e, in, params)
			if result == nil || result.IsError() {
				return result
			}
			if err := chargeValue(b, result); err != nil {
				return exec.AsValue(err)
			}
			return result
		}
	}
	return out
}

// sandboxMethods are the methods templates may call: the non-mutating,
// linear ones. Left out: the padding and formatting methods of strings
// (center, ljust, rjust, zfill, expandtabs, format, format_map, join,
// replace, encode), the mutating ones of lists (append, reverse) and dicts
// (pop, setdefault, update, clear).
func sandboxMethods() exec.Methods {
	return exec.Methods{
		Bool:  wrapMethods(methods.All.Bool, "string", "int", "bit_length", "bit_count", "as_integer_ratio"),
		Int:   wrapMethods(methods.All.Int, "is_integer", "bit_length", "bit_count", "as_integer_ratio"),
		Float: wrapMethods(methods.All.Float, "is_integer", "as_integer_ratio", "hex"),
		Str: wrapMethods(methods.All.Str, "capitalize", "capwords", "casefold", "count",
			"endswith", "find", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit",
			"islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "lower",
			"lstrip", "partition", "removeprefix", "removesuffix", "rfind", "rpartition",
			"rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase",
			"title", "upper"),
		Dict: wrapMethods(methods.All.Dict, "keys", "values", "items", "get", "copy"),
		List: wrapMethods(methods.All.List, "copy"),
	}
}

// wrapMethods returns the named methods of set. Their results are charged
// by herald#check, around every method call (see rewrite.go).
func wrapMethods[I any](set *exec.MethodSet[I], names ...string) *exec.MethodSet[I] {
	out := make(map[string]exec.Method[I], len(names))
	for _, name := range names {
		m, ok := set.Get(name)
		if !ok {
			panic("transform: gonja has no method " + name)
		}
		out[name] = m
	}
	return exec.NewMethodSet(out)
}

// budgetOf returns the budget of the render that ctx belongs to.
func budgetOf(ctx *exec.Context) (*budget, error) {
	v, _ := ctx.Get(budgetVar)
	b, ok := v.(*budget)
	if !ok || b == nil {
		return nil, errors.New("internal error: no render budget")
	}
	return b, nil
}

// size is what sizeOf measured: bytes (strings plus 8 per value), the
// deepest nesting, and whether a namespace is inside.
type size struct {
	bytes     int
	depth     int
	namespace bool
}

// err reports a size over limit bytes or maxValueDepth.
func (s size) err(limit int) error {
	if s.bytes > limit {
		return limitf("a value would be larger than %s", byteSize(limit))
	} else if s.depth > maxValueDepth {
		return limitf("a value would nest deeper than %d levels", maxValueDepth)
	}
	return nil
}

// sizeOf measures v, stopping once it is over limit bytes or maxValueDepth
// levels deep, so its cost is bounded by the limit.
func sizeOf(v any, limit int) size {
	var s size
	measure(v, 1, limit, &s)
	return s
}

// measure adds v, at nesting level depth, to s.
func measure(v any, depth, limit int, s *size) {
	if s.bytes > limit || s.depth > maxValueDepth {
		return
	}
	s.bytes += 8
	if depth > s.depth {
		s.depth = depth
	}
	switch x := v.(type) {
	case nil, bool, int, int64, float64:
	case string:
		s.bytes += len(x)
	case *exec.Value:
		if x != nil && x.Val.IsValid() && x.Val.CanInterface() {
			measure(x.Val.Interface(), depth, limit, s)
		}
	case exec.ValuesList:
		for _, item := range x {
			measure(item, depth+1, limit, s)
		}
	case []any:
		for _, item := range x {
			measure(item, depth+1, limit, s)
		}
	case map[string]any:
		for k, item := range x {
			s.bytes += len(k)
			measure(item, depth+1, limit, s)
		}
	case *exec.Dict:
		if x != nil {
			for _, p := range x.Pairs {
				measure(p.Key, depth+1, limit, s)
				measure(p.Value, depth+1, limit, s)
			}
		}
	case *namespace:
		s.namespace = true
	case error:
		s.bytes += len(x.Error())
	default:
		measureReflect(reflect.ValueOf(v), depth, limit, s)
	}
}

// measureReflect measures the slices, arrays and maps of other types.
func measureReflect(rv reflect.Value, depth, limit int, s *size) {
	switch rv.Kind() {
	case reflect.String:
		s.bytes += rv.Len()
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len() && s.bytes <= limit; i++ {
			if item := rv.Index(i); item.CanInterface() {
				measure(item.Interface(), depth+1, limit, s)
			}
		}
	case reflect.Map:
		iter := rv.MapRange()
		for iter.Next() && s.bytes <= limit {
			if iter.Key().CanInterface() && iter.Value().CanInterface() {
				measure(iter.Key().Interface(), depth+1, limit, s)
				measure(iter.Value().Interface(), depth+1, limit, s)
			}
		}
	}
}

// chargeValue checks a value a template built against the limits and
// charges its size to b.
func chargeValue(b *budget, v *exec.Value) error {
	limit := min(MaxValueBytes, b.remaining())
	s := sizeOf(v, limit)
	if s.bytes > MaxValueBytes || s.depth > maxValueDepth {
		return b.fail(s.err(MaxValueBytes))
	}
	if v.IsList() && v.Len() > MaxListItems {
		return b.fail(limitf("a list would have more than %d items", MaxListItems))
	}
	return b.charge(s.bytes)
}

// argument returns a filter's positional argument at pos or its keyword
// argument name, or nil.
func argument(p *exec.VarArgs, pos int, name string) *exec.Value {
	if p == nil {
		return nil
	}
	if pos >= 0 && pos < len(p.Args) {
		return p.Args[pos]
	}
	return p.KwArgs[name]
}

// intArgument is argument as an int, def when absent or not an integer.
func intArgument(p *exec.VarArgs, pos int, name string, def int) int {
	if v := argument(p, pos, name); v != nil && v.IsInteger() {
		return v.Integer()
	}
	return def
}

// checkCount bounds the count argument of batch and slice.
func checkCount(name string) filterCheck {
	return func(in *exec.Value, p *exec.VarArgs) error {
		if n := intArgument(p, 0, name, 1); n > MaxListItems {
			return fmt.Errorf("%s is larger than %d", name, MaxListItems)
		}
		return nil
	}
}

// checkCenter bounds center's width.
func checkCenter(in *exec.Value, p *exec.VarArgs) error {
	if w := intArgument(p, 0, "width", 80); w > MaxValueBytes {
		return fmt.Errorf("width is larger than %d", MaxValueBytes)
	}
	return nil
}

// checkIndent bounds the output of indent: the indentation times the lines.
func checkIndent(in *exec.Value, p *exec.VarArgs) error {
	width := 4
	if v := argument(p, 0, "width"); v != nil {
		if v.IsInteger() {
			width = v.Integer()
		} else {
			width = len(v.String())
		}
	}
	lines := strings.Count(in.String(), "\n") + 1
	if width > 0 && lines > (MaxValueBytes-len(in.String()))/width {
		return fmt.Errorf("the result would be larger than %s", byteSize(MaxValueBytes))
	}
	return nil
}

// checkJoin bounds the output of join: the items plus the separators.
func checkJoin(in *exec.Value, p *exec.VarArgs) error {
	sep := 0
	if v := argument(p, 0, "d"); v != nil {
		sep = len(v.String())
	}
	n := in.Len()
	if n > 1 && sep > 0 && n-1 > MaxValueBytes/sep {
		return fmt.Errorf("the result would be larger than %s", byteSize(MaxValueBytes))
	}
	if s := sizeOf(in, MaxValueBytes); s.bytes+max(n-1, 0)*sep > MaxValueBytes {
		return fmt.Errorf("the result would be larger than %s", byteSize(MaxValueBytes))
	}
	return nil
}

// checkReplace bounds the output of replace: each occurrence may grow.
func checkReplace(in *exec.Value, p *exec.VarArgs) error {
	oldV, newV := argument(p, 0, "old"), argument(p, 1, "new")
	if oldV == nil || newV == nil {
		return nil // replace itself reports the missing argument
	}
	s, old, repl := in.String(), oldV.String(), newV.String()
	if len(repl) <= len(old) {
		return nil
	}
	n := utf8.RuneCountInString(s) + 1
	if old != "" {
		n = strings.Count(s, old)
	}
	if c := intArgument(p, 2, "count", -1); c >= 0 && c < n {
		n = c
	}
	if n > 0 && n > (MaxValueBytes-len(s))/(len(repl)-len(old)) {
		return fmt.Errorf("the result would be larger than %s", byteSize(MaxValueBytes))
	}
	return nil
}

// checkFormat bounds the output of format (Go's fmt.Sprintf): the format,
// the arguments (three times, for %x and % x), and for every verb the
// largest width or precision the format mentions (fmt caps them at 1e6).
func checkFormat(in *exec.Value, p *exec.VarArgs) error {
	format := in.String()
	total := len(format)
	for _, a := range p.Args {
		total += 3 * sizeOf(a, MaxValueBytes).bytes
	}
	widest, n := 0, 0
	for _, c := range format {
		switch {
		case c >= '0' && c <= '9':
			n = min(n*10+int(c-'0'), 1_000_000)
			widest = max(widest, n)
		case c == '*':
			widest = 1_000_000
			n = 0
		default:
			n = 0
		}
	}
	verbs := strings.Count(format, "%")
	if total > MaxValueBytes || verbs > 0 && widest+32 > (MaxValueBytes-total)/verbs {
		return fmt.Errorf("the result could be larger than %s", byteSize(MaxValueBytes))
	}
	return nil
}

// checkToJSON bounds the output of tojson: with an indent, every line of the
// value is indented by up to its depth times the indent.
func checkToJSON(in *exec.Value, p *exec.VarArgs) error {
	indent := 0
	if v := argument(p, -1, "indent"); v != nil {
		if v.IsInteger() {
			indent = v.Integer()
		} else {
			indent = len(v.String())
		}
	}
	s := sizeOf(in, MaxValueBytes)
	if s.bytes > MaxValueBytes {
		return fmt.Errorf("the result would be larger than %s", byteSize(MaxValueBytes))
	}
	if indent > 0 && s.bytes*(1+min(indent, MaxValueBytes)*s.depth) > MaxValueBytes {
		return fmt.Errorf("the indented result would be larger than %s", byteSize(MaxValueBytes))
	}
	return nil
}

// namespace is what namespace() returns: the one object templates can set
// attributes on ({% set ns.count = ns.count + 1 %}). It never holds another
// namespace, so namespaces cannot form cycles or chains.
type namespace struct {
	vals map[string]*exec.Value
}

// GetAttribute implements exec.AttributeGetter.
func (ns *namespace) GetAttribute(name string) (*exec.Value, bool) {
	if v, ok := ns.vals[name]; ok {
		return v, true
	}
	return exec.AsValue(nil), false
}

// String is how a namespace prints.
func (ns *namespace) String() string { return "<namespace>" }

// set sets an attribute, refusing values that hold a namespace.
func (ns *namespace) set(name string, v *exec.Value) error {
	if sizeOf(v, MaxRenderBytes).namespace {
		return errors.New("a namespace cannot hold a namespace")
	}
	ns.vals[name] = v
	return nil
}

// globalNamespace implements namespace(k=v, ...).
func globalNamespace(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	ns := &namespace{vals: make(map[string]*exec.Value, len(va.KwArgs))}
	for k, v := range va.KwArgs {
		if err := chargeValue(b, v); err != nil {
			return exec.AsValue(err)
		}
		if err := ns.set(k, v); err != nil {
			return exec.AsValue(err)
		}
	}
	return exec.AsValue(ns)
}

// globalDict implements dict(k=v, ...), with its keys sorted.
func globalDict(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	keys := make([]string, 0, len(va.KwArgs))
	for k := range va.KwArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := exec.NewDict()
	for _, k := range keys {
		d.Pairs = append(d.Pairs, &exec.Pair{Key: exec.AsValue(k), Value: va.KwArgs[k]})
	}
	v := exec.AsValue(d)
	if err := chargeValue(b, v); err != nil {
		return exec.AsValue(err)
	}
	return v
}

// globalRange implements range([start, ]stop[, step]) as a list of at most
// MaxListItems integers (gonja's own streams from a goroutine).
func globalRange(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	start, stop, step := 0, 0, 1
	for _, a := range va.Args {
		if !a.IsInteger() {
			return exec.AsValue(errors.New("arguments must be integers"))
		}
	}
	switch len(va.Args) {
	case 1:
		stop = va.Args[0].Integer()
	case 2:
		start, stop = va.Args[0].Integer(), va.Args[1].Integer()
	case 3:
		start, stop, step = va.Args[0].Integer(), va.Args[1].Integer(), va.Args[2].Integer()
	default:
		return exec.AsValue(errors.New("expected [start, ]stop[, step]"))
	}
	if step == 0 {
		return exec.AsValue(errors.New("step must not be zero"))
	}
	// The number of items, in unsigned arithmetic that cannot overflow.
	var n uint64
	if step > 0 && stop > start {
		diff, st := uint64(stop)-uint64(start), uint64(step)
		n = diff / st
		if diff%st != 0 {
			n++
		}
	} else if step < 0 && stop < start {
		diff, st := uint64(start)-uint64(stop), -uint64(step)
		n = diff / st
		if diff%st != 0 {
			n++
		}
	}
	if n > MaxListItems {
		return exec.AsValue(b.fail(limitf("range: more than %d items", MaxListItems)))
	}
	if err := b.charge(8 * int(n)); err != nil {
		return exec.AsValue(err)
	}
	out := make([]int, 0, n)
	for i, x := uint64(0), start; i < n; i, x = i+1, x+step {
		out = append(out, x)
	}
	return exec.AsValue(out)
}
