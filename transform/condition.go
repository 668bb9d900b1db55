package transform

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// conditionBuiltins are the expr builtins a condition may call: those whose
// cost is linear in their input and whose results are no larger than it.
// Left out: reduce and repeat (they build values of any size), join,
// replace, string, toJSON and the base64 and JSON codecs (their output can
// dwarf the payload), groupBy, sortBy, concat, flatten, toPairs, fromPairs
// and bitnot, and the clock (now, date, duration, timezone), which would
// make a filter depend on time.
var conditionBuiltins = []string{
	"all", "none", "any", "one", "filter", "map", "find", "findIndex",
	"findLast", "findLastIndex", "count", "sum",
	"len", "type", "abs", "ceil", "floor", "round", "int", "float",
	"trim", "trimPrefix", "trimSuffix", "upper", "lower", "split",
	"indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	"max", "min", "mean", "median", "first", "last", "get", "take",
	"keys", "values", "reverse", "uniq", "sort",
}

// Names the compiled conditions use behind the scenes. A condition may name
// them too, which only gives it these harmless helpers.
const (
	condBudget = "__herald_budget" // the *budget of the evaluation
	condTick   = "__herald_tick"   // __herald_tick(budget, v) counts a step, returns v
	condAdd    = "__herald_add"    // __herald_add(budget, a, b) is a bounded a + b
	condGet    = "__herald_get"    // __herald_get(x, key) is a nil-safe x[key]
	condMatch  = "__herald_match"  // __herald_match(budget, s, re) is s matches re
)

// conditionTotalBytes bounds the bytes "+" may build in one evaluation.
const conditionTotalBytes = 1 << 20

// conditionEnv is the environment of a condition: the payload as "$", the
// event type, and the budget for the helpers. A struct, not a map, so that
// "$" has the static type any: a map value of nil would type it as nil.
type conditionEnv struct {
	Payload   any     `expr:"$"`
	EventType string  `expr:"event_type"`
	Budget    *budget `expr:"__herald_budget"`
}

// compileCondition compiles filters.condition. Errors are *herald.Error
// values naming filters.condition and the line and column.
func compileCondition(src string) (p *vm.Program, err error) {
	if len(src) > MaxConditionBytes {
		return nil, fieldError("filters.condition", fmt.Errorf("condition is longer than %s", byteSize(MaxConditionBytes)))
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fieldError("filters.condition", fmt.Errorf("invalid condition (%v)", r))
		}
	}()
	opts := []expr.Option{
		expr.Env(conditionEnv{}),
		expr.MaxNodes(MaxConditionNodes),
		expr.Optimize(false),
		expr.DisableAllBuiltins(),
	}
	for _, name := range conditionBuiltins {
		opts = append(opts, expr.EnableBuiltin(name))
	}
	opts = append(opts,
		expr.Function(condTick, tickFunc, new(func(*budget, any) any)),
		expr.Function(condAdd, addFunc, new(func(*budget, any, any) any)),
		expr.Function(condGet, getFunc, new(func(any, any) any)),
		expr.Function(condMatch, matchFunc, new(func(*budget, any, any) bool)),
		expr.Patch(conditionPatcher{}),
	)
	// Compile twice: with AsBool to reject at once the conditions that can
	// only be non-boolean ("$.a + 1"), then without, so that a condition
	// whose value is nil at run time (a missing field) is false rather than
	// a cast error.
	if _, err := expr.Compile(src, append(opts, expr.AsBool())...); err != nil {
		return nil, fieldError("filters.condition", exprError(err))
	}
	p, err = expr.Compile(src, opts...)
	if err != nil {
		return nil, fieldError("filters.condition", exprError(err))
	}
	return p, nil
}

// conditionPatcher rewrites a parsed condition so that evaluating it stays
// bounded and forgiving:
//   - every member access ($.a, $.a[0], .status) goes through getFunc, so
//     that a missing field or index reads as nil;
//   - every predicate body (of all, any, filter...) counts a step of the
//     budget, which bounds nested loops over the payload and checks the
//     deadline;
//   - every "+" that is not known to add numbers goes through addFunc,
//     which bounds string concatenation;
//   - every "matches" whose pattern is not a constant goes through
//     matchFunc, which bounds the pattern (a constant one is compiled once,
//     with the condition).
type conditionPatcher struct{}

// Visit implements ast.Visitor. ast.Walk visits children first, so a node's
// children are already patched when it is visited.
func (conditionPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if n.Method {
			return
		}
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			return
		}
		callee := &ast.IdentifierNode{Value: condGet}
		callee.SetLocation(n.Location())
		ast.Patch(node, &ast.CallNode{
			Callee:    callee,
			Arguments: []ast.Node{n.Node, n.Property},
		})
	case *ast.PredicateNode:
		body := n.Node
		call := &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: condTick},
			Arguments: []ast.Node{&ast.IdentifierNode{Value: condBudget}, body},
		}
		call.SetLocation(body.Location())
		call.Callee.SetLocation(body.Location())
		call.Arguments[0].SetLocation(body.Location())
		n.Node = call
	case *ast.BinaryNode:
		if n.Operator == "matches" {
			if _, constant := n.Right.(*ast.StringNode); constant {
				return // compiled once, with the condition
			}
			budget := &ast.IdentifierNode{Value: condBudget}
			budget.SetLocation(n.Location())
			callee := &ast.IdentifierNode{Value: condMatch}
			callee.SetLocation(n.Location())
			ast.Patch(node, &ast.CallNode{
				Callee:    callee,
				Arguments: []ast.Node{budget, n.Left, n.Right},
			})
			return
		}
		if n.Operator != "+" || isNumber(n.Left.Type()) && isNumber(n.Right.Type()) {
			return
		}
		budget := &ast.IdentifierNode{Value: condBudget}
		budget.SetLocation(n.Location())
		callee := &ast.IdentifierNode{Value: condAdd}
		callee.SetLocation(n.Location())
		ast.Patch(node, &ast.CallNode{
			Callee:    callee,
			Arguments: []ast.Node{budget, n.Left, n.Right},
		})
	}
}

