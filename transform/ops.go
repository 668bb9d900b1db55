package transform

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The internal functions the rewritten templates call in place of gonja's
// operators and literals (see rewrite.go). Each keeps gonja's semantics and
// adds the limits.

// args2 returns the two arguments of an internal binary function, and the
// render's budget.
func args2(e *exec.Evaluator, va *exec.VarArgs) (*budget, *exec.Value, *exec.Value, error) {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(va.Args) != 2 {
		return nil, nil, nil, errors.New("internal error: operator without two operands")
	}
	return b, va.Args[0], va.Args[1], nil
}

// concat returns x + y, within MaxValueBytes, charged.
func concat(b *budget, x, y string) *exec.Value {
	if len(x)+len(y) > MaxValueBytes {
		return exec.AsValue(b.fail(limitf("a string would be longer than %s", byteSize(MaxValueBytes))))
	}
	if err := b.charge(len(x) + len(y)); err != nil {
		return exec.AsValue(err)
	}
	return exec.AsValue(x + y)
}

// internalAdd implements a + b: lists concatenate, then floats and integers
// add, and a string on either side concatenates.
func internalAdd(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, l, r, err := args2(e, va)
	if err != nil {
		return exec.AsValue(err)
	}
	switch {
	case l.IsList():
		if !r.IsList() {
			return exec.AsValue(fmt.Errorf("cannot concatenate a list and %s", typeName(r)))
		}
		n := l.Len() + r.Len()
		if n > MaxListItems {
			return exec.AsValue(b.fail(limitf("a list would have more than %d items", MaxListItems)))
		}
		items := make([]any, 0, n)
		for _, v := range []*exec.Value{l, r} {
			for i := 0; i < v.Len(); i++ {
				items = append(items, v.Index(i).Interface())
			}
		}
		out := exec.AsValue(items)
		if err := chargeValue(b, out); err != nil {
			return exec.AsValue(err)
		}
		return out
	case l.IsFloat() || r.IsFloat():
		return exec.AsValue(l.Float() + r.Float())
	case l.IsString() || r.IsString():
		return concat(b, l.String(), r.String())
	}
	return exec.AsValue(l.Integer() + r.Integer())
}

// internalMul implements a * b: floats and integers multiply, and a string
// times n repeats it (n < 1 gives "").
func internalMul(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, l, r, err := args2(e, va)
	if err != nil {
		return exec.AsValue(err)
	}
	switch {
	case l.IsFloat() || r.IsFloat():
		return exec.AsValue(l.Float() * r.Float())
	case l.IsString():
		s, n := l.String(), r.Integer()
		if n <= 0 || s == "" {
			return exec.AsValue("")
		}
		if n > MaxValueBytes/len(s) {
			return exec.AsValue(b.fail(limitf("a string would be longer than %s", byteSize(MaxValueBytes))))
		}
		if err := b.charge(n * len(s)); err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(strings.Repeat(s, n))
	}
	return exec.AsValue(l.Integer() * r.Integer())
}

// internalDiv implements a / b, which is always a float division.
func internalDiv(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	_, l, r, err := args2(e, va)
	if err != nil {
		return exec.AsValue(err)
	}
	if r.Float() == 0 {
		return exec.AsValue(errors.New("division by zero"))
	}
	return exec.AsValue(l.Float() / r.Float())
}

// internalFloorDiv implements a // b: the floor of the quotient, an integer
// when it fits one.
func internalFloorDiv(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	_, l, r, err := args2(e, va)
	if err != nil {
		return exec.AsValue(err)
	}
	if r.Float() == 0 {
		return exec.AsValue(errors.New("division by zero"))
	}
	q := math.Floor(l.Float() / r.Float())
	if q >= -(1<<62) && q <= 1<<62 {
		return exec.AsValue(int(q))
	}
	return exec.AsValue(q)
}

// internalMod implements a % b on integers.
func internalMod(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	_, l, r, err := args2(e, va)
	if err != nil {
		return exec.AsValue(err)
	}
	if r.Integer() == 0 {
		return exec.AsValue(errors.New("modulo by zero"))
	}
	return exec.AsValue(l.Integer() % r.Integer())
}

// internalCat implements a ~ b: both as strings, concatenated.
func internalCat(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, l, r, err := args2(e, va)
	if err != nil {
		return exec.AsValue(err)
	}
	return concat(b, l.String(), r.String())
}

// internalOut implements {{ x }}: x as the string the renderer would print,
// charged. The renderer then prints the string as is.
func internalOut(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	if len(va.Args) != 1 {
		return exec.AsValue(errors.New("internal error: output without a value"))
	}
	v := va.Args[0]
	s := v.String()
	if err := b.charge(len(s)); err != nil {
		return exec.AsValue(err)
	}
	return &exec.Value{Val: reflect.ValueOf(s), Safe: v.Safe}
}

// internalList implements the list and tuple literals [a, b] and (a, b).
func internalList(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	out := exec.AsValue(append(exec.ValuesList{}, va.Args...))
	if err := chargeValue(b, out); err != nil {
		return exec.AsValue(err)
	}
	return out
}

// internalDict implements the dict literal {k1: v1, k2: v2}, called as
// herald#dict(k1, v1, k2, v2).
func internalDict(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	if len(va.Args)%2 != 0 {
		return exec.AsValue(errors.New("internal error: dict literal with an odd argument count"))
	}
	d := exec.NewDict()
	for i := 0; i < len(va.Args); i += 2 {
		d.Pairs = append(d.Pairs, &exec.Pair{Key: va.Args[i], Value: va.Args[i+1]})
	}
	out := exec.AsValue(d)
	if err := chargeValue(b, out); err != nil {
		return exec.AsValue(err)
	}
	return out
}

