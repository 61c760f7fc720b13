// Package policy loads the Rego modules and data a guard evaluates: the
// embedded library by default, or files and directories given by the admin.
package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/policies"
	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"
)

// Source is a loaded policy: modules by name and the merged data document.
type Source struct {
	Modules map[string]string
	Data    map[string]any
	// Origin says where the modules came from, for logs.
	Origin string
}

// Options say what to load.
type Options struct {
	// Policies are .rego files or directories that replace the embedded
	// library; none means the embedded library.
	Policies []string
	// Rules are directories of a team's own rule packages, added beside the
	// policy (package dood.rules.<name>, a package of its own).
	Rules []string
	// Data is a JSON or YAML file merged over the embedded default data.
	Data string
	// Profile, when set, overrides data.guard.profile.
	Profile string
	// ConfigDir is a directory of optional parts (configdir.go): policies/,
	// rules/ and data.yaml (or .yml, .json). Each part that exists is
	// loaded; a directory that does not exist loads nothing.
	ConfigDir string
}

// Load reads the modules at paths (.rego files, or directories searched
// recursively; *_test.rego files are skipped), or the embedded library when
// paths is empty, and merges the data file at dataPath (JSON or YAML) over
// the embedded default data.
func Load(paths []string, dataPath string) (*Source, error) {
	return LoadOptions(Options{Policies: paths, Data: dataPath})
}

// LoadOptions loads a policy as Options say: the policy (embedded or
// replaced), a team's rule directories beside it, and the data document
// (defaults, the data file, then the profile), validated.
func LoadOptions(o Options) (*Source, error) {
	o, err := withConfigDir(o)
	if err != nil {
		return nil, err
	}
	src := &Source{Modules: map[string]string{}, Origin: "embedded"}
	if len(o.Policies) == 0 {
		mods, err := policies.Modules()
		if err != nil {
			return nil, fmt.Errorf("embedded policy: %w", err)
		}
		src.Modules = mods
	} else {
		src.Origin = strings.Join(o.Policies, ",")
		for _, p := range o.Policies {
			if err := readModules(p, src.Modules); err != nil {
				return nil, err
			}
		}
		if len(src.Modules) == 0 {
			return nil, fmt.Errorf("no .rego files in %s", src.Origin)
		}
	}
	if len(o.Rules) > 0 {
		rules, _, err := LoadRules(o.Rules, src.Modules)
		if err != nil {
			return nil, err
		}
		for name, m := range rules {
			src.Modules[name] = m
		}
		src.Origin += "+rules:" + strings.Join(o.Rules, ",")
	}
	if err := CheckRulePackages(src.Modules); err != nil {
		return nil, fmt.Errorf("policy %s: %w", src.Origin, err)
	}
	data, err := LoadData(o.Data, o.Profile)
	if err != nil {
		return nil, err
	}
	src.Data = data
	return src, nil
}

// LoadData builds the data document: the embedded defaults, the data file
// merged over them, then the profile (when not empty) over both; validated.
func LoadData(dataPath, profile string) (map[string]any, error) {
	data, err := policies.DefaultData()
	if err != nil {
		return nil, fmt.Errorf("embedded data: %w", err)
	}
	if dataPath != "" {
		extra, err := readData(dataPath)
		if err != nil {
			return nil, err
		}
		data = Merge(data, extra)
	}
	if profile != "" {
		data = Merge(data, map[string]any{"guard": map[string]any{"profile": profile}})
	}
	if err := ValidateData(data); err != nil {
		return nil, fmt.Errorf("policy data: %w", err)
	}
	return data, nil
}

