package engine_test

import (
	"context"
	"github.com/dood-guard/dood-guard/internal/emptydaemon"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/sirupsen/logrus"
)

// What a decision costs the embedded policy, counted in OPA evaluation
// steps (DecideSteps): deterministic, so a rule written to cost less on
// the common path is checked as behaviour, and a change that makes every
// create dearer fails a test rather than a timing nobody reads.
//
// The input documents are those the guard builds from the golden requests
// of plugin/guard/testdata (route, decode, normalise, state looked up in a
// daemon where nothing the request names exists), so the measure follows
// the pipeline: a fact added to the input is counted as the rules see it.

// stepCases are the golden requests measured, with the most steps the
// embedded policy may take to decide each (TestEvaluationStepsBounded).
// The bounds leave ~20% over what the policy takes today: raise one only
// for a rule that must judge that request, never for a rule that could
// discard it first (docs/policy.md, "What a rule costs").
var stepCases = []struct {
	name, golden string
	maxSteps     int
}{
	{"benign-create", "benign-cli-create", 115},
	{"violating-create", "attack-legacy-top-level-hostconfig", 240},
	{"exec-create", "benign-exec-nonroot", 80},
	{"start", "benign-start-no-body", 100},
	{"inspect", "benign-inspect", 36},
	{"ping", "benign-ping", 34},
}

// pipelineInputs returns the input document the guard hands the policy for
// each golden request of stepCases. It asks the guard itself: a policy
// whose decision is a violation carrying json.marshal(input) captures the
// document, with the embedded library's lookups table, so the state looked
// up is what the real policy gets.
func pipelineInputs(t testing.TB) map[string]ast.Value {
	t.Helper()
	src, err := policy.Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	capture := map[string]string{
		"capture.rego": `package dood
decision := {"allow": false, "violations": [{"id": "CAPTURE", "msg": json.marshal(input), "path": ""}]}`,
	}
	for name, mod := range src.Modules {
		if filepath.Base(name) == "lookups.rego" {
			capture[name] = mod
		}
	}
	if len(capture) != 2 {
		t.Fatal("the embedded policy has no lookups.rego")
	}
	e, err := engine.New(context.Background(), capture, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	g := guard.New(guard.Options{}, log)
	g.SetEngine(e)
	g.SetState(emptydaemon.Daemon{})
	out := map[string]ast.Value{}
	for _, c := range stepCases {
		req, err := goldenhttp.Read(filepath.Join("..", "guard", "testdata", c.golden+".http"))
		if err != nil {
			t.Fatal(err)
		}
		o := g.Decide(context.Background(), req)
		if len(o.Violations) != 1 || o.Violations[0].ID != "CAPTURE" {
			t.Fatalf("%s: the guard did not evaluate the policy: %+v", c.golden, o.Response)
		}
		v, err := ast.ParseTerm(o.Violations[0].Msg)
		if err != nil {
			t.Fatalf("%s: captured input: %v", c.golden, err)
		}
		out[c.name] = v.Value
	}
	return out
}

// TestEvaluationStepsBounded keeps the common requests cheap to decide: a
// benign create (a workspace bind and a named volume, as the docker CLI
// sends it) in particular must not grow back to the 272 steps it took
// before the rules discarded it early (96 since).
func TestEvaluationStepsBounded(t *testing.T) {
	e := engine.Library(t)
	inputs := pipelineInputs(t)
	for _, c := range stepCases {
		t.Run(c.name, func(t *testing.T) {
			d, steps, err := e.DecideSteps(context.Background(), inputs[c.name])
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.HasPrefix(c.golden, "benign-"); d.Allow != want {
				t.Fatalf("%s: allow is %v, want %v (%+v)", c.golden, d.Allow, want, d.Violations)
			}
			t.Logf("%d steps", steps)
			if steps > c.maxSteps {
				t.Errorf("deciding %s took %d evaluation steps, over the bound of %d: a rule no longer discards it early", c.golden, steps, c.maxSteps)
			}
		})
	}
}

// BenchmarkEvaluate measures the evaluation alone (input already
// converted) of the golden requests' input documents, with the steps it
// takes as steps/op.
func BenchmarkEvaluate(b *testing.B) {
	e := engine.Library(b)
	e.WithoutMemory() // every call evaluated, none given from memory
	inputs := pipelineInputs(b)
	ctx := context.Background()
	for _, c := range stepCases {
		b.Run(c.name, func(b *testing.B) {
			_, steps, err := e.DecideSteps(ctx, inputs[c.name])
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.DecideValue(ctx, inputs[c.name]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(steps), "steps/op")
		})
	}
}
