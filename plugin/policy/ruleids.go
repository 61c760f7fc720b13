package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// DeclaredRuleIDs are the rule IDs a policy declares: the custom.id of
// every rule's METADATA in its modules, and extra (the pipeline's own,
// verdict.PipelineIDs: this package sits below verdict).
func DeclaredRuleIDs(modules map[string]string, extra []string) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, id := range extra {
		ids[id] = true
	}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		mod, err := ast.ParseModuleWithOpts(name, modules[name], ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			return nil, fmt.Errorf("read rule IDs: %w", err)
		}
		for _, r := range mod.Rules {
			for _, a := range r.Annotations {
				if id, ok := a.Custom["id"].(string); ok && id != "" {
					ids[strings.TrimSpace(id)] = true
				}
			}
		}
	}
	return ids, nil
}

// RuleIDWarnings says which rule IDs data.guard.enforcement names that no
// loaded rule declares. They are warnings, not errors: a team's rules may
// not declare their IDs in METADATA, and a mistyped ID leaves its rule
// enforced rather than opening anything.
func RuleIDWarnings(src *Source, extra []string) []string {
	g, _ := src.Data["guard"].(map[string]any)
	modes, _ := g["enforcement"].(map[string]any)
	if len(modes) == 0 {
		return nil
	}
	known, err := DeclaredRuleIDs(src.Modules, extra)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(modes)) {
		if !known[id] {
			out = append(out, fmt.Sprintf("data.guard.enforcement names %s, which no loaded rule declares (METADATA custom.id); if it is a typo, that rule stays enforced", id))
		}
	}
	return out
}
