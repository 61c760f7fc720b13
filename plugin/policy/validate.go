package policy

import (
	"errors"
	"fmt"
	"sort"
)

// guardLists are the data.guard lists the embedded rules read. Each must be
// a list of strings: a rule reading a missing or mistyped list matches
// nothing, and would silently allow what the list was meant to refuse.
var guardLists = []string{
	"disabled_rules",
	"allowed_bind_paths",
	"protected_paths",
	"dangerous_capabilities",
	"allowed_local_volume_types",
	"permissive_selinux_types",
	"required_masked_paths",
	"required_readonly_paths",
}

// ValidateData checks the merged data document once, at load, so that no
// request pays for it and a bad --data file stops the guard from starting
// (or leaves the last good policy serving on reload).
func ValidateData(data map[string]any) error {
	g, ok := data["guard"].(map[string]any)
	if !ok {
		return errors.New("data.guard is missing or not an object")
	}
	var errs []error
	for _, key := range guardLists {
		list, ok := g[key].([]any)
		if !ok {
			errs = append(errs, fmt.Errorf("data.guard.%s is missing or not a list", key))
			continue
		}
		for i, v := range list {
			if _, ok := v.(string); !ok {
				errs = append(errs, fmt.Errorf("data.guard.%s[%d] is %T, want a string", key, i, v))
			}
		}
	}
	known := map[string]bool{}
	for _, k := range guardLists {
		known[k] = true
	}
	var unknown []string
	for k := range g {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("data.guard.%s is not a known setting", k))
	}
	return errors.Join(errs...)
}