// internalIter checks the iterable of a for loop before gonja materializes
// it: a loop over more items than the iterations left fails at once.
func internalIter(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	if len(va.Args) != 1 {
		return exec.AsValue(errors.New("internal error: loop without an iterable"))
	}
	v := va.Args[0]
	if n := v.Len(); n > b.maxSteps-b.steps {
		return exec.AsValue(b.fail(limitf("a loop over %d items would run more than %d loop iterations", n, b.maxSteps)))
	}
	if err := b.check(); err != nil {
		return exec.AsValue(err)
	}
	return v
}

// internalCheck implements herald#check(x): x, charged, after a check of
// the deadline.
func internalCheck(e *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	b, err := budgetOf(e.Environment.Context)
	if err != nil {
		return exec.AsValue(err)
	}
	if len(va.Args) != 1 {
		return exec.AsValue(errors.New("internal error: check without a value"))
	}
	if err := chargeValue(b, va.Args[0]); err != nil {
		return exec.AsValue(err)
	}
	return va.Args[0]
}

// typeName names the type of a value in messages.
func typeName(v *exec.Value) string {
	switch {
	case v.IsNil():
		return "None"
	case v.IsString():
		return "a string"
	case v.IsList():
		return "a list"
	case v.IsDict():
		return "a dict"
	case v.IsNumber():
		return "a number"
	case v.IsBool():
		return "a boolean"
	}
	return "a value"
}

// tickTag is the tag the rewriter puts first in every loop body: each
// iteration counts one step and charges the data (literal text) of the body.
type tickTag struct {
	loc  *tokens.Token
	cost int
}

// Position implements nodes.Node.
func (t *tickTag) Position() *tokens.Token { return t.loc }

// String implements nodes.Node.
func (t *tickTag) String() string { return "tick" }

// Execute implements exec.ControlStructure.
func (t *tickTag) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	b, err := budgetOf(r.Environment.Context)
	if err != nil {
		return err
	}
	if err := b.step(); err != nil {
		return err
	}
	return b.charge(t.cost)
}

// setTag is {% set name = expr [if cond else alt] %}, {% set ns.attr = ... %}
// and the block form {% set name %}...{% endset %}. Unlike gonja's, it only
// assigns variables and namespace attributes.
type setTag struct {
	loc   *tokens.Token
	name  string           // the variable, when the target is a name
	ns    nodes.Expression // the namespace, when the target is ns.attr
	attr  string
	value nodes.Expression
	cond  nodes.Expression
	alt   nodes.Expression
	body  *nodes.Wrapper
}

// Position implements nodes.Node.
func (t *setTag) Position() *tokens.Token { return t.loc }

// String implements nodes.Node.
func (t *setTag) String() string { return "set" }

// parseSet parses the arguments of a set tag.
func parseSet(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	tag := &setTag{loc: args.Current()}
	if tag.loc == nil {
		return nil, p.Error("set needs a target", p.Current())
	}
	target, err := args.ParseVariableOrLiteral()
	if err != nil {
		return nil, err
	}
	switch t := target.(type) {
	case *nodes.Name:
		tag.name = t.Name.Val
	case *nodes.GetAttribute:
		if t.Attribute == "" {
			return nil, args.Error("set can assign a name or a namespace attribute only", tag.loc)
		}
		tag.ns, tag.attr = t.Node, t.Attribute
	default:
		return nil, args.Error("set can assign a name or a namespace attribute only", tag.loc)
	}
	if args.Match(tokens.Assign) == nil {
		if !args.End() {
			return nil, args.Error("expected '=' or the end of the tag", args.Current())
		}
		wrapper, endargs, err := p.WrapUntil("endset")
		if err != nil {
			return nil, err
		}
		if !endargs.End() {
			return nil, endargs.Error("endset takes no arguments", endargs.Current())
		}
		tag.body = wrapper
		return tag, nil
	}
	if tag.value, err = args.ParseExpression(); err != nil {
		return nil, err
	}
	if tag.cond, tag.alt, err = args.ParseCondition(); err != nil {
		return nil, err
	}
	if tag.cond != nil && tag.alt == nil {
		return nil, args.Error("set with if needs an else", args.Current())
	}
	if !args.End() {
		return nil, args.Error("unexpected token in set", args.Current())
	}
	return tag, nil
}

// Execute implements exec.ControlStructure.
func (t *setTag) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	var value *exec.Value
	switch {
	case t.body != nil:
		var out strings.Builder
		sub := r.Inherit()
		sub.Output = &out
		if err := sub.ExecuteWrapper(t.body); err != nil {
			return err
		}
		value = exec.AsSafeValue(out.String())
	case t.cond != nil:
		cond := r.Eval(t.cond)
		if cond.IsError() {
			return cond
		}
		if cond.IsTrue() {
			value = r.Eval(t.value)
		} else {
			value = r.Eval(t.alt)
		}
	default:
		value = r.Eval(t.value)
	}
	if value.IsError() {
		return value
	}
	if t.ns == nil {
		r.Environment.Context.Set(t.name, value.Interface())
		return nil
	}
	target := r.Eval(t.ns)
	if target.IsError() {
		return target
	}
	ns, ok := target.Interface().(*namespace)
	if !ok {
		return fmt.Errorf("cannot set %s.%s: only namespace() objects have settable attributes", t.ns, t.attr)
	}
	return ns.set(t.attr, value)
}
