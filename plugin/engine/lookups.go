package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// LookupsQuery is the table of the daemon state each endpoint needs
// (policies/dood/lookups.rego): endpoint → the kinds of object the guard
// looks up for it. The rules read the same table, so the guard's lookups
// and the rules that judge them cannot drift apart.
const LookupsQuery = "data.dood.lookups.endpoints"

// Lookups is the policy's state table, read once at load: endpoint → kinds
// (plugin/state.Kinds). Empty when the policy declares none.
func (e *Engine) Lookups() map[string][]string { return e.lookups }

// readLookups evaluates the table; a table of another shape is an error,
// since a guard that misreads it would look up nothing.
func readLookups(ctx context.Context, c *ast.Compiler, store storage.Store) (map[string][]string, error) {
	rs, err := rego.New(rego.Query(LookupsQuery), rego.Compiler(c), rego.Store(store)).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", LookupsQuery, err)
	}
	out := map[string][]string{}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return out, nil
	}
	obj, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is %T, want an object of endpoint: set of lookups", LookupsQuery, rs[0].Expressions[0].Value)
	}
	for endpoint, v := range obj {
		list, ok := v.([]any) // a Rego set reads as a list
		if !ok {
			return nil, fmt.Errorf("%s[%q] is %T, want a set of strings", LookupsQuery, endpoint, v)
		}
		kinds := make([]string, 0, len(list))
		for _, k := range list {
			s, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("%s[%q] holds %T, want strings", LookupsQuery, endpoint, k)
			}
			kinds = append(kinds, s)
		}
		sort.Strings(kinds)
		out[endpoint] = kinds
	}
	return out, nil
}
