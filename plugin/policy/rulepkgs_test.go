package policy

import (
	"path/filepath"
	"strings"
	"testing"
)

// Rule packages the decision would never read are refused at load, with the
// file named; the shapes it reads load.
func TestRulePackagesThatWouldDoNothing(t *testing.T) {
	const good = `violation contains {"id": "T-1", "msg": "m", "path": ""} if input.x`
	cases := []struct {
		name  string
		files map[string]string
		want  string // "" loads
	}{
		{"a team package", map[string]string{"a.rego": "package dood.rules.team\n" + good}, ""},
		{"violation from a variable", map[string]string{"a.rego": "package dood.rules.team\nviolation contains v if { v := input.v }\n"}, ""},
		{"violation in one file, helpers in another", map[string]string{
			"a.rego": "package dood.rules.team\n" + good,
			"b.rego": "package dood.rules.team\nhelper := 1\n",
		}, ""},
		{"nested below the team package", map[string]string{"a.rego": "package dood.rules.team.sub\n" + good}, "package dood.rules.team.sub is never evaluated"},
		{"no violation set", map[string]string{"a.rego": "package dood.rules.team\ndeny contains \"x\" if input.x\n"}, "package dood.rules.team defines no `violation contains ...` rule"},
		{"violation as a complete rule", map[string]string{"a.rego": "package dood.rules.team\nviolation := {{\"id\": \"T\", \"msg\": \"m\", \"path\": \"\"}}\n"}, "violation is a complete rule"},
		{"violation as a function", map[string]string{"a.rego": "package dood.rules.team\nviolation(x) := x\n"}, "violation is a function"},
		{"violation as an object", map[string]string{"a.rego": "package dood.rules.team\nviolation[\"T\"] := \"m\" if input.x\n"}, "inside violation"},
		{"violation nested in a ref head", map[string]string{"a.rego": "package dood.rules.team\nviolation.deny contains \"x\" if input.x\n"}, "inside violation"},
		{"a string violation", map[string]string{"a.rego": "package dood.rules.team\nviolation contains \"no\" if input.x\n"}, "a violation is an object, not string"},
		{"an object with other keys", map[string]string{"a.rego": "package dood.rules.team\nviolation contains {\"rule\": \"T\", \"msg\": \"m\"} if input.x\n"}, "exactly the keys id, msg and path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tc.files {
				write(t, dir, name, src)
			}
			_, err := LoadOptions(Options{Rules: []string{dir}})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded; want a refusal containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, "a.rego")) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// A replacement policy (--policy) is held to the same shapes.
func TestReplacedPolicyRulePackages(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "d.rego", "package dood\ndecision := {\"allow\": true, \"violations\": []}\n")
	write(t, dir, "r.rego", "package dood.rules.x.y\nviolation contains v if { v := input.v }\n")
	if _, err := LoadOptions(Options{Policies: []string{dir}}); err == nil || !strings.Contains(err.Error(), "dood.rules.x.y is never evaluated") {
		t.Errorf("nested package in a replaced policy: %v", err)
	}
}
