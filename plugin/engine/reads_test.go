package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

func readsOf(t *testing.T, src string, endpoint string) readPaths {
	t.Helper()
	e, err := New(context.Background(), map[string]string{"p.rego": src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.reads == nil {
		t.Fatal("a deterministic policy has no read analysis")
	}
	return e.reads.forEndpoint(endpoint)
}

func pathStrings(p readPaths) []string {
	if p.whole {
		return []string{"(whole input)"}
	}
	var out []string
	for _, r := range p.paths {
		out = append(out, r.String())
	}
	return out
}

const decisionHead = `package dood
decision := {"allow": count(violation) == 0, "violations": []}
`

// What the policy can read, per endpoint: what remembering may ignore is
// everything else. (The endpoint itself is always part of the key.)
func TestReadsFollowTheRulesAnEndpointCanReach(t *testing.T) {
	cases := []struct {
		name     string
		policy   string
		endpoint string
		want     []string
	}{
		{"a rule guarded for another endpoint reads nothing", decisionHead + `
violation contains 1 if { input.endpoint == "plugin.create"; input.query.name == "x" }
violation contains 2 if { input.endpoint in {"container.create", "container.start"}; input.facts.privileged.value }
`, "container.create", []string{"input.endpoint", "input.facts.privileged.value"}},
		{"the same rules for the other endpoint", decisionHead + `
violation contains 1 if { input.endpoint == "plugin.create"; input.query.name == "x" }
violation contains 2 if { input.endpoint in {"container.create", "container.start"}; input.facts.privileged.value }
`, "plugin.create", []string{"input.endpoint", "input.query.name"}},
		{"an endpoint no guard names", decisionHead + `
violation contains 1 if { input.endpoint == "plugin.create"; input.query.name == "x" }
violation contains 2 if { input.body.x == 1 }
`, "ping", []string{"input.body.x"}},
		{"a guard after tests on base data", decisionHead + `
violation contains 1 if { data.guard.profile == "restricted"; input.endpoint == "plugin.create"; input.query.name == "x" }
`, "container.create", nil},
		{"a guard after built-in tests on the input", decisionHead + `
violation contains 1 if { input.query.all == "1"; not input.query.x; some m in input.facts.mounts; input.endpoint == "plugin.create"; m.x }
`, "container.create", nil},
		{"a guard after a call of the policy's own is no guard", decisionHead + `
f(x) := y if { y := x.a }
violation contains 1 if { f(input.query) == 1; input.endpoint == "plugin.create" }
`, "container.create", []string{"input.endpoint", "input.query"}},
		{"an endpoint test through a table: the endpoint it fails", decisionHead + `
tbl := {"container.create": {"create"}}
looked_up(kind) if kind in tbl[input.endpoint]
violation contains 1 if { looked_up("create"); input.facts.mounts[0].source == "/" }
`, "container.inspect", nil},
		{"an endpoint test through a table: the endpoint it passes", decisionHead + `
tbl := {"container.create": {"create"}}
looked_up(kind) if kind in tbl[input.endpoint]
violation contains 1 if { looked_up("create"); input.facts.mounts[0].source == "/" }
`, "container.create", []string{"input.endpoint", "input.facts.mounts"}},
		{"a table lookup of the endpoint opens a rule", decisionHead + `
tbl := {"container.create": true}
violation contains 1 if { tbl[input.endpoint]; input.facts.mounts[0].source == "/" }
`, "container.inspect", nil},
		{"an endpoint only a literal guard names has the endpoint tests evaluated too", decisionHead + `
tbl := {"zz.not-a-route": true}
violation contains 1 if { tbl[input.endpoint]; input.x }
violation contains 2 if { input.endpoint == "zz.not-a-route"; input.y }
`, "zz.not-a-route", []string{"input.endpoint", "input.x", "input.y"}},
		{"a test reading more than the endpoint is no opening", decisionHead + `
judged if { input.endpoint == "container.start"; input.query.x == "1" }
violation contains 1 if { judged; input.facts.mounts[0].source == "/" }
`, "container.inspect", []string{"input.facts.mounts"}},
		{"a rule with an else branch is always read", decisionHead + `
violation contains v if { v := f }
f := 1 if { input.endpoint == "plugin.create"; input.query.a } else := 2 if { input.query.b }
`, "container.create", []string{"input.endpoint", "input.query.a", "input.query.b"}},
		{"a variable in a ref reads its ground prefix", decisionHead + `
violation contains m.source if { some m in input.facts.mounts; m.type == "bind" }
violation contains 1 if { input.facts.devices[0].path == "/dev/mem" }
`, "container.create", []string{"input.facts.devices", "input.facts.mounts"}},
		{"object.get reads one key, or a path", decisionHead + `
violation contains 1 if object.get(input.query, "remote", "") != ""
violation contains 2 if object.get(input.body, ["HostConfig", "Privileged"], false)
violation contains 3 if object.get(object.get(input, "state", {}), "plugins", []) != []
`, "x", []string{"input.body.HostConfig.Privileged", "input.query.remote", "input.state"}},
		{"a query passed whole", decisionHead + `
violation contains 1 if { q := input.query; count(q) > 3 }
violation contains 2 if object.get(input.query, "remote", "") != ""
`, "x", []string{"input.query"}},
		{"reads in functions and comprehensions", decisionHead + `
violation contains 1 if f(input.facts.user)
f(u) if u.uid == 0
violation contains 2 if count([x | some x in input.facts.caps; x == input.body.Extra]) > 0
violation contains 3 if { every c in input.facts.sysctls { c != "" } }
`, "x", []string{"input.body.Extra", "input.facts.caps", "input.facts.sysctls", "input.facts.user"}},
		{"input replaced whole: what builds it is read", decisionHead + `
violation contains 1 if { inner with input as {"endpoint": "container.create", "facts": input.state.c} }
inner if { input.endpoint == "container.create"; input.facts.privileged }
`, "container.start", []string{"input.state.c"}},
		{"input replaced in part: no key", decisionHead + `
violation contains 1 if { inner with input.endpoint as "container.create" }
inner if { input.endpoint == "container.create"; input.facts.privileged }
`, "container.start", []string{"(whole input)"}},
		{"input named, then read by key", decisionHead + `
violation contains 1 if { x := input; x.a == 1 }
`, "x", []string{"input.a"}},
		{"data replaced under with: no key", decisionHead + `
tbl := {"container.create": true}
inner if { tbl[input.endpoint]; input.facts.privileged }
violation contains 1 if { inner with tbl as {"container.start": true} }
`, "container.start", []string{"(whole input)"}},
		{"a function replaced under with: no key", decisionHead + `
f(x) := x
violation contains 1 if { f(input.a) with f as g }
g(x) := 1
`, "x", []string{"(whole input)"}},
		{"input read whole: no key", decisionHead + `
violation contains 1 if { x := input; count(x) > 9 }
`, "x", []string{"(whole input)"}},
		{"a decision made of a package's rules", `package dood.decision
allow := input.x == 1
violations := [v | some v in input.y]
`, "ping", []string{"input.x", "input.y"}},
		{"a key that is not a string ends the path", decisionHead + `
violation contains 1 if input.facts.devices[0].path == "/dev/mem"
violation contains 2 if input.body.Binds[1] == "/:/host"
`, "x", []string{"input.body.Binds", "input.facts.devices"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := pathStrings(readsOf(t, c.policy, c.endpoint))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("paths read for %s (-want +got):\n%s", c.endpoint, diff)
			}
		})
	}
}

// The property remembering rests on, checked on the embedded library and
// every golden request: changing any part of the input the analysis says
// the policy does not read changes neither the key nor the decision (the
// decision evaluated afresh, not remembered); changing a part it reads
// changes the key. A read the analysis missed shows up as a decision that
// moved.
func TestUnreadInputChangesNoDecision(t *testing.T) {
	e := Library(t)
	plain := *e
	plain.reads = nil
	inputs := goldenInputs(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range inputs {
			if !yield(n) {
				return
			}
		}
	})
	mutated, keyed := 0, 0
	for _, name := range names {
		v, err := input.Value(inputs[name])
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.DecideValue(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		key, ok := e.reads.readKey(v)
		if !ok {
			t.Errorf("%s: no key for the embedded library", name)
			continue
		}
		endpoint := string(v.(ast.Object).Get(endpointKey).Value.(ast.String))
		paths := e.reads.forEndpoint(endpoint).paths
		doc, err := ast.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		forEachMutation(doc, nil, paths, func(where string, read bool, m any) {
			mv, err := ast.InterfaceToValue(m)
			if err != nil {
				t.Fatal(err)
			}
			k, ok := e.reads.readKey(mv)
			if read {
				keyed++
				if ok && k == key {
					t.Errorf("%s: changing %s, which the policy reads, keeps the key", name, where)
				}
				return
			}
			mutated++
			if !ok || k != key {
				t.Errorf("%s: changing %s, which the policy does not read, changes the key", name, where)
			}
			got, err := plain.DecideValue(context.Background(), mv)
			if err != nil {
				t.Fatalf("%s with %s changed: %v", name, where, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: changing %s, which the analysis says the policy does not read, changes the decision (-before +after):\n%s", name, where, diff)
			}
		})
	}
	t.Logf("%d changes to unread input, %d to read input", mutated, keyed)
	if mutated < 1000 || keyed < 100 {
		t.Errorf("only %d changes to unread input and %d to read input were tried", mutated, keyed)
	}
}

// forEachMutation calls f with copies of doc changed at one place each:
// every subtree replaced (by a string, a number, an object) or removed,
// and a key added to every object. read says whether a read path covers
// the place (the change must then change the key).
func forEachMutation(doc any, at []any, paths []ast.Ref, f func(where string, read bool, doc any)) {
	var walk func(node any, at []any)
	walk = func(node any, at []any) {
		rel := relation(at, paths)
		if len(at) > 0 && rel != ancestor {
			for _, repl := range []any{"mutated", 7, map[string]any{"k": "v"}, nil} {
				if repl == nil && node == nil {
					continue // no change
				}
				f(fmt.Sprintf("%v to %v", at, repl), rel == covered, replaceAt(doc, at, repl, false))
			}
			if _, inObject := at[len(at)-1].(string); inObject {
				f(fmt.Sprintf("%v removed", at), rel == covered, replaceAt(doc, at, nil, true))
			}
		}
		switch n := node.(type) {
		case map[string]any:
			added := append(slices.Clone(at), "dood_guard_test_extra")
			f(fmt.Sprintf("%v added", added), relation(added, paths) == covered, replaceAt(doc, added, "x", false))
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(n[k], append(slices.Clone(at), k))
			}
		case []any:
			for i, x := range n {
				walk(x, append(slices.Clone(at), i))
			}
		}
	}
	walk(doc, at)
}

type pathRelation int

const (
	disjoint pathRelation = iota
	covered               // a read path is at or above it
	ancestor              // it holds a read path below it
)

func relation(at []any, paths []ast.Ref) pathRelation {
	rel := disjoint
	for _, p := range paths {
		keys := p[1:]
		n := min(len(keys), len(at))
		same := true
		for i := 0; i < n; i++ {
			s, ok := at[i].(string)
			if !ok || ast.String(s).Compare(keys[i].Value) != 0 {
				same = false
				break
			}
		}
		switch {
		case !same:
		case len(keys) <= len(at):
			return covered
		default:
			rel = ancestor
		}
	}
	return rel
}

// replaceAt returns a deep copy of doc with the value at path replaced by
// v, or removed.
func replaceAt(doc any, path []any, v any, remove bool) any {
	if len(path) == 0 {
		return v
	}
	switch n := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(n)+1)
		for k, x := range n {
			out[k] = x
		}
		k := path[0].(string)
		if len(path) == 1 && remove {
			delete(out, k)
		} else {
			out[k] = replaceAt(n[k], path[1:], v, remove)
		}
		return out
	case []any:
		out := slices.Clone(n)
		i := path[0].(int)
		out[i] = replaceAt(n[i], path[1:], v, remove)
		return out
	}
	return doc
}

