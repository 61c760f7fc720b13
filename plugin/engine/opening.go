package engine

import (
	"context"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// A rule's opening is the run of tests its body starts with that depend on
// nothing of the input but the endpoint. When an endpoint fails one of
// them, nothing else of the rule is evaluated for it, so its reads do not
// count for that endpoint (reads.go). The opening is read from the compiled
// body, as the compiler leaves it:
//
//   - a literal guard: `input.endpoint == "x"`, `input.endpoint in
//     {"x", "y"}`, possibly through a local bound to input.endpoint first;
//   - an endpoint test: an expression with no variable but such locals,
//     reading (through every rule it reaches) nothing of the input but the
//     endpoint, e.g. `lookups.looked_up("create")`; it is evaluated at load
//     for every endpoint the router knows;
//   - a test on base data alone (`data.guard.profile == "restricted"`),
//     which is passed over: it cannot read the input;
//   - an expression of built-ins over the input and local variables
//     (`input.facts.mounts[0]`, `some m in input.facts.mounts`), also passed
//     over: what it reads cannot change the outcome of a rule the endpoint
//     fails anyway, and it cannot raise an error (built-in errors are
//     undefined; only rules and functions can conflict).
//
// The run ends at the first expression of any other kind. A rule with an
// else branch, or a default, has no opening.
type opening struct {
	literal []string        // the endpoints the literal guards admit; nil: no literal guard
	tests   []*endpointTest // endpoint tests in the opening
}

// endpointTest is one endpoint test and its value for each known endpoint.
type endpointTest struct {
	expr  *ast.Expr // aliases of input.endpoint replaced by the ref
	holds map[string]bool
}

// admits reports whether an endpoint may pass the opening. It must be one
// the endpoint tests were evaluated for (analyseReads sees to it).
func (o *opening) admits(endpoint string) bool {
	if o.literal != nil && !contains(o.literal, endpoint) {
		return false
	}
	for _, t := range o.tests {
		if !t.holds[endpoint] {
			return false
		}
	}
	return true
}

func (a *analysis) opening(r *ast.Rule) *opening {
	return a.openings[r]
}

// readOpenings reads every rule's opening, and returns the endpoint tests
// found in them, one for each text, not evaluated yet.
func (a *analysis) readOpenings() []*endpointTest {
	tests := map[string]*endpointTest{}
	for _, name := range sortedKeys(a.c.Modules) {
		ast.WalkRules(a.c.Modules[name], func(r *ast.Rule) bool {
			if o := a.readOpening(r, tests); o != nil {
				a.openings[r] = o
			}
			return false
		})
	}
	out := make([]*endpointTest, 0, len(tests))
	for _, t := range tests {
		out = append(out, t)
	}
	return out
}

// readOpening reads r's opening; nil when it has none. Endpoint tests are
// shared through tests, by their text.
func (a *analysis) readOpening(r *ast.Rule, tests map[string]*endpointTest) *opening {
	if r.Else != nil || r.Default {
		return nil
	}
	o := &opening{}
	alias := map[ast.Var]bool{}
	for _, expr := range r.Body {
		if len(expr.With) > 0 {
			break
		}
		if expr.Negated {
			if errorFree(a.c, expr) {
				continue
			}
			break
		}
		if v, ok := endpointAlias(expr); ok {
			alias[v] = true
			continue
		}
		if admits, ok := literalGuard(expr, alias); ok {
			if o.literal == nil {
				o.literal = admits
			} else {
				o.literal = intersect(o.literal, admits)
			}
			continue
		}
		if e, ok := a.asEndpointTest(expr, alias); ok {
			t := tests[e.String()]
			if t == nil {
				t = &endpointTest{expr: e}
				tests[e.String()] = t
			}
			o.tests = append(o.tests, t)
			continue
		}
		if !onBaseData(a.c, expr) && !errorFree(a.c, expr) {
			break
		}
	}
	if o.literal == nil && len(o.tests) == 0 {
		return nil
	}
	return o
}

// endpointAlias recognises `__localN__ = input.endpoint`.
func endpointAlias(expr *ast.Expr) (ast.Var, bool) {
	if !expr.IsEquality() {
		return "", false
	}
	ops := expr.Operands()
	for i, t := range ops {
		v, isVar := t.Value.(ast.Var)
		if isVar && ops[1-i].Value.Compare(endpointRef) == 0 && strings.HasPrefix(string(v), "__local") {
			return v, true
		}
	}
	return "", false
}

// literalGuard recognises a comparison of input.endpoint (or an alias)
// with a string, or its membership in a constant set or array of strings.
func literalGuard(expr *ast.Expr, alias map[ast.Var]bool) ([]string, bool) {
	isEndpoint := func(t *ast.Term) bool {
		switch v := t.Value.(type) {
		case ast.Ref:
			return v.Equal(endpointRef)
		case ast.Var:
			return alias[v]
		}
		return false
	}
	if !expr.IsCall() || len(expr.Operands()) != 2 {
		return nil, false
	}
	ops := expr.Operands()
	switch {
	case isEquality(expr):
		for i, t := range ops {
			if s, isStr := ops[1-i].Value.(ast.String); isStr && isEndpoint(t) {
				return []string{string(s)}, true
			}
		}
	case expr.Operator().Equal(ast.Member.Ref()) && isEndpoint(ops[0]) && ops[1].IsGround():
		out := []string{}
		switch coll := ops[1].Value.(type) {
		case ast.Set:
			coll.Foreach(func(t *ast.Term) { out = appendString(out, t) })
		case *ast.Array:
			coll.Foreach(func(t *ast.Term) { out = appendString(out, t) })
		default:
			return nil, false
		}
		return out, true
	}
	return nil, false
}

// asEndpointTest returns expr with its aliases replaced by input.endpoint
// when it reads nothing of the input but the endpoint, through every rule
// it reaches, and has no other variable.
func (a *analysis) asEndpointTest(expr *ast.Expr, alias map[ast.Var]bool) (*ast.Expr, bool) {
	ok := true
	ast.WalkVars(expr, func(v ast.Var) bool {
		if !alias[v] && !v.Equal(ast.DefaultRootDocument.Value) && !v.Equal(ast.InputRootDocument.Value) && !isOperatorVar(expr, v) {
			ok = false
		}
		return !ok
	})
	if !ok {
		return nil, false
	}
	x, err := ast.TransformVars(expr.Copy(), func(v ast.Var) (ast.Value, error) {
		if alias[v] {
			return endpointRef.Copy(), nil
		}
		return v, nil
	})
	e, isExpr := x.(*ast.Expr)
	if err != nil || !isExpr {
		return nil, false
	}
	// What it reads: its own refs, and the closure of the rules it reaches.
	own := readPaths{}
	for _, t := range exprTerms(e) {
		termReads(t, nil, func(ref ast.Ref) {
			if len(ref) == 1 {
				own.whole = true
			} else {
				own.paths = append(own.paths, stringPrefix(ref))
			}
		}, &own.whole)
	}
	if !onlyEndpoint(own) {
		return nil, false
	}
	ok = true
	walkReachable(a.c, reached(a.c, e), func(r *ast.Rule) bool {
		ok = ok && onlyEndpoint(a.ruleReads(r)) && !usesWith(r)
		return ok
	})
	if !ok {
		return nil, false
	}
	return e, true
}

// isOperatorVar holds for the variable naming a built-in operator (eq, gt).
func isOperatorVar(expr *ast.Expr, v ast.Var) bool {
	op := expr.Operator()
	return len(op) == 1 && op[0].Value.Compare(v) == 0
}

func onlyEndpoint(rr readPaths) bool {
	if rr.whole {
		return false
	}
	for _, p := range rr.paths {
		if !p.Equal(endpointRef) {
			return false
		}
	}
	return true
}

func usesWith(r *ast.Rule) bool {
	found := false
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		found = found || len(e.With) > 0
		return found
	})
	return found
}