// isNumber reports whether the checker typed a node as a number. Patchers
// run after a type check, so the types of the children are known.
func isNumber(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// tickFunc implements __herald_tick(budget, v): one step, then v.
func tickFunc(params ...any) (any, error) {
	b, ok := params[0].(*budget)
	if !ok || b == nil {
		return nil, errors.New("internal error: no budget")
	}
	if err := b.step(); err != nil {
		return nil, err
	}
	return params[1], nil
}

// addFunc implements __herald_add(budget, a, b): a + b, with strings no
// longer than MaxConditionStringBytes.
func addFunc(params ...any) (any, error) {
	b, ok := params[0].(*budget)
	if !ok || b == nil {
		return nil, errors.New("internal error: no budget")
	}
	x, y := params[1], params[2]
	if xs, ok := x.(string); ok {
		if ys, ok := y.(string); ok {
			if len(xs)+len(ys) > MaxConditionStringBytes {
				return nil, b.fail(limitf("a string would be longer than %s", byteSize(MaxConditionStringBytes)))
			}
			if err := b.charge(len(xs) + len(ys)); err != nil {
				return nil, err
			}
			return xs + ys, nil
		}
	}
	return runtime.Add(x, y), nil
}

// maxDynamicPattern bounds the patterns "matches" compiles at run time, from
// the payload, for every evaluation.
const maxDynamicPattern = 1 << 10

// matchFunc implements __herald_match(budget, s, re): whether the string s
// matches the regular expression re, of at most maxDynamicPattern bytes.
func matchFunc(params ...any) (any, error) {
	b, ok := params[0].(*budget)
	if !ok || b == nil {
		return nil, errors.New("internal error: no budget")
	}
	s, ok := params[1].(string)
	if !ok {
		return nil, fmt.Errorf("matches needs a string on its left, not %T", params[1])
	}
	pattern, ok := params[2].(string)
	if !ok {
		return nil, fmt.Errorf("matches needs a string pattern, not %T", params[2])
	}
	if len(pattern) > maxDynamicPattern {
		return nil, b.fail(limitf("a pattern computed at run time is longer than %s", byteSize(maxDynamicPattern)))
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("compile pattern: %w", err)
	}
	return re.MatchString(s), nil
}

// getFunc implements __herald_get(x, key): x[key], or nil when x is nil,
// the field is missing or the index out of range. A negative index counts
// from the end.
func getFunc(params ...any) (any, error) {
	from, key := params[0], params[1]
	switch x := from.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		k, ok := key.(string)
		if !ok {
			return nil, fmt.Errorf("cannot use %T as an object key", key)
		}
		return x[k], nil
	case []any:
		var i int
		switch k := key.(type) {
		case int:
			i = k
		case float64:
			if k != math.Trunc(k) || math.Abs(k) > float64(len(x)) {
				return nil, nil
			}
			i = int(k)
		default:
			return nil, fmt.Errorf("cannot use %T as an array index", key)
		}
		if i < 0 {
			i += len(x)
		}
		if i < 0 || i >= len(x) {
			return nil, nil
		}
		return x[i], nil
	}
	return runtime.Fetch(from, key), nil
}

// runCondition evaluates a compiled condition. A nil result (a missing
// field) is false.
func runCondition(p *vm.Program, eventType string, payload any) (ok bool, err error) {
	b := newBudget(MaxConditionSteps, "predicate evaluations", conditionTotalBytes)
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("evaluation failed: %v", r)
		}
	}()
	machine := &vm.VM{MemoryBudget: ConditionMemoryBudget}
	out, err := machine.Run(p, conditionEnv{Payload: payload, EventType: eventType, Budget: b})
	if err != nil {
		return false, exprError(err)
	}
	switch v := out.(type) {
	case bool:
		return v, nil
	case nil:
		return false, nil
	default:
		return false, fmt.Errorf("the condition is %T, not a boolean", out)
	}
}

// exprError rewrites an expr error as "line L, column C: message", without
// the source snippet expr appends.
func exprError(err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return err
	}
	msg := fe.Message
	if l, ok := isLimit(fe.Prev); ok {
		msg = l.msg // without the "(1:5)" expr appends to wrapped errors
	}
	msg = strings.TrimSpace(msg)
	if fe.Line == 0 {
		return errors.New(msg)
	}
	return fmt.Errorf("line %d, column %d: %s", fe.Line, fe.Column+1, msg)
}
