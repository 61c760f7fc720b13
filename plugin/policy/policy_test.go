package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadEmbeddedByDefault(t *testing.T) {
	src, err := Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if src.Origin != "embedded" || len(src.Modules) == 0 {
		t.Fatalf("origin %q with %d modules, want the embedded library", src.Origin, len(src.Modules))
	}
	for name := range src.Modules {
		if strings.HasSuffix(name, "_test.rego") {
			t.Errorf("test module %s is served", name)
		}
	}
}

func TestLoadDirectorySkipsTests(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.rego", "package dood\n")
	write(t, dir, "sub/b.rego", "package dood.rules.b\nviolation contains v if { v := input.x }\n")
	write(t, dir, "a_test.rego", "package dood_test\n")
	write(t, dir, "notes.txt", "x")
	src, err := Load([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for name := range src.Modules {
		got = append(got, filepath.Base(name))
	}
	if diff := cmp.Diff([]string{"a.rego", "b.rego"}, sorted(got)); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	badYAML := write(t, dir, "bad.yaml", "guard: [unclosed")
	notObject := write(t, dir, "list.json", "[1,2]")
	badList := write(t, dir, "badlist.yaml", "guard:\n  protected_paths: /etc\n")
	badItem := write(t, dir, "baditem.json", `{"guard":{"dangerous_capabilities":["CAP_SYS_ADMIN",7]}}`)
	typo := write(t, dir, "typo.yaml", "guard:\n  alowed_bind_paths: [/srv]\n")
	cases := []struct {
		name     string
		paths    []string
		data     string
		wantErrs string
	}{
		{"missing policy path", []string{filepath.Join(dir, "nope")}, "", "no such file"},
		{"directory without rego", []string{empty}, "", "no .rego files"},
		{"unparsable data", nil, badYAML, "parse data"},
		{"data not an object", nil, notObject, "parse data"},
		{"list replaced by a string", nil, badList, "data.guard.protected_paths is missing or not a list"},
		{"non-string in a list", nil, badItem, "data.guard.dangerous_capabilities[1] is float64"},
		{"misspelt setting", nil, typo, "data.guard.alowed_bind_paths is not a known setting"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.paths, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantErrs) {
				t.Fatalf("Load error = %v, want one containing %q", err, tc.wantErrs)
			}
		})
	}
}

func TestDataFileMergesOverDefaults(t *testing.T) {
	p := write(t, t.TempDir(), "data.yaml", "guard:\n  allowed_bind_paths: [/srv/ci]\n")
	src, err := Load(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	g := src.Data["guard"].(map[string]any)
	if diff := cmp.Diff([]any{"/srv/ci"}, g["allowed_bind_paths"]); diff != "" {
		t.Errorf("allowed_bind_paths (-want +got):\n%s", diff)
	}
	if l, _ := g["protected_paths"].([]any); len(l) == 0 {
		t.Error("defaults lost: protected_paths is empty after merging")
	}
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}
