package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

func constNames(t *testing.T, src string, data map[string]any) []string {
	t.Helper()
	e, err := New(context.Background(), map[string]string{"p.rego": src}, data)
	if err != nil {
		t.Fatal(err)
	}
	return constRefs(e)
}

// constRefs lists the rules the engine computed at load, sorted, with
// "=undefined" for those that came out undefined.
func constRefs(e *Engine) []string {
	var out []string
	for _, es := range e.consts.byLast {
		for _, c := range es {
			s := c.ref.String()
			if c.value == nil {
				s += "=undefined"
			}
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func TestOnlyInputIndependentRulesAreConstant(t *testing.T) {
	src := `package dood

import data.dood.lib

decision := {"allow": count(deny) == 0, "violations": []}

# constants: data only, through functions and other rules
keys := {lib.key(p) | some p in data.paths}
byKey[lib.key(p)] := p if some p in data.paths
names contains n if some n in data.names
restricted if data.profile == "restricted"
derived := count(keys) + 1

# not constants
deny contains p if { some p in data.paths; input.path == p }
reads_input := input.x
through_function := lib.in_input(1)
through_rule := count(deny)
uses_with := x if { x := lib.key("/a") with data.paths as [] }
clock := time.now_ns()
dynamic := [v | some g; v := data.dood.other[g]]
f(x) := x
`
	lib := `package dood.lib
key(p) := concat("", [p, "/"])
in_input(x) := input.y + x
`
	other := `package dood.other
a := 1
b := input.b
`
	e, err := New(context.Background(), map[string]string{"p.rego": src, "lib.rego": lib, "other.rego": other}, map[string]any{"paths": []any{"/a", "/b"}, "names": []any{"n"}})
	if err != nil {
		t.Fatal(err)
	}
	got := constRefs(e)
	want := []string{
		"data.dood.byKey", "data.dood.derived", "data.dood.keys", "data.dood.names",
		"data.dood.other.a", "data.dood.restricted=undefined",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constant documents (-want +got):\n%s", diff)
	}
	// And the decision still reads input where it must.
	for path, allow := range map[string]bool{"/a": false, "/c": true} {
		d, err := e.Decide(context.Background(), map[string]any{"path": path})
		if err != nil || d.Allow != allow {
			t.Errorf("path %s: %+v %v, want allow=%v", path, d, err, allow)
		}
	}
}

func TestConstantValuesKeepTheirKind(t *testing.T) {
	const policy = `package dood
decision := {"allow": ok, "violations": []}
ok if {
	is_set(s)
	is_object(o)
	n == 3
	not u
	input.go
}
s contains x if some x in [1, 2]
o[k] := 1 if some k in ["a"]
n := count(s) + count(o)
u if false
`
	got := constNames(t, policy, nil)
	want := []string{"data.dood.n", "data.dood.o", "data.dood.s", "data.dood.u=undefined"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constants (-want +got):\n%s", diff)
	}
	e, _ := New(context.Background(), map[string]string{"p.rego": policy}, nil)
	if d, err := e.Decide(context.Background(), map[string]any{"go": true}); err != nil || !d.Allow {
		t.Errorf("decision from constants: %+v %v", d, err)
	}
}

func TestVolatileBuiltinsAreNotConstant(t *testing.T) {
	got := constNames(t, `package dood
decision := {"allow": true, "violations": []}
a := time.now_ns()
b := rand.intn("x", 10)
c := crypto.x509.parse_and_verify_certificates("")
d := a + 1
`, nil)
	if diff := cmp.Diff([]string{"data.dood.decision"}, got); diff != "" {
		t.Errorf("constants (-want +got):\n%s", diff)
	}
}

func TestConstantsAreNotUsedUnderWith(t *testing.T) {
	e, err := New(context.Background(), map[string]string{"p.rego": `package dood
decision := {"allow": k == {"/x/"}, "violations": []} if { k := keys with data.paths as ["/x"] }
keys := {concat("", [p, "/"]) | some p in data.paths}
`}, map[string]any{"paths": []any{"/a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, known := e.consts.get(ast.MustParseRef("data.dood.keys")); !known {
		t.Fatal("keys is not a constant")
	}
	d, err := e.Decide(context.Background(), map[string]any{})
	if err != nil || !d.Allow {
		t.Errorf("`with data.paths` saw the constant instead of the replaced data: %+v %v", d, err)
	}
}

// goldenInputs are the input documents of the guard's golden requests.
func goldenInputs(t *testing.T) map[string]*input.Document {
	t.Helper()
	files, err := goldenhttp.Files("../guard/testdata")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*input.Document{}
	for _, f := range files {
		ar, err := goldenhttp.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		method, body := ar.RequestMethod, ar.RequestBody
		m, err := route.Parse(method, ar.RequestURI)
		if err != nil {
			continue
		}
		req := normalize.Request{Phase: "request", Method: method, Path: m.Path, Endpoint: m.Endpoint, Params: m.Params, Query: m.Query, APIVersion: "1.41"}
		var b any
		if len(body) > 0 && decode.Has(m.Endpoint) {
			if b, err = decode.Body(m.Endpoint, body); err != nil {
				continue
			}
		}
		in, err := normalize.Input(req, b, normalize.Options{})
		if err != nil {
			continue
		}
		out[filepath.Base(f)] = in
	}
	return out
}

// TestConstantsChangeNoDecision: the embedded policy decides every golden
// input alike with and without the constant table, and with many
// evaluations running at once (go test -race checks the sharing).
func TestConstantsChangeNoDecision(t *testing.T) {
	e := Library(t)
	if e.consts.len() == 0 {
		t.Fatal("the embedded policy has no constant document")
	}
	e.reads = nil // every decision evaluated, none remembered
	plain := *e
	plain.consts = nil
	inputs := goldenInputs(t)
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	want := map[string]string{}
	for name, in := range inputs {
		d, err := plain.Decide(context.Background(), in)
		want[name] = fmt.Sprint(d, err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				for name, in := range inputs {
					d, err := e.Decide(context.Background(), in)
					if got := fmt.Sprint(d, err); got != want[name] {
						select {
						case errs <- fmt.Sprintf("%s: %s, without constants %s", name, got, want[name]):
						default:
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
