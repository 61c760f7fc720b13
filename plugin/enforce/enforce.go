// Package enforce decides which of a request's violations refuse it and
// which are only reported: the guard's enforcement mode (serve
// --enforcement) and the per-rule modes of data.guard.enforcement.
//
// Dry-run is for turning the guard on: a rule in dry-run lets the request
// through and the decision line names it under would_deny, so a platform
// team learns what enforcement would break before it breaks anything.
package enforce

import (
	"fmt"
	"sort"
	"strings"
)

// Mode is how a rule's violations are treated.
type Mode string

const (
	// Enforce refuses the request: the default.
	Enforce Mode = "enforce"
	// DryRun lets the request through and reports the violation.
	DryRun Mode = "dryrun"
)

// Modes are the values a mode takes, in the order the docs list them.
var Modes = []string{string(Enforce), string(DryRun)}

// ParseMode reads a mode; anything else is an error.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Enforce, DryRun:
		return Mode(s), nil
	}
	return "", fmt.Errorf("enforcement mode %q: want %s", s, strings.Join(Modes, " or "))
}

// Policy is the enforcement of one policy load: the guard's mode, and the
// rules whose mode differs from it. The zero value enforces everything.
type Policy struct {
	Default Mode
	Rules   map[string]Mode // rule ID → mode, from data.guard.enforcement
}

// RulesFromData reads data.guard.enforcement (validated at load by
// plugin/policy): rule ID → mode, nil when it names none.
func RulesFromData(data map[string]any) (map[string]Mode, error) {
	g, _ := data["guard"].(map[string]any)
	raw, _ := g["enforcement"].(map[string]any)
	var rules map[string]Mode
	for id, v := range raw {
		s, _ := v.(string)
		m, err := ParseMode(s)
		if err != nil {
			return nil, fmt.Errorf("data.guard.enforcement[%q]: %w", id, err)
		}
		if rules == nil {
			rules = map[string]Mode{}
		}
		rules[id] = m
	}
	return rules, nil
}

// Mode is the mode of one rule.
func (p Policy) Mode(id string) Mode {
	if m, ok := p.Rules[id]; ok {
		return m
	}
	if p.Default == "" {
		return Enforce
	}
	return p.Default
}

// WhollyDryRun says that nothing is enforced: the guard's mode is dry-run
// and no rule is set back to enforce.
func (p Policy) WhollyDryRun() bool {
	if p.Default != DryRun {
		return false
	}
	for _, m := range p.Rules {
		if m == Enforce {
			return false
		}
	}
	return true
}

// DryRunRules lists the rule IDs set to dry-run in the data, sorted.
func (p Policy) DryRunRules() []string {
	var ids []string
	for id, m := range p.Rules {
		if m == DryRun {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Split separates the violations that refuse the request from those only
// reported; id reads a violation's rule ID. Neither slice is allocated when
// it would be empty. (Generic so that plugin/policy, below the engine, can
// use this package.)
func Split[V any](p Policy, vs []V, id func(V) string) (enforced, dryRun []V) {
	if p.Default != DryRun && len(p.Rules) == 0 {
		return vs, nil // the common case: nothing to split
	}
	for _, v := range vs {
		if p.Mode(id(v)) == DryRun {
			dryRun = append(dryRun, v)
		} else {
			enforced = append(enforced, v)
		}
	}
	return enforced, dryRun
}

// Applied is the mode that decided an outcome with n enforced violations
// and d in dry-run: enforce when an enforced rule refused it, dry-run when
// only dry-run rules would have, and the guard's mode when nothing
// objected.
func (p Policy) Applied(n, d int) Mode {
	switch {
	case n > 0:
		return Enforce
	case d > 0:
		return DryRun
	case p.Default == "":
		return Enforce
	}
	return p.Default
}
