package policy

import (
	"errors"
	"fmt"

	"github.com/dood-guard/dood-guard/policies"
	"github.com/open-policy-agent/opa/v1/ast"
)

// FromBundle is the policy an activated OPA bundle holds (docs/fleet.md):
// its modules replace the embedded library (a data-only bundle keeps the
// library) and must define the decision document and pass the rule-package
// checks every load passes; its data is merged over the embedded defaults
// as a --data file is, then validated as every policy load validates it. origin names
// the bundles, for logs. data is not modified.
func FromBundle(modules map[string]string, data map[string]any, origin string) (*Source, error) {
	src := &Source{Modules: modules, Origin: origin}
	if len(modules) == 0 {
		mods, err := policies.Modules()
		if err != nil {
			return nil, fmt.Errorf("embedded policy: %w", err)
		}
		src.Modules = mods
		src.Origin += "+embedded policy"
	}
	if err := definesDecision(src.Modules); err != nil {
		return nil, err
	}
	if err := CheckRulePackages(src.Modules); err != nil {
		return nil, fmt.Errorf("policy %s: %w", src.Origin, err)
	}
	defaults, err := policies.DefaultData()
	if err != nil {
		return nil, fmt.Errorf("embedded data: %w", err)
	}
	src.Data = Merge(defaults, data)
	if err := ValidateData(src.Data); err != nil {
		return nil, fmt.Errorf("bundle data: %w", err)
	}
	return src, nil
}

// decisionRef is the document every policy defines (engine.Query).
var decisionRef = ast.MustParseRef("data.dood.decision")

// definesDecision refuses a bundle none of whose modules defines
// data.dood.decision: it compiles, and would deny every request (an
// undefined decision denies) — a bundle meant for something else, served
// at the wrong path, must not lock every socket caller out.
func definesDecision(modules map[string]string) error {
	for name, src := range modules {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return fmt.Errorf("bundle module: %w", err)
		}
		for _, r := range m.Rules {
			if r.Path().Equal(decisionRef) {
				return nil
			}
		}
	}
	return errors.New("no module of the bundle defines data.dood.decision, the decision document the guard evaluates")
}
