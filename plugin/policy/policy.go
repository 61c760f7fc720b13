// Package policy loads the Rego modules and data a guard evaluates: the
// embedded library by default, or files and directories given by the admin.
package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/policies"
	"sigs.k8s.io/yaml"
)

// Source is a loaded policy: modules by name and the merged data document.
type Source struct {
	Modules map[string]string
	Data    map[string]any
	// Origin says where the modules came from, for logs.
	Origin string
}

// Load reads the modules at paths (.rego files, or directories searched
// recursively; *_test.rego files are skipped), or the embedded library when
// paths is empty, and merges the data file at dataPath (JSON or YAML) over
// the embedded default data.
func Load(paths []string, dataPath string) (*Source, error) {
	src := &Source{Modules: map[string]string{}, Origin: "embedded"}
	if len(paths) == 0 {
		mods, err := policies.Modules()
		if err != nil {
			return nil, fmt.Errorf("embedded policy: %w", err)
		}
		src.Modules = mods
	} else {
		src.Origin = strings.Join(paths, ",")
		for _, p := range paths {
			if err := readModules(p, src.Modules); err != nil {
				return nil, err
			}
		}
		if len(src.Modules) == 0 {
			return nil, fmt.Errorf("no .rego files in %s", src.Origin)
		}
	}
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
	if err := ValidateData(data); err != nil {
		return nil, fmt.Errorf("policy data: %w", err)
	}
	src.Data = data
	return src, nil
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
