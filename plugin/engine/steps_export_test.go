package engine

import (
	"context"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/policy"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// DecideSteps is DecideValue with OPA's evaluation steps counted: how many
// expressions topdown evaluated (trace events of op Eval), rule bodies and
// function calls included. The count is a deterministic measure of what a
// decision costs, unlike its time on a shared machine. (Test-only: the
// tracer is never on in the guard.)
func (e *Engine) DecideSteps(ctx context.Context, input ast.Value) (Decision, int, error) {
	var steps stepCounter
	vc := &constCache{VirtualCache: topdown.NewVirtualCache(), consts: e.consts}
	rs, err := e.pq.Eval(ctx, rego.EvalParsedInput(input), rego.EvalVirtualCache(vc), rego.EvalQueryTracer(&steps))
	if err != nil {
		return Decision{}, 0, err
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return Decision{}, int(steps), ErrUndefined
	}
	d, err := parseDecision(rs[0].Expressions[0].Value)
	return d, int(steps), err
}

// stepCounter is a topdown.QueryTracer counting evaluation steps.
type stepCounter int

func (c *stepCounter) Enabled() bool               { return true }
func (c *stepCounter) Config() topdown.TraceConfig { return topdown.TraceConfig{} }
func (c *stepCounter) TraceEvent(ev topdown.Event) {
	if ev.Op == topdown.EvalOp {
		*c++
	}
}

// WithoutMemory makes every decision an evaluation: nothing is given from
// the decisions remembered by what the policy reads (remember.go).
func (e *Engine) WithoutMemory() { e.reads = nil }

// Library is an engine serving the embedded policy and data (for the
// tests of both this package and engine_test).
func Library(t testing.TB) *Engine {
	t.Helper()
	src, err := policy.Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), src.Modules, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
