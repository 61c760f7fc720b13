package inputdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInputDocIsCurrent fails when docs/input.md no longer matches the
// types of plugin/input and their comments.
func TestInputDocIsCurrent(t *testing.T) {
	want, err := Markdown("..")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "..", "docs", "input.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: generate it with: go run ./policies/cmd/gendocs", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("docs/input.md is stale: regenerate it with `go run ./policies/cmd/gendocs` from the module root (-generated +file):\n%s", diff)
	}
}

// TestEveryFieldHasAMeaning: a field without a doc comment would be a row
// without a meaning.
func TestEveryFieldHasAMeaning(t *testing.T) {
	types, err := parse("..")
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range types {
		if strings.TrimSpace(st.doc) == "" {
			t.Errorf("type %s has no doc comment", name)
		}
		for _, f := range st.st.Fields.List {
			if len(f.Names) > 0 && strings.TrimSpace(f.Doc.Text()) == "" {
				t.Errorf("%s.%s has no doc comment", name, f.Names[0].Name)
			}
		}
	}
}