// A remembered decision is the evaluated one, flagged, and a caller
// changing what it was given changes nothing remembered.
func TestRememberedDecisionIsTheEvaluatedOne(t *testing.T) {
	e, err := New(context.Background(), map[string]string{"p.rego": `package dood
decision := {"allow": false, "violations": [{"id": "X-1", "msg": "no", "path": ""}]} if input.endpoint == "container.create"
`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{"endpoint": "container.create", "query": map[string]any{"name": "job-1"}}
	first, err := e.Decide(context.Background(), in)
	if err != nil || first.Remembered {
		t.Fatalf("first decision: %+v, %v", first, err)
	}
	first.Violations[0].Msg = "changed by the caller"
	in["query"] = map[string]any{"name": "job-2"}
	second, err := e.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := Decision{Violations: []Violation{{ID: "X-1", Msg: "no"}}, Remembered: true}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("a create differing only in its name (-want +got):\n%s", diff)
	}
}

// A policy reading the clock has nothing remembered.
func TestVolatilePoliciesHaveNoDecisionsRemembered(t *testing.T) {
	e, err := New(context.Background(), map[string]string{"p.rego": `package dood
decision := {"allow": time.now_ns() > 0, "violations": []}`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		d, err := e.Decide(context.Background(), map[string]any{"endpoint": "ping"})
		if err != nil || d.Remembered {
			t.Fatalf("%+v, %v: a decision reading the clock was remembered", d, err)
		}
	}
}

// What a CI job's create changes from one job to the next — its name,
// environment, labels, command, host name — is not what the library reads:
// each job after the first gets the first one's decision from memory. A
// rule reordered so that it reads one of them for a create would make
// every such create a fresh evaluation again; this is the test that says so.
func TestCIJobCreatesShareTheirKey(t *testing.T) {
	e := Library(t)
	v, err := input.Value(goldenInputs(t)["benign-cli-create.http"])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ast.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := e.reads.readKey(v)
	if !ok {
		t.Fatal("no key for a create")
	}
	job := []struct {
		path []any
		v    any
	}{
		{[]any{"query", "name"}, "job-4711"},
		{[]any{"body", "Env"}, []any{"CI_JOB_ID=4711", "CI_COMMIT_SHA=abc"}},
		{[]any{"body", "Labels"}, map[string]any{"ci.job": "4711"}},
		{[]any{"body", "Cmd"}, []any{"make", "test"}},
		{[]any{"body", "Hostname"}, "runner-4711"},
		{[]any{"body", "Entrypoint"}, []any{"/bin/sh", "-c"}},
	}
	for _, c := range job {
		mv, err := ast.InterfaceToValue(replaceAt(doc, c.path, c.v, false))
		if err != nil {
			t.Fatal(err)
		}
		if k, ok := e.reads.readKey(mv); !ok || k != key {
			t.Errorf("a create with another %v does not share the key: the library reads it for a create", c.path)
		}
	}
	// A new workspace is a bind the policy judges: a key of its own.
	facts := doc.(map[string]any)["facts"].(map[string]any)
	mounts := facts["mounts"].([]any)
	m := mounts[0].(map[string]any)
	if m["type"] != "bind" {
		t.Fatalf("the golden create's first mount is %v, want the workspace bind", m)
	}
	mv, err := ast.InterfaceToValue(replaceAt(doc, []any{"facts", "mounts", 0, "source"}, "/srv/ci/ws-2", false))
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := e.reads.readKey(mv); k == key {
		t.Error("a create binding another workspace shares the key")
	}
}

// A CI job's other calls on its own new container — inspect, wait, logs,
// remove — are judged on nothing that names it: each shares the last
// job's key.
func TestCIJobCallsOnANewContainerShareTheirKey(t *testing.T) {
	e := Library(t)
	for _, endpoint := range []string{"container.inspect", "container.wait", "container.logs", "container.delete"} {
		var keys []string
		for _, id := range []string{"0123abcd", "4567ef01"} {
			v, err := input.Value(&input.Document{Phase: "request", Method: "GET", Endpoint: endpoint, APIVersion: "1.41",
				Params: map[string]string{"name": id}, Query: map[string]string{"force": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			k, ok := e.reads.readKey(v)
			if !ok {
				t.Fatalf("%s: no key", endpoint)
			}
			keys = append(keys, string(k[:]))
		}
		if keys[0] != keys[1] {
			t.Errorf("%s of two new containers: two keys (the library reads the container's name for it)", endpoint)
		}
	}
}
