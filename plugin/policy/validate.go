package policy

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/route"
)

// kind is what a data.guard setting must hold. Every setting is checked
// once, at load: a rule reading a missing or mistyped setting matches
// nothing, and would silently allow what the setting was meant to refuse.
type kind int

const (
	anyStrings    kind = iota // a list of strings
	nonEmpty                  // a list of non-empty strings
	cleanPaths                // a list of clean absolute paths
	capNames                  // a list of capability names as the daemon normalises them
	endpointNames             // a list of endpoint names or "group.*" wildcards
	namespaces                // a list of namespaces a container may join
	profileName               // one of Profiles
	digests                   // a list of "sha256:<64 hex>"
	ruleModes                 // an object of rule ID → enforcement mode
)

// Setting is one data.guard key.
type Setting struct {
	Name string
	kind kind
}

// Type describes the value a setting holds, for documentation.
func (s Setting) Type() string {
	switch s.kind {
	case nonEmpty:
		return "list of non-empty strings"
	case cleanPaths:
		return "list of clean absolute paths"
	case capNames:
		return "list of capabilities (CAP_X or ALL)"
	case endpointNames:
		return "list of endpoint names or group.* wildcards"
	case namespaces:
		return "list of pid, ipc, network"
	case profileName:
		return `"` + strings.Join(Profiles, `" or "`) + `"`
	case digests:
		return "list of sha256:<hex> digests"
	case ruleModes:
		return `object of rule ID → "` + strings.Join(enforce.Modes, `" or "`) + `"`
	}
	return "list of strings"
}

// Profiles are the values data.guard.profile takes.
var Profiles = config.Profiles

// Settings are the data.guard keys the embedded library reads, in the order
// docs/data.example.yaml documents them.
var Settings = []Setting{
	{"profile", profileName},
	{"disabled_rules", anyStrings},
	{"enforcement", ruleModes},
	{"exempt_users", nonEmpty},
	{"denied_endpoints", endpointNames},
	{"allowed_bind_paths", cleanPaths},
	{"protected_paths", cleanPaths},
	{"extra_protected_paths", cleanPaths},
	{"allowed_sockets", cleanPaths},
	{"dangerous_capabilities", capNames},
	{"allowed_capabilities", capNames},
	{"allowed_local_volume_types", anyStrings},
	{"permissive_selinux_types", anyStrings},
	{"required_masked_paths", cleanPaths},
	{"required_readonly_paths", cleanPaths},
	{"allowed_runtimes", nonEmpty},
	{"allowed_seccomp_profiles", digests},
	{"allowed_namespace_joins", namespaces},
	{"allowed_images", nonEmpty},
	{"allowed_plugins", nonEmpty},
	{"allowed_swarm_managers", nonEmpty},
	{"self_names", nonEmpty},
}

var canonicalCap = regexp.MustCompile(`^(ALL|CAP_[A-Z0-9_]+)$`)

var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ValidateData checks the merged data document once, at load, so that no
// request pays for it and a bad --data file stops the guard from starting
// (or leaves the last good policy serving on reload).
func ValidateData(data map[string]any) error {
	g, ok := data["guard"].(map[string]any)
	if !ok {
		return errors.New("data.guard is missing or not an object")
	}
	var errs []error
	known := map[string]bool{}
	for _, s := range Settings {
		known[s.Name] = true
		errs = append(errs, s.check(g[s.Name]))
	}
	if l, ok := g["self_names"].([]any); ok && len(l) == 0 {
		errs = append(errs, errors.New("data.guard.self_names is empty: name the plugin the guard runs as, or it can be disabled by any socket holder"))
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

func (s Setting) check(v any) error {
	if s.kind == profileName {
		p, ok := v.(string)
		if !ok || !oneOf(p, Profiles) {
			return fmt.Errorf("data.guard.profile is %v, want %s", show(v), s.Type())
		}
		return nil
	}
	if s.kind == ruleModes {
		return checkRuleModes(v)
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("data.guard.%s is missing or not a list", s.Name)
	}
	var errs []error
	for i, e := range list {
		str, ok := e.(string)
		if !ok {
			errs = append(errs, fmt.Errorf("data.guard.%s[%d] is %T, want a string", s.Name, i, e))
			continue
		}
		if why := s.refuse(str); why != "" {
			errs = append(errs, fmt.Errorf("data.guard.%s[%d] %q: %s", s.Name, i, str, why))
		}
	}
	return errors.Join(errs...)
}

// refuse says why an entry is not valid for the setting, or "".
func (s Setting) refuse(v string) string {
	switch s.kind {
	case anyStrings:
		return ""
	case cleanPaths:
		if !path.IsAbs(v) || path.Clean(v) != v {
			return "want a clean absolute path (" + path.Clean("/"+v) + ")"
		}
	case capNames:
		if !canonicalCap.MatchString(v) {
			want := strings.ToUpper(v)
			if want != "ALL" && !strings.HasPrefix(want, "CAP_") {
				want = "CAP_" + want
			}
			return "write capabilities as the daemon normalises them (" + want + ")"
		}
	case endpointNames:
		if !knownEndpoint(v) {
			return "not an endpoint name (such as plugin.create) or group wildcard (such as plugin.*)"
		}
	case namespaces:
		if !oneOf(v, []string{"pid", "ipc", "network"}) {
			return "want pid, ipc or network"
		}
	case digests:
		if !sha256Digest.MatchString(v) {
			return "want sha256: and 64 lower-case hex digits (the digest a DG-SEC-001 denial names)"
		}
	}
	if v == "" {
		return "must not be empty"
	}
	return ""
}

// knownEndpoint accepts a route's endpoint name, or a wildcard "a.*" or
// "a.b.*" covering at least one.
func knownEndpoint(v string) bool {
	prefix, wild := strings.CutSuffix(v, ".*")
	for _, r := range route.Routes() {
		if r.Endpoint == v || (wild && prefix != "" && strings.HasPrefix(r.Endpoint, prefix+".")) {
			return true
		}
	}
	return false
}

func oneOf(v string, list []string) bool {
	for _, s := range list {
		if v == s {
			return true
		}
	}
	return false
}

func show(v any) string {
	if v == nil {
		return "missing"
	}
	return fmt.Sprintf("%#v", v)
}

// checkRuleModes checks data.guard.enforcement: every key a rule ID, every
// value a mode. A rule ID no loaded rule declares is not an error (a
// team's rules need not declare theirs) but a warning (RuleIDWarnings):
// such a typo leaves the rule enforced, the safe way round.
func checkRuleModes(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("data.guard.enforcement is %s, want %s", show(v), Setting{kind: ruleModes}.Type())
	}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(m)) {
		if !ruleID.MatchString(id) {
			errs = append(errs, fmt.Errorf("data.guard.enforcement: %q is not a rule ID (such as DG-MNT-001)", id))
		}
		s, ok := m[id].(string)
		if !ok {
			errs = append(errs, fmt.Errorf("data.guard.enforcement[%q] is %s, want %q or %q", id, show(m[id]), enforce.Enforce, enforce.DryRun))
			continue
		}
		if _, err := enforce.ParseMode(s); err != nil {
			errs = append(errs, fmt.Errorf("data.guard.enforcement[%q]: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// ruleID is the shape of a rule ID: letters, digits and dashes, as the
// library's DG-XXX-NNN and a team's TEAM-001.
var ruleID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
