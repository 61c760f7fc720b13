// Package policies embeds dood-guard's default Rego policy, its tests and its
// default data document.
package policies

import (
	"embed"
	"encoding/json"
	"io/fs"
	"strings"
)

//go:embed data.json dood
var files embed.FS

// Modules returns the policy modules (file name to source), without tests.
func Modules() (map[string]string, error) { return modules(false) }

// TestModules returns the Rego test modules (*_test.rego).
func TestModules() (map[string]string, error) { return modules(true) }

func modules(tests bool) (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(files, "dood", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		if strings.HasSuffix(p, "_test.rego") != tests {
			return nil
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = string(b)
		return nil
	})
	return out, err
}

// DefaultData returns a fresh copy of the default data document (data.json).
func DefaultData() (map[string]any, error) {
	b, err := files.ReadFile("data.json")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

//go:generate go run ./cmd/gendocs -o ../docs/rules.md
