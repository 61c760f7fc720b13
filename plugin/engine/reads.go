package engine

import (
	"context"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
)

// A decision can only depend on the parts of the input the policy reads. A
// CI job's create differs from the last one in its name, its environment,
// its labels, its command; the policy reads none of these, so the last
// job's decision is this one's. The engine remembers decisions keyed on
// the values at the paths the policy can read (remember.go), and those
// paths are found here, statically, from the compiled policy: every ref
// into input in every rule the decision can reach, per endpoint.
//
// Per endpoint, because the library's rules open with a test of
// input.endpoint: a rule that opens with `input.endpoint == "plugin.create"`
// (or `input.endpoint in {...}`) cannot hold for a container create, so its
// reads (input.query.name, for one) do not count for one. The analysis is
// conservative wherever it is unsure:
//
//   - A ref with a variable in it reads everything below its ground prefix
//     (input.facts.mounts[i] reads input.facts.mounts).
//   - object.get(x, "k", d) on an input path reads x.k; any other use of x
//     reads x whole.
//   - A rule is left out for an endpoint only when its body opens with such
//     a test (after tests on base data alone, e.g. the profile), so nothing
//     of it is evaluated; a rule with an else branch is never left out
//     (opening.go). A test that reads nothing of the input but the
//     endpoint, such as lookups.looked_up("create"), is evaluated at load
//     for every endpoint the router knows.
//   - `with input as doc` replaces the input: what the rules under it read
//     is doc, whose value is built from reads counted here. A `with` that
//     replaces part of the input makes the guards meaningless, and one that
//     replaces data or a function the endpoint tests: no key at all, every
//     decision is evaluated.
//   - Reading input whole (`x := input`) also means no key.
//
// Paths keep string keys only: a number or other key ends the path there,
// so looking a path up (remember.go) needs only object and set semantics.

// inputReads holds, per endpoint, the input paths a decision may read.
type inputReads struct {
	named map[string]readPaths // the router's endpoints, and those guards name
	other readPaths            // every other endpoint
}

// readPaths is one endpoint's paths, sorted, none a prefix of another;
// whole means the input is read whole (or replaced in part): no key.
type readPaths struct {
	paths []ast.Ref
	whole bool
}

func (r *inputReads) forEndpoint(endpoint string) readPaths {
	if p, ok := r.named[endpoint]; ok {
		return p
	}
	return r.other
}

// analyseReads finds the input paths the document at query can read, for
// every endpoint: each the router knows (plugin/route), "" (the unknown
// route's) and each a literal guard names, and, for any other, the reads
// no literal guard excludes.
func analyseReads(ctx context.Context, c *ast.Compiler, store storage.Store, query ast.Ref) *inputReads {
	a := &analysis{c: c, openings: map[*ast.Rule]*opening{}, reads: map[*ast.Rule]readPaths{}}
	tests := a.readOpenings()
	known := map[string]bool{"": true}
	for _, r := range route.Routes() {
		known[r.Endpoint] = true
	}
	for _, o := range a.openings {
		for _, e := range o.literal {
			known[e] = true
		}
	}
	endpoints := sortedKeys(known)
	for _, t := range tests {
		t.evaluate(ctx, c, store, endpoints)
	}
	out := &inputReads{named: map[string]readPaths{}}
	for _, e := range endpoints {
		out.named[e] = a.readsFor(query, func(o *opening) bool { return o.admits(e) })
	}
	// Any other endpoint: only the literal guards are known to fail it.
	out.other = a.readsFor(query, func(o *opening) bool { return o.literal == nil })
	return out
}

type analysis struct {
	c        *ast.Compiler
	openings map[*ast.Rule]*opening // nil entry: no opening guard
	reads    map[*ast.Rule]readPaths
}

// readsFor walks the rules reachable from query, leaving out those whose
// opening the endpoint fails, and gathers their reads.
func (a *analysis) readsFor(query ast.Ref, admitted func(*opening) bool) readPaths {
	var paths []ast.Ref
	whole := false
	walkReachable(a.c, a.c.GetRulesDynamic(query), func(r *ast.Rule) bool {
		if o := a.opening(r); o != nil && !admitted(o) {
			return false
		}
		rr := a.ruleReads(r)
		paths = append(paths, rr.paths...)
		whole = whole || rr.whole
		return true
	})
	if whole {
		return readPaths{whole: true}
	}
	return readPaths{paths: minimal(paths)}
}

// walkReachable calls visit once for every rule reachable from roots
// (through the rules and functions each refers to, else branches
// included), following a rule's references only when visit returns true.
func walkReachable(c *ast.Compiler, roots []*ast.Rule, visit func(*ast.Rule) bool) {
	seen := map[*ast.Rule]bool{}
	queue := roots
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		if seen[r] {
			continue
		}
		seen[r] = true
		if visit(r) {
			queue = append(queue, reached(c, r)...)
		}
	}
}

// reached lists the rules (and functions) x refers to; for a rule, its
// else branches' too (OPA's walkers visit them).
func reached(c *ast.Compiler, x any) []*ast.Rule {
	var out []*ast.Rule
	ast.WalkRefs(x, func(ref ast.Ref) bool {
		if ref.HasPrefix(ast.DefaultRootRef) {
			out = append(out, c.GetRulesDynamic(ref)...)
		}
		return false
	})
	return out
}

func (a *analysis) ruleReads(r *ast.Rule) readPaths {
	if rr, ok := a.reads[r]; ok {
		return rr
	}
	rr := ruleReads(r)
	a.reads[r] = rr
	return rr
}

