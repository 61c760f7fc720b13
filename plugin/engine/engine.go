// Package engine evaluates the decision document of a compiled Rego policy.
// The query is prepared once per policy load, and the rules that do not
// depend on the input are computed then too (consts.go); a request only
// pays for converting its input and evaluating the rest.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/memo"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Query is the decision document every policy must define.
const Query = "data.dood.decision"

// Violation is one reason a policy refuses a request.
type Violation struct {
	ID   string `json:"id"`
	Msg  string `json:"msg"`
	Path string `json:"path"`
}

// Decision is the policy's answer for one request.
type Decision struct {
	Allow      bool
	Violations []Violation
	// Remembered says the decision was given from memory: an earlier input
	// had the same values wherever the policy reads (remember.go).
	Remembered bool
}

// neverCancelled is the cancellation handle of evaluations whose context
// cannot be cancelled; nothing ever cancels it.
var neverCancelled = topdown.NewCancel()

// ErrUndefined means the policy does not define the decision document.
var ErrUndefined = errors.New("policy does not define " + Query)

// Engine holds one prepared policy. It is safe for concurrent use.
type Engine struct {
	pq            rego.PreparedEvalQuery
	deterministic bool        // the same input always yields the same decision
	consts        *constTable // values of the rules that do not depend on input
	compiler      *ast.Compiler
	lookups       map[string][]string // data.dood.lookups.endpoints
	// reads and decisions: what the policy reads of the input per endpoint,
	// and the decisions remembered by it; nil unless deterministic.
	reads     *inputReads
	decisions *memo.Table[Decision]
}

// New compiles modules (file name → Rego source, Rego v1) against data and
// prepares the decision query.
func New(ctx context.Context, modules map[string]string, data map[string]any) (*Engine, error) {
	if len(modules) == 0 {
		return nil, errors.New("no policy modules")
	}
	if data == nil {
		data = map[string]any{}
	}
	// The store hands out the data as OPA values, converted once here, not
	// on every read of every evaluation. (rego.StoreReadAST only applies to a
	// store rego creates itself.) Writes are round-tripped through JSON, so
	// the data is plain JSON whatever Go types the loader produced.
	store := inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(true), inmem.OptReturnASTValuesOnRead(true))
	var compiler *ast.Compiler
	opts := []func(*rego.Rego){
		rego.Query(Query),
		rego.Store(store),
		rego.SetRegoVersion(ast.RegoV1),
		rego.CompilerHook(func(c *ast.Compiler) { compiler = c }),
	}
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		opts = append(opts, rego.Module(name, modules[name]))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile policy: %w", err)
	}
	e := &Engine{pq: pq, consts: computeConstants(ctx, compiler, store), compiler: compiler}
	det, err := deterministic(modules)
	if err != nil {
		return nil, fmt.Errorf("compile policy: %w", err)
	}
	e.deterministic = det
	if det {
		e.reads = analyseReads(ctx, compiler, store, ast.MustParseRef(Query))
		e.decisions = memo.New[Decision](decisionMemoSize)
	}
	if e.lookups, err = readLookups(ctx, compiler, store); err != nil {
		return nil, fmt.Errorf("compile policy: %w", err)
	}
	return e, nil
}

// Deterministic reports whether the policy calls no non-deterministic
// built-in (time, randomness, network): only then may a caller remember a
// decision and give it again for the same input.
func (e *Engine) Deterministic() bool { return e.deterministic }

// Decide evaluates the decision for one input document: an
// *input.Document, or plain JSON values (maps, slices, strings, bools,
// json.Number). input.Value converts it, the one conversion to OPA values;
// OPA values already built (normalize hands the body over as one) pass
// through untouched.
func (e *Engine) Decide(ctx context.Context, doc any) (Decision, error) {
	v, err := input.Value(doc)
	if err != nil {
		return Decision{}, fmt.Errorf("convert input: %w", err)
	}
	return e.DecideValue(ctx, v)
}

// DecideValue is Decide for an input document already converted. A
// deterministic policy's decision is remembered by what the policy reads
// of the input, and given again for an input equal there (remember.go).
func (e *Engine) DecideValue(ctx context.Context, input ast.Value) (Decision, error) {
	if e.reads == nil {
		return e.evaluate(ctx, input)
	}
	key, ok := e.reads.readKey(input)
	if !ok {
		return e.evaluate(ctx, input)
	}
	if d, hit := e.decisions.Get(key); hit {
		d.Violations = slices.Clone(d.Violations)
		d.Remembered = true
		return d, nil
	}
	d, err := e.evaluate(ctx, input)
	if err == nil {
		e.decisions.Put(key, Decision{Allow: d.Allow, Violations: slices.Clone(d.Violations)})
	}
	return d, err
}

// evaluate asks OPA.
func (e *Engine) evaluate(ctx context.Context, input ast.Value) (Decision, error) {
	vc := &constCache{VirtualCache: topdown.NewVirtualCache(), consts: e.consts}
	opts := []rego.EvalOption{rego.EvalParsedInput(input), rego.EvalVirtualCache(vc)}
	if ctx.Done() == nil {
		// Nothing can cancel this evaluation: spare OPA the goroutine it
		// starts per evaluation to watch the context.
		opts = append(opts, rego.EvalExternalCancel(neverCancelled))
	}
	rs, err := e.pq.Eval(ctx, opts...)
	if err != nil {
		return Decision{}, fmt.Errorf("evaluate %s: %w", Query, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return Decision{}, ErrUndefined
	}
	return parseDecision(rs[0].Expressions[0].Value)
}

// parseDecision reads the decision strictly: anything not of the documented
// shape is an error, and an error denies.
func parseDecision(v any) (Decision, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Decision{}, fmt.Errorf("%s is %T, want an object", Query, v)
	}
	allow, ok := m["allow"].(bool)
	if !ok {
		return Decision{}, fmt.Errorf("%s.allow is %T, want a boolean", Query, m["allow"])
	}
	var d Decision
	raw, _ := m["violations"].([]any)
	if m["violations"] != nil && raw == nil {
		return Decision{}, fmt.Errorf("%s.violations is %T, want an array", Query, m["violations"])
	}
	for i, r := range raw {
		o, ok := r.(map[string]any)
		if !ok {
			return Decision{}, fmt.Errorf("%s.violations[%d] is %T, want an object", Query, i, r)
		}
		id, _ := o["id"].(string)
		msg, _ := o["msg"].(string)
		p, _ := o["path"].(string)
		if id == "" || msg == "" {
			return Decision{}, fmt.Errorf("%s.violations[%d] lacks an id or msg", Query, i)
		}
		d.Violations = append(d.Violations, Violation{ID: id, Msg: msg, Path: p})
	}
	// A violation always denies, whatever allow says.
	d.Allow = allow && len(d.Violations) == 0
	return d, nil
}
