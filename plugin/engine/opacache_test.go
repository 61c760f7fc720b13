package engine

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// These tests pin down the behaviour of OPA's evaluator that the constant
// table (consts.go) relies on, by handing OPA a table whose values differ
// from what evaluating the rules gives: a decision then shows whether OPA
// took the cache's answer. An OPA upgrade that changes any of it fails here
// rather than in a decision:
//
//   - OPA asks the virtual cache (Get) for a rule's document, by its full
//     ground path, before evaluating the rule: complete rules, rules with
//     a default, partial sets and partial objects alike;
//   - it takes a value the cache gives without evaluating the rule, and
//     (nil, true) as "known to be undefined";
//   - it calls Push before evaluating under `with` and Pop after, so the
//     table is never consulted where data or functions are replaced.

// withTable is an engine for policy whose constant table holds exactly
// the given values (a nil term: undefined), whatever the rules compute.
func withTable(t *testing.T, policy string, values map[string]*ast.Term) *Engine {
	t.Helper()
	e, err := New(context.Background(), map[string]string{"p.rego": policy}, map[string]any{"paths": []any{"/a"}})
	if err != nil {
		t.Fatal(err)
	}
	table := &constTable{byLast: map[string][]constEntry{}}
	for ref, v := range values {
		r := ast.MustParseRef(ref)
		last := string(r[len(r)-1].Value.(ast.String))
		table.byLast[last] = append(table.byLast[last], constEntry{ref: r, value: v})
	}
	e.consts = table
	return e
}

func TestOPATakesTheVirtualCachesAnswer(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		table  map[string]*ast.Term
	}{
		{"complete rule", `package dood
decision := {"allow": keys == {"fake"}, "violations": []}
keys := {"real"}
`, map[string]*ast.Term{"data.dood.keys": ast.SetTerm(ast.StringTerm("fake"))}},
		{"rule with a default", `package dood
decision := {"allow": restricted == "fake", "violations": []}
default restricted := false
restricted := true if data.paths[0] == "/a"
`, map[string]*ast.Term{"data.dood.restricted": ast.StringTerm("fake")}},
		{"partial set", `package dood
decision := {"allow": names == {"fake"}, "violations": []}
names contains n if some n in data.paths
`, map[string]*ast.Term{"data.dood.names": ast.SetTerm(ast.StringTerm("fake"))}},
		{"partial object, whole and by key", `package dood
decision := {"allow": allow, "violations": []}
default allow := false
allow if { by == {"k": "fake"}; by.k == "fake" }
by[p] := "real" if some p in data.paths
`, map[string]*ast.Term{"data.dood.by": ast.ObjectTerm(ast.Item(ast.StringTerm("k"), ast.StringTerm("fake")))}},
		{"known undefined", `package dood
decision := {"allow": allow, "violations": []}
default allow := false
allow if not u
u if data.paths[0] == "/a"
`, map[string]*ast.Term{"data.dood.u": nil}},
		{"reached through a function", `package dood
decision := {"allow": f(1) == {"fake"}, "violations": []}
f(_) := keys
keys := {"real"}
`, map[string]*ast.Term{"data.dood.keys": ast.SetTerm(ast.StringTerm("fake"))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := withTable(t, c.policy, c.table)
			// Without the table the rules decide: the case tells the two apart.
			plain := *e
			plain.consts = nil
			plain.reads = nil // nor from the decisions e remembers
			if d, err := plain.Decide(context.Background(), map[string]any{}); err != nil || d.Allow {
				t.Fatalf("without the table: %+v %v, want a denial", d, err)
			}
			d, err := e.Decide(context.Background(), map[string]any{})
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allow {
				t.Error("OPA evaluated the rule instead of taking the virtual cache's answer: " +
					"the constant table (consts.go) no longer reaches evaluations")
			}
		})
	}
}

func TestOPAPushesTheVirtualCacheUnderWith(t *testing.T) {
	e := withTable(t, `package dood
decision := {"allow": ok, "violations": []}
default ok := false
ok if {
	keys == {"fake"}
	k := keys with data.paths as ["/x"]
	k == {"/x"}
}
keys := {p | some p in data.paths}
`, map[string]*ast.Term{"data.dood.keys": ast.SetTerm(ast.StringTerm("fake"))})
	plain := *e
	plain.consts = nil
	plain.reads = nil
	if d, err := plain.Decide(context.Background(), map[string]any{}); err != nil || d.Allow {
		t.Fatalf("without the table: %+v %v, want a denial", d, err)
	}
	d, err := e.Decide(context.Background(), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow {
		t.Error("under `with` the constant table answered (or outside it, it did not): " +
			"OPA no longer calls VirtualCache.Push/Pop around `with`, and constCache would leak constants into replaced data")
	}
}
