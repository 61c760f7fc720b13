package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The decision (policies/dood/decision.rego) reads exactly one document per
// rule package: data.dood.rules.<group>.violation, a set of {"id", "msg",
// "path"} objects. A rule package that defines something else is compiled
// and never read: a package nested one level deeper, a package with no
// violation set, a violation that is a complete rule, a function or an
// object. Each of those would load, pass its own tests, and refuse nothing,
// so CheckRulePackages refuses them at load, naming the file.

// CheckRulePackages checks every module in a package below dood.rules:
// modules maps file names to Rego source.
func CheckRulePackages(modules map[string]string) error {
	type pkg struct {
		files     []string
		violation bool
	}
	pkgs := map[string]*pkg{}
	var errs []error
	for _, name := range sortedKeys(modules) {
		m, err := ast.ParseModuleWithOpts(name, modules[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			continue // the compiler reports it, with the rest
		}
		path := m.Package.Path.String()
		parts := strings.Split(path, ".")
		if len(parts) < 4 || parts[0] != "data" || parts[1] != "dood" || parts[2] != "rules" {
			continue
		}
		shown := strings.TrimPrefix(path, "data.")
		if len(parts) > 4 {
			errs = append(errs, fmt.Errorf("%s: package %s is never evaluated: the decision reads dood.rules.<name>.violation only; use package %s", name, shown, strings.Join(parts[1:4], ".")))
			continue
		}
		p := pkgs[shown]
		if p == nil {
			p = &pkg{}
			pkgs[shown] = p
		}
		p.files = append(p.files, name)
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) == 0 || !ref[0].Equal(ast.VarTerm("violation")) {
				continue
			}
			if why := violationShape(r); why != "" {
				errs = append(errs, fmt.Errorf("%s:%d: package %s: %s; write `violation contains {\"id\": ID, \"msg\": MSG, \"path\": PATH} if { ... }`", name, r.Location.Row, shown, why))
				continue
			}
			p.violation = true
		}
	}
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if p := pkgs[n]; !p.violation {
			errs = append(errs, fmt.Errorf("%s: package %s defines no `violation contains ...` rule: nothing in it is ever evaluated", strings.Join(p.files, ", "), n))
		}
	}
	return errors.Join(errs...)
}

// violationShape says why a rule named violation is not a rule the
// decision reads, or "".
func violationShape(r *ast.Rule) string {
	h := r.Head
	switch {
	case len(h.Args) > 0:
		return "violation is a function"
	case len(h.Ref()) > 1:
		return "the rule defines " + h.Ref().String() + ", inside violation, which the decision reads as a set of objects"
	case h.RuleKind() != ast.MultiValue:
		return "violation is a complete rule (:=), not a set the decision collects"
	}
	// The element: a literal that is not an object, or an object whose
	// keys are not exactly id, msg and path, can never be a violation (a
	// variable is checked when it is produced: DG-ENGINE-001).
	switch v := h.Key.Value.(type) {
	case ast.Object:
		keys := map[string]bool{}
		for _, k := range v.Keys() {
			s, ok := k.Value.(ast.String)
			if !ok {
				return "a violation's keys are strings"
			}
			keys[string(s)] = true
		}
		if len(keys) != 3 || !keys["id"] || !keys["msg"] || !keys["path"] {
			return fmt.Sprintf("a violation has exactly the keys id, msg and path, not %v", v.Keys())
		}
	case ast.Var, ast.Ref, ast.Call:
	default:
		return fmt.Sprintf("a violation is an object, not %s", ast.ValueName(v))
	}
	return ""
}
