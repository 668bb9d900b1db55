package transform

import (
	"fmt"

	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// rewriter walks a parsed template once, at compile time, and rewrites it
// for the sandbox:
//   - the operators +, *, ~, /, // and % and the list, tuple and dict literals become
//     calls to the internal functions of ops.go, which bound and charge them;
//   - every printed expression {{ x }} becomes {{ herald#out(x) }}, which
//     charges what it prints;
//   - every method call x.m() becomes herald#check(x.m()), which charges
//     its result and checks the deadline (methods get no evaluator, so
//     they cannot do it themselves);
//   - every for loop gets a tick tag first in its body, which counts the
//     iteration and charges the body's literal text, and its iterable goes
//     through herald#iter; recursive loops are refused;
//   - any node it does not know is refused, so a gonja upgrade that adds
//     node types cannot open a hole silently.
type rewriter struct {
	// memo maps each rewritten expression to its replacement: gonja shares
	// some subtrees (a method call's receiver), which must be rewritten once.
	memo map[nodes.Node]nodes.Expression
	// depth is the nesting of the expression or tag being rewritten.
	depth int
}

// posError is a compile error at a position of the template.
type posError struct {
	line, col int
	msg       string
}

func (e *posError) Error() string {
	if e.line == 0 {
		return e.msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

// errorAt returns a *posError at tok.
func errorAt(tok *tokens.Token, format string, args ...any) error {
	e := &posError{msg: fmt.Sprintf(format, args...)}
	if tok != nil {
		e.line, e.col = tok.Line, tok.Col
	}
	return e
}

// rewriteTemplate rewrites the parsed template root in place.
func rewriteTemplate(root *nodes.Template) error {
	if root.Parent != nil || len(root.Blocks) > 0 || len(root.Macros) > 0 {
		return errorAt(nil, "blocks, macros and template inheritance are not supported")
	}
	w := &rewriter{memo: map[nodes.Node]nodes.Expression{}}
	_, err := w.nodes(root.Nodes)
	return err
}

// wrapper rewrites the nodes of a tag body, and returns the bytes of literal
// text it writes outside nested loops (which charge their own).
func (w *rewriter) wrapper(wr *nodes.Wrapper) (int, error) {
	if wr == nil {
		return 0, nil
	}
	return w.nodes(wr.Nodes)
}

// nodes rewrites a list of template nodes in place.
func (w *rewriter) nodes(list []nodes.Node) (int, error) {
	total := 0
	for _, n := range list {
		data, err := w.node(n)
		if err != nil {
			return 0, err
		}
		total += data
	}
	return total, nil
}

// node rewrites one template node.
func (w *rewriter) node(n nodes.Node) (int, error) {
	switch n := n.(type) {
	case *nodes.Data:
		return len(n.Data.Val), nil
	case *nodes.Comment:
		return 0, nil
	case *nodes.Output:
		var err error
		if n.Expression, err = w.output(n.Expression); err != nil {
			return 0, err
		}
		if n.Condition, err = w.expr(n.Condition); err != nil {
			return 0, err
		}
		if n.Alternative != nil {
			if n.Alternative, err = w.output(n.Alternative); err != nil {
				return 0, err
			}
		}
		return 0, nil
	case *nodes.ControlStructureBlock:
		return w.tag(n)
	}
	return 0, errorAt(n.Position(), "unsupported template construct %T", n)
}

// output rewrites a printed expression x into herald#out(x).
func (w *rewriter) output(e nodes.Expression) (nodes.Expression, error) {
	e, err := w.expr(e)
	if err != nil || e == nil {
		return e, err
	}
	return call(e.Position(), fnOut, e), nil
}

// enter counts one more level of nesting at tok, failing past
// MaxTemplateNesting; the caller must call w.leave.
func (w *rewriter) enter(tok *tokens.Token) error {
	w.depth++
	if w.depth > MaxTemplateNesting {
		return errorAt(tok, "the template nests deeper than %d levels", MaxTemplateNesting)
	}
	return nil
}

// leave ends a level of nesting.
func (w *rewriter) leave() { w.depth-- }

// tag rewrites a tag.
func (w *rewriter) tag(block *nodes.ControlStructureBlock) (int, error) {
	defer w.leave()
	if err := w.enter(block.Location); err != nil {
		return 0, err
	}
	var err error
	switch t := block.ControlStructure.(type) {
	case *controlStructures.IfControlStructure:
		for i := range t.Conditions {
			if t.Conditions[i], err = w.expr(t.Conditions[i]); err != nil {
				return 0, err
			}
		}
		total := 0
		for _, wr := range t.Wrappers {
			data, err := w.wrapper(wr)
			if err != nil {
				return 0, err
			}
			total += data
		}
		return total, nil
	case *controlStructures.ForControlStructure:
		if t.Recursive {
			return 0, errorAt(block.Location, "recursive loops are not supported")
		}
		obj, err := w.expr(t.ObjectEvaluator)
		if err != nil {
			return 0, err
		}
		t.ObjectEvaluator = call(obj.Position(), fnIter, obj)
		if t.IfCondition, err = w.expr(t.IfCondition); err != nil {
			return 0, err
		}
		data, err := w.wrapper(t.BodyWrapper)
		if err != nil {
			return 0, err
		}
		tick := &nodes.ControlStructureBlock{
			Location:         block.Location,
			Name:             "tick",
			ControlStructure: &tickTag{loc: block.Location, cost: data},
		}
		t.BodyWrapper.Nodes = append([]nodes.Node{tick}, t.BodyWrapper.Nodes...)
		// The else branch runs at most once per loop: it counts as the
		// loop's own text.
		return w.wrapper(t.EmptyWrapper)
	case *controlStructures.BreakControlStructure, *controlStructures.ContinueControlStructure:
		return 0, nil
	case *controlStructures.RawControlStructure:
		if tok := t.Position(); tok != nil {
			return len(tok.Val), nil
		}
		return 0, nil
	case *setTag:
		if t.value, err = w.expr(t.value); err != nil {
			return 0, err
		}
		if t.cond, err = w.expr(t.cond); err != nil {
			return 0, err
		}
		if t.alt, err = w.expr(t.alt); err != nil {
			return 0, err
		}
		if t.ns, err = w.expr(t.ns); err != nil {
			return 0, err
		}
		return w.wrapper(t.body)
	}
	return 0, errorAt(block.Location, "unsupported tag %q", block.Name)
}

// call returns the call name(args...) at tok.
func call(tok *tokens.Token, name string, args ...nodes.Expression) *nodes.Call {
	if tok == nil {
		tok = &tokens.Token{Type: tokens.Name, Line: 1, Col: 1}
	}
	fn := &tokens.Token{Type: tokens.Name, Val: name, Pos: tok.Pos, Line: tok.Line, Col: tok.Col}
	return &nodes.Call{
		Location: tok,
		Func:     &nodes.Name{Name: fn},
		Args:     args,
		Kwargs:   map[string]nodes.Expression{},
	}
}

// exprs rewrites a list of expressions in place.
func (w *rewriter) exprs(list []nodes.Expression) error {
	for i := range list {
		var err error
		if list[i], err = w.expr(list[i]); err != nil {
			return err
		}
	}
	return nil
}

// kwargs rewrites a map of keyword arguments in place.
func (w *rewriter) kwargs(m map[string]nodes.Expression) error {
	for k, v := range m {
		e, err := w.expr(v)
		if err != nil {
			return err
		}
		m[k] = e
	}
	return nil
}

// expr rewrites an expression, returning its replacement (e itself when
// only its children changed). nil stays nil.
func (w *rewriter) expr(e nodes.Expression) (nodes.Expression, error) {
	if e == nil {
		return nil, nil
	}
	if r, ok := w.memo[e]; ok {
		return r, nil
	}
	defer w.leave()
	if err := w.enter(e.Position()); err != nil {
		return nil, err
	}
	out, err := w.rewriteExpr(e)
	if err != nil {
		return nil, err
	}
	w.memo[e] = out
	return out, nil
}

// rewriteExpr does the work of expr.
func (w *rewriter) rewriteExpr(e nodes.Expression) (nodes.Expression, error) {
	var err error
	switch n := e.(type) {
	case *nodes.None, *nodes.String, *nodes.Integer, *nodes.Float, *nodes.Bool, *nodes.Name, *nodes.Error:
		return e, nil
	case *nodes.List:
		if err = w.exprs(n.Val); err != nil {
			return nil, err
		}
		return call(n.Location, fnList, n.Val...), nil
	case *nodes.Tuple:
		if err = w.exprs(n.Val); err != nil {
			return nil, err
		}
		return call(n.Location, fnList, n.Val...), nil
	case *nodes.Dict:
		args := make([]nodes.Expression, 0, 2*len(n.Pairs))
		for _, p := range n.Pairs {
			k, err := w.expr(p.Key)
			if err != nil {
				return nil, err
			}
			v, err := w.expr(p.Value)
			if err != nil {
				return nil, err
			}
			args = append(args, k, v)
		}
		return call(n.Token, fnDict, args...), nil
	case *nodes.Call:
		if n.Func, err = w.expr(n.Func); err != nil {
			return nil, err
		}
		if n.Parent, err = w.expr(n.Parent); err != nil {
			return nil, err
		}
		if err = w.exprs(n.Args); err != nil {
			return nil, err
		}
		if err = w.kwargs(n.Kwargs); err != nil {
			return nil, err
		}
		if _, global := n.Func.(*nodes.Name); global {
			return n, nil // range, dict and namespace check themselves
		}
		return call(n.Location, fnCheck, n), nil
	case *nodes.GetItem:
		if n.Node, err = w.expr(n.Node); err != nil {
			return nil, err
		}
		n.Arg, err = w.expr(n.Arg)
		return n, err
	case *nodes.GetSlice:
		for _, p := range []*nodes.Node{&n.Node, &n.Start, &n.End, &n.Step} {
			if *p, err = w.expr(*p); err != nil {
				return nil, err
			}
		}
		return n, nil
	case *nodes.GetAttribute:
		n.Node, err = w.expr(n.Node)
		return n, err
	case *nodes.Negation:
		n.Term, err = w.expr(n.Term)
		return n, err
	case *nodes.UnaryExpression:
		n.Term, err = w.expr(n.Term)
		return n, err
	case *nodes.BinaryExpression:
		if n.Left, err = w.expr(n.Left); err != nil {
			return nil, err
		}
		if n.Right, err = w.expr(n.Right); err != nil {
			return nil, err
		}
		if n.Operator == nil || n.Operator.Token == nil {
			return n, nil
		}
		switch n.Operator.Token.Type {
		case tokens.Addition:
			return call(n.Operator.Token, fnAdd, n.Left, n.Right), nil
		case tokens.Multiply:
			return call(n.Operator.Token, fnMul, n.Left, n.Right), nil
		case tokens.Tilde:
			return call(n.Operator.Token, fnCat, n.Left, n.Right), nil
		case tokens.Division:
			return call(n.Operator.Token, fnDiv, n.Left, n.Right), nil
		case tokens.FloorDivision:
			return call(n.Operator.Token, fnFDiv, n.Left, n.Right), nil
		case tokens.Modulo:
			return call(n.Operator.Token, fnMod, n.Left, n.Right), nil
		}
		return n, nil
	case *nodes.FilteredExpression:
		if n.Expression, err = w.expr(n.Expression); err != nil {
			return nil, err
		}
		for _, f := range n.Filters {
			if _, ok := allowedFilters[f.Name]; !ok {
				return nil, errorAt(f.Token, "unknown or unsupported filter %q", f.Name)
			}
			if err = w.exprs(f.Args); err != nil {
				return nil, err
			}
			if err = w.kwargs(f.Kwargs); err != nil {
				return nil, err
			}
		}
		return n, nil
	case *nodes.TestExpression:
		if n.Expression, err = w.expr(n.Expression); err != nil {
			return nil, err
		}
		if n.Test != nil {
			if !sandboxEnv.Tests.Exists(n.Test.Name) {
				return nil, errorAt(n.Test.Token, "unknown test %q", n.Test.Name)
			}
			if err = w.exprs(n.Test.Args); err != nil {
				return nil, err
			}
			err = w.kwargs(n.Test.Kwargs)
		}
		return n, err
	}
	return nil, errorAt(e.Position(), "unsupported expression %T", e)
}
