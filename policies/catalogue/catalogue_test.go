package catalogue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/policies"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestRulesDocIsCurrent fails when docs/rules.md no longer matches the
// rules' METADATA.
func TestRulesDocIsCurrent(t *testing.T) {
	want, err := Markdown()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: generate it with: go run ./policies/cmd/gendocs", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("docs/rules.md is stale: regenerate it with `go run ./policies/cmd/gendocs` from the module root (-generated +file):\n%s", diff)
	}
}

func TestEveryRuleIsDocumented(t *testing.T) {
	rules, err := Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 30 {
		t.Fatalf("%d rules", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("%s twice", r.ID)
		}
		seen[r.ID] = true
		for field, v := range map[string]string{"title": r.Title, "description": r.Description, "why": r.Why, "allow_by": r.AllowBy, "endpoints": r.Endpoints} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s (%s): no %s", r.ID, r.File, field)
			}
		}
		if r.Profile != "" && r.Profile != "restricted" {
			t.Errorf("%s: profile %q, want empty or restricted", r.ID, r.Profile)
		}
	}
}

// TestDataExample loads docs/data.example.yaml with the guard's loader: it
// must set every setting, validly, and repeat the defaults it says it
// repeats.
func TestDataExample(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "data.example.yaml")
	src, err := policy.LoadOptions(policy.Options{Data: path})
	if err != nil {
		t.Fatalf("the loader refuses %s: %v", path, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Guard map[string]any `json:"guard"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	defaults, err := policies.DefaultData()
	if err != nil {
		t.Fatal(err)
	}
	def := defaults["guard"].(map[string]any)
	for _, s := range policy.Settings {
		v, ok := file.Guard[s.Name]
		if !ok {
			t.Errorf("%s does not document data.guard.%s", path, s.Name)
			continue
		}
		// Lists documented as "default" must be the defaults.
		i := strings.Index(string(raw), "\n  "+s.Name+":")
		j := strings.LastIndex(string(raw[:max(i, 0)]), "\n\n")
		if i > 0 && j >= 0 && strings.Contains(string(raw[j:i]), "# default:") {
			if diff := cmp.Diff(def[s.Name], v); diff != "" {
				t.Errorf("%s: %s is marked default but differs (-default +file):\n%s", path, s.Name, diff)
			}
		}
	}
	if len(file.Guard) != len(policy.Settings) {
		t.Errorf("%s has %d settings, the loader knows %d", path, len(file.Guard), len(policy.Settings))
	}
	if got := src.Data["guard"].(map[string]any)["profile"]; got != "baseline" {
		t.Errorf("profile %v", got)
	}
}
