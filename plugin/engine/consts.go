package engine

import (
	"context"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Rules whose value does not depend on the input — tables a policy derives
// from its data, such as a set of protected directory keys — have the same
// value in every evaluation of one policy load. OPA computes them afresh
// for each query; the engine computes them once when the policy is loaded
// and hands them to every evaluation through OPA's virtual-document cache,
// which is where OPA itself keeps a rule's value once computed.
//
// A rule is constant when neither it nor anything it may reach (rules,
// functions, dynamic references into data.*) reads input, uses `with`, or
// calls a non-deterministic built-in. The analysis over-approximates: a
// reference with a variable in it depends on every rule it could select. A
// rule whose computation fails is simply left to evaluation.
//
// This rests on how OPA's evaluator (topdown) uses the virtual cache, which
// is not a documented contract: before evaluating a rule's document it asks
// the cache by the document's full ground path (complete rules, rules with
// a default, partial sets and objects); it takes a cached value without
// evaluating the rule, and (nil, true) as known to be undefined; and it
// calls Push and Pop around every `with`, where constCache stops answering.
// opacache_test.go checks each point against the OPA in go.mod by handing
// it a table that disagrees with the rules, so an upgrade that changes one
// fails a test rather than a decision. Should OPA stop asking the cache,
// the table goes unused (slower, never wrong); should it stop pushing under
// `with`, constants would leak into replaced data, which the tests catch.

// constTable maps a constant rule's path to its value.
type constTable struct {
	byLast map[string][]constEntry // keyed by the path's last element
}

type constEntry struct {
	ref   ast.Ref
	value *ast.Term
}

// get returns the value of the constant document at ref; known says
// whether ref is one (a known document with a nil value is undefined).
func (t *constTable) get(ref ast.Ref) (value *ast.Term, known bool) {
	if t == nil || len(ref) == 0 {
		return nil, false
	}
	last, ok := ref[len(ref)-1].Value.(ast.String)
	if !ok {
		return nil, false
	}
	for _, e := range t.byLast[string(last)] {
		if e.ref.Equal(ref) {
			return e.value, true
		}
	}
	return nil, false
}

func (t *constTable) len() int {
	if t == nil {
		return 0
	}
	n := 0
	for _, es := range t.byLast {
		n += len(es)
	}
	return n
}

// constCache is the virtual cache of one evaluation: OPA's own, answered
// first from the constant table. Inside a `with` (a pushed frame, where data
// or functions may be replaced) the table is not consulted.
type constCache struct {
	topdown.VirtualCache
	consts *constTable
	depth  int
}

func (c *constCache) Push() { c.depth++; c.VirtualCache.Push() }
func (c *constCache) Pop()  { c.depth--; c.VirtualCache.Pop() }

// Get answers as OPA's cache does: (value, false) for a known value, (nil,
// true) for a document known to be undefined, (nil, false) for not cached.
func (c *constCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if c.depth == 0 {
		if v, known := c.consts.get(ref); known {
			return v, v == nil
		}
	}
	return c.VirtualCache.Get(ref)
}

// constantRules lists the paths of rules whose value is the same in every
// evaluation.
func constantRules(c *ast.Compiler) []ast.Ref {
	var rules []*ast.Rule
	for _, name := range sortedKeys(c.Modules) {
		ast.WalkRules(c.Modules[name], func(r *ast.Rule) bool {
			rules = append(rules, r)
			return false
		})
	}
	// deps: rule → rules it may reach; tainted: reads input or the like.
	deps := map[*ast.Rule][]*ast.Rule{}
	tainted := map[*ast.Rule]bool{}
	for _, r := range rules {
		taint, reach := ruleUses(c, r)
		tainted[r] = taint
		deps[r] = reach
	}
	// Propagate: a rule reaching a tainted rule is tainted.
	for changed := true; changed; {
		changed = false
		for _, r := range rules {
			if tainted[r] {
				continue
			}
			for _, d := range deps[r] {
				if tainted[d] {
					tainted[r] = true
					changed = true
					break
				}
			}
		}
	}
	seen := map[string]bool{}
	var out []ast.Ref
	for _, r := range rules {
		ref := docPath(r)
		if ref == nil || seen[ref.String()] {
			continue
		}
		seen[ref.String()] = true
		ok := true
		// Every rule defining the document or anything below it must be a
		// constant, argument-free rule of exactly this document.
		for _, d := range c.GetRules(ref) {
			if tainted[d] || !docPath(d).Equal(ref) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, ref)
		}
	}
	return out
}