// evaluate computes the test for each endpoint, with an input holding the
// endpoint alone (it reads nothing else). A test that fails to evaluate
// holds: it never leaves a rule out.
func (t *endpointTest) evaluate(ctx context.Context, c *ast.Compiler, store storage.Store, endpoints []string) {
	t.holds = make(map[string]bool, len(endpoints))
	pq, err := rego.New(rego.ParsedQuery(ast.NewBody(t.expr)), rego.Compiler(c), rego.Store(store)).PrepareForEval(ctx)
	for _, e := range endpoints {
		if err != nil {
			t.holds[e] = true
			continue
		}
		rs, evalErr := pq.Eval(ctx, rego.EvalParsedInput(ast.NewObject(ast.Item(ast.StringTerm("endpoint"), ast.StringTerm(e)))))
		t.holds[e] = evalErr != nil || len(rs) > 0
	}
}

func intersect(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		if contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var endpointRef = ast.MustParseRef("input.endpoint")

// isEquality holds for unification (=) and comparison (==) calls.
func isEquality(e *ast.Expr) bool {
	return e.IsCall() && (e.IsEquality() || e.Operator().Equal(ast.Equal.Ref()))
}

func appendString(out []string, t *ast.Term) []string {
	if s, ok := t.Value.(ast.String); ok {
		return append(out, string(s))
	}
	return out
}

// errorFree holds for an expression evaluated by built-ins alone: no rule
// or function of the policy (which could raise a conflict error), no
// `with`, no every.
func errorFree(c *ast.Compiler, expr *ast.Expr) bool {
	if len(expr.With) > 0 {
		return false
	}
	if _, isEvery := expr.Terms.(*ast.Every); isEvery {
		return false
	}
	if expr.IsCall() {
		if op := expr.Operator(); op.HasPrefix(ast.DefaultRootRef) {
			return false
		} else if _, builtin := ast.BuiltinMap[op.String()]; !builtin {
			return false
		}
	}
	ok := true
	ast.WalkTerms(expr, func(t *ast.Term) bool {
		switch v := t.Value.(type) {
		case ast.Ref:
			if v.HasPrefix(ast.DefaultRootRef) && len(c.GetRulesDynamic(v)) > 0 {
				ok = false
			}
		case ast.Call:
			if op, isRef := v[0].Value.(ast.Ref); !isRef || op.HasPrefix(ast.DefaultRootRef) {
				ok = false
			} else if _, builtin := ast.BuiltinMap[op.String()]; !builtin {
				ok = false
			}
		case *ast.ArrayComprehension, *ast.SetComprehension, *ast.ObjectComprehension:
			ok = false
		}
		return !ok
	})
	return ok
}

// onBaseData holds for a test that reads nothing but base data (no input,
// no rule, no variable): it reads no input and cannot fail on it.
func onBaseData(c *ast.Compiler, expr *ast.Expr) bool {
	ok := true
	ast.WalkTerms(expr, func(t *ast.Term) bool {
		switch v := t.Value.(type) {
		case ast.Var:
			ok = false
		case ast.Ref:
			if !v.IsGround() || !v.HasPrefix(ast.DefaultRootRef) || len(c.GetRulesDynamic(v)) > 0 {
				if !v.Equal(expr.Operator()) {
					ok = false
				}
			}
			return true
		case ast.Call, *ast.ArrayComprehension, *ast.SetComprehension, *ast.ObjectComprehension:
			ok = false
		}
		return !ok
	})
	return ok
}