// LoadRules reads a team's rule directories: every .rego module below them
// (tests apart), and every *_test.rego, by file path. Each module must be
// in a package data.dood.rules.<name>[.…] that none of the base modules
// use: a team's rules add violations, and cannot redefine (or widen) a
// library helper by sharing its package.
func LoadRules(dirs []string, base map[string]string) (modules, tests map[string]string, err error) {
	modules, tests = map[string]string{}, map[string]string{}
	for _, dir := range dirs {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("rules: %w", err)
		}
		if !info.IsDir() {
			return nil, nil, fmt.Errorf("rules: %s is not a directory", dir)
		}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("rules: %w", err)
			}
			if skip, err := hidden(dir, p, d); skip {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".rego") {
				return nil
			}
			if strings.HasSuffix(p, "_test.rego") {
				return readModule(p, tests)
			}
			return readModule(p, modules)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if len(modules) == 0 && len(tests) == 0 {
		return nil, nil, fmt.Errorf("rules: no .rego files in %s", strings.Join(dirs, ", "))
	}
	reserved, err := packages(base)
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for _, name := range sortedKeys(modules) {
		pkg, err := packageOf(name, modules[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parts := strings.Split(pkg, ".")
		switch {
		case len(parts) < 4 || parts[0] != "data" || parts[1] != "dood" || parts[2] != "rules":
			errs = append(errs, fmt.Errorf("rules: %s: package %s: a team's rules go in package dood.rules.<name>", name, strings.TrimPrefix(pkg, "data.")))
		case reserved[strings.Join(parts[:4], ".")]:
			errs = append(errs, fmt.Errorf("rules: %s: package %s belongs to the policy; put a team's rules in a package of their own (dood.rules.<team>)", name, strings.TrimPrefix(pkg, "data.")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if err := CheckRulePackages(modules); err != nil {
		return nil, nil, fmt.Errorf("rules: %w", err)
	}
	return modules, tests, nil
}

// packages lists the dood.rules.<name> packages the base modules define.
func packages(mods map[string]string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, name := range sortedKeys(mods) {
		pkg, err := packageOf(name, mods[name])
		if err != nil {
			return nil, err
		}
		parts := strings.Split(pkg, ".")
		if len(parts) >= 4 && parts[1] == "dood" && parts[2] == "rules" {
			out[strings.Join(parts[:4], ".")] = true
		}
	}
	return out, nil
}

func packageOf(name, src string) (string, error) {
	m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return "", fmt.Errorf("rules: %w", err)
	}
	return m.Package.Path.String(), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readModules(root string, into map[string]string) error {
	info, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("policy path: %w", err)
	}
	if !info.IsDir() {
		return readModule(root, into)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("policy path: %w", err)
		}
		if skip, err := hidden(root, p, d); skip {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		return readModule(p, into)
	})
}

func readModule(p string, into map[string]string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("read policy: %w", err)
	}
	into[p] = string(b)
	return nil
}

func readData(p string) (map[string]any, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	var m map[string]any
	// YAML is a superset of JSON; yaml.Unmarshal converts through JSON so the
	// values are the same plain types either way.
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse data %s: %w", p, err)
	}
	if m == nil {
		return nil, fmt.Errorf("parse data %s: not an object", p)
	}
	return m, nil
}

// Merge returns base with over merged in: objects merge key by key, any
// other value in over replaces the one in base.
func Merge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	keys := make([]string, 0, len(over))
	for k := range over {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		bo, bok := out[k].(map[string]any)
		oo, ook := over[k].(map[string]any)
		if bok && ook {
			out[k] = Merge(bo, oo)
			continue
		}
		out[k] = over[k]
	}
	return out
}

// hidden skips the entries below a policy or rules directory whose names
// begin with a dot: editors' lock and backup files (Emacs's .#x.rego is a
// dangling symlink) and the timestamped copies behind a Kubernetes
// ConfigMap's ..data symlink, which would load every module twice.
func hidden(root, p string, d fs.DirEntry) (bool, error) {
	if p == root || !strings.HasPrefix(d.Name(), ".") {
		return false, nil
	}
	if d.IsDir() {
		return true, filepath.SkipDir
	}
	return true, nil
}