// docPath is the document an argument-free rule defines: its ref for a
// complete rule or a partial set, the ref without the key for a partial
// object rule (p[k] := v); nil for functions and deeper ref rules.
func docPath(r *ast.Rule) ast.Ref {
	if len(r.Head.Args) > 0 {
		return nil
	}
	ref := r.Ref()
	if ref.IsGround() {
		return ref
	}
	if p := ref.GroundPrefix(); len(p) == len(ref)-1 {
		return p
	}
	return nil
}

// ruleUses reports whether r itself reads input, uses `with` or calls a
// non-deterministic or unknown function, and which rules it may reach.
func ruleUses(c *ast.Compiler, r *ast.Rule) (bool, []*ast.Rule) {
	taint := false
	var reach []*ast.Rule
	// A call whose operator is a ref into data is a function of the policy:
	// it is reached through its ref below. Any other is a built-in.
	builtin := func(op ast.Ref) {
		if !op.HasPrefix(ast.DefaultRootRef) {
			if b, ok := ast.BuiltinMap[op.String()]; !ok || volatile(b) {
				taint = true
			}
		}
	}
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		if len(e.With) > 0 {
			taint = true
		}
		if e.IsCall() {
			builtin(e.Operator())
		}
		return false
	})
	ast.WalkTerms(r, func(t *ast.Term) bool {
		if call, ok := t.Value.(ast.Call); ok && len(call) > 0 {
			if op, ok := call[0].Value.(ast.Ref); ok {
				builtin(op)
			}
		}
		return false
	})
	ast.WalkRefs(r, func(ref ast.Ref) bool {
		switch {
		case ref.HasPrefix(ast.InputRootRef):
			taint = true
		case ref.HasPrefix(ast.DefaultRootRef):
			if len(ref) == 1 {
				taint = true // the whole of data, rules included
			}
			reach = append(reach, c.GetRulesDynamic(ref)...)
		}
		return false
	})
	return taint, reach
}

// computeConstants evaluates each constant document once against the
// policy's compiler and store. Values are kept as OPA terms (a set stays a
// set); a document found undefined is remembered as undefined.
func computeConstants(ctx context.Context, c *ast.Compiler, store storage.Store) *constTable {
	refs := constantRules(c)
	if len(refs) == 0 {
		return nil
	}
	t := &constTable{byLast: map[string][]constEntry{}}
	asTerm := func(term *ast.Term, _ *rego.EvalContext) (any, error) { return term, nil }
	x := ast.VarTerm("__dood_const__")
	for _, ref := range refs {
		rs, err := rego.New(
			rego.Compiler(c),
			rego.Store(store),
			rego.ParsedQuery(ast.NewBody(ast.Equality.Expr(x, ast.NewTerm(ref)))),
			rego.GenerateJSON(asTerm),
		).Eval(ctx)
		if err != nil || len(rs) > 1 {
			continue // failing: left to each evaluation
		}
		e := constEntry{ref: ref.Copy()}
		if len(rs) == 1 {
			v, ok := rs[0].Bindings[string(x.Value.(ast.Var))].(*ast.Term)
			if !ok || !v.IsGround() {
				continue
			}
			e.value = v
		}
		last := string(ref[len(ref)-1].Value.(ast.String))
		t.byLast[last] = append(t.byLast[last], e)
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
