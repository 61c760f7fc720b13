package compose

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Keys are found in the last file that has them, items by index, and a
// missing key falls back to its nearest ancestor.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "compose.yaml")
	over := filepath.Join(dir, "compose.override.yaml")
	os.WriteFile(base, []byte("services:\n  ci:\n    image: docker\n    volumes:\n      - a:/a\n      - /var/run/docker.sock:/s\n"), 0o644)
	os.WriteFile(over, []byte("services:\n  ci:\n    privileged: true\n"), 0o644)
	fl, err := readLines([]string{base, over})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		file string
		line int
		key  string
	}{
		{[]string{"services", "ci", "volumes[1]"}, "compose.yaml", 6, "services.ci.volumes[1]"},
		{[]string{"services", "ci", "privileged"}, "compose.override.yaml", 3, "services.ci.privileged"},
		{[]string{"services", "ci", "cap_add[0]"}, "compose.override.yaml", 2, "services.ci"},
		{[]string{"services", "ci", "deploy.resources.reservations.devices"}, "compose.override.yaml", 2, "services.ci"},
	} {
		got := fl.locate(tc.path)
		if filepath.Base(got.File) != tc.file || got.Line != tc.line || got.Key != tc.key {
			t.Errorf("locate(%v) = %+v, want %s:%d %s", tc.path, got, tc.file, tc.line, tc.key)
		}
	}
}

// A compose file from a pull request is hostile input: locating keys in
// any YAML never panics.
func FuzzLocate(f *testing.F) {
	f.Add([]byte("services:\n  a:\n    volumes: [x, y]\n"), "services", "a", "volumes[1]")
	f.Add([]byte("x: &a {b: [1, 2]}\ny: *a\nservices: {<<: *a}\n"), "services", "b", "b[5]")
	f.Add([]byte("- 1\n- [2]\n"), "[0]", "x[99999999999999999999]", "")
	f.Fuzz(func(t *testing.T, doc []byte, a, b, c string) {
		var n yaml.Node
		if yaml.Unmarshal(doc, &n) != nil {
			return
		}
		fl := fileLines{files: []string{"f"}, roots: []*yaml.Node{&n}}
		fl.locate([]string{a, b, c})
	})
}