// minimal sorts paths and drops every path below another.
func minimal(paths []ast.Ref) []ast.Ref {
	sort.Slice(paths, func(i, j int) bool { return paths[i].Compare(paths[j]) < 0 })
	var out []ast.Ref
	for _, p := range paths {
		if n := len(out); n > 0 && p.HasPrefix(out[n-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// ruleReads gathers the input paths a rule reads, its else branches
// included (OPA's walkers visit them; heads are walked one by one).
func ruleReads(r *ast.Rule) readPaths {
	var out readPaths
	// Locals the compiler binds to a ground input path (`__local1__ =
	// input.query`) are followed to their uses: object.get on them reads
	// one key.
	aliases := map[ast.Var]ast.Ref{}
	aliasExpr := map[*ast.Expr]bool{}
	count := map[ast.Var]int{}
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		if !e.IsEquality() || e.Negated || len(e.With) > 0 {
			return false
		}
		ops := e.Operands()
		for i, t := range ops {
			v, isVar := t.Value.(ast.Var)
			ref, isRef := ops[1-i].Value.(ast.Ref)
			if isVar && isRef && strings.HasPrefix(string(v), "__local") && ref.HasPrefix(ast.InputRootRef) && ref.IsGround() {
				count[v]++
				aliases[v] = ref
				aliasExpr[e] = true
			}
		}
		return false
	})
	for v, n := range count {
		if n != 1 {
			delete(aliases, v) // bound twice: not a plain alias
		}
	}
	read := func(ref ast.Ref) {
		if len(ref) == 1 {
			out.whole = true
			return
		}
		out.paths = append(out.paths, stringPrefix(ref))
	}
	// keyed records object.get(x, key, _) on an input path or an alias; it
	// reports whether it did, so that x is not counted as read whole.
	keyed := func(e *ast.Expr) bool {
		if !e.IsCall() || !e.Operator().Equal(ast.ObjectGet.Ref()) || len(e.Operands()) < 3 {
			return false
		}
		ops := e.Operands()
		var base ast.Ref
		switch v := ops[0].Value.(type) {
		case ast.Ref:
			if !v.HasPrefix(ast.InputRootRef) || !v.IsGround() {
				return false
			}
			base = v
		case ast.Var:
			if base = aliases[v]; base == nil {
				return false
			}
		default:
			return false
		}
		path := base.Copy()
		switch k := ops[1].Value.(type) {
		case ast.String:
			path = append(path, ops[1])
		case *ast.Array:
			ok := true
			k.Foreach(func(t *ast.Term) {
				if _, isStr := t.Value.(ast.String); !isStr {
					ok = false
				}
				path = append(path, t)
			})
			if !ok {
				return false
			}
		default:
			return false
		}
		read(path)
		for _, t := range ops[2:] {
			termReads(t, aliases, read, &out.whole)
		}
		return true
	}
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		for _, w := range e.With {
			// Only the whole input may be replaced. Part of it makes the
			// endpoint guards meaningless; data or a function replaced
			// makes the endpoint tests computed at load wrong (and the
			// constants: consts.go stops there too).
			if ref, ok := w.Target.Value.(ast.Ref); !ok || !ref.Equal(ast.InputRootRef) {
				out.whole = true
			}
			termReads(w.Value, aliases, read, &out.whole)
		}
		switch {
		case aliasExpr[e]:
			// The alias is counted where it is used.
		case keyed(e):
		default:
			for _, t := range exprTerms(e) {
				termReads(t, aliases, read, &out.whole)
			}
		}
		return false
	})
	for x := r; x != nil; x = x.Else {
		heads := append([]*ast.Term{x.Head.Key, x.Head.Value}, x.Head.Args...)
		for _, t := range append(heads, x.Head.Reference...) {
			if t != nil {
				termReads(t, aliases, read, &out.whole)
			}
		}
	}
	return out
}

// exprTerms lists an expression's terms (operator included).
func exprTerms(e *ast.Expr) []*ast.Term {
	switch t := e.Terms.(type) {
	case *ast.Term:
		return []*ast.Term{t}
	case []*ast.Term:
		return t
	case *ast.Every:
		// Its body's expressions are walked on their own.
		return []*ast.Term{t.Key, t.Value, t.Domain}
	}
	return nil
}

// termReads records the input refs in t, and the uses of aliases (reading
// their path whole). Closures are skipped: WalkExprs visits their bodies.
func termReads(t *ast.Term, aliases map[ast.Var]ast.Ref, read func(ast.Ref), whole *bool) {
	ast.WalkTerms(t, func(x *ast.Term) bool {
		switch v := x.Value.(type) {
		case ast.Ref:
			if v.HasPrefix(ast.InputRootRef) {
				read(v)
			} else if head, ok := v[0].Value.(ast.Var); ok && aliases[head] != nil {
				read(aliases[head].Concat(v[1:]))
			}
			for _, k := range v[1:] {
				termReads(k, aliases, read, whole)
			}
			return true
		case ast.Var:
			if p := aliases[v]; p != nil {
				read(p)
			} else if v.Equal(ast.InputRootDocument.Value) {
				*whole = true
			}
		case *ast.ArrayComprehension:
			termReads(v.Term, aliases, read, whole)
			return true
		case *ast.SetComprehension:
			termReads(v.Term, aliases, read, whole)
			return true
		case *ast.ObjectComprehension:
			termReads(v.Key, aliases, read, whole)
			termReads(v.Value, aliases, read, whole)
			return true
		}
		return false
	})
}

// stringPrefix is ref up to its first key that is not a string.
func stringPrefix(ref ast.Ref) ast.Ref {
	for i, t := range ref[1:] {
		if _, ok := t.Value.(ast.String); !ok {
			return ref[:i+1].Copy()
		}
	}
	return ref.Copy()
}
