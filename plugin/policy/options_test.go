package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

const teamRule = `package dood.rules.acme

# METADATA
# title: No latest
# custom:
#   id: ACME-IMG-001
violation contains {"id": "ACME-IMG-001", "msg": "pin the image", "path": "Image"} if {
	input.endpoint == "container.create"
	endswith(input.body.Image, ":latest")
}
`

func decide(t *testing.T, src *Source, input map[string]any) map[string]any {
	t.Helper()
	opts := []func(*rego.Rego){rego.Query("data.dood.decision"), rego.Input(input)}
	for name, m := range src.Modules {
		opts = append(opts, rego.Module(name, m))
	}
	opts = append(opts, rego.Store(inmem.NewFromObject(src.Data)))
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("eval: %v %v", rs, err)
	}
	return rs[0].Expressions[0].Value.(map[string]any)
}

func TestRulesDirAddsToTheLibrary(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "acme.rego", teamRule)
	write(t, dir, "acme_test.rego", "package dood.rules.acme_test\n")
	src, err := LoadOptions(Options{Rules: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src.Origin, "embedded+rules:") {
		t.Errorf("origin %q", src.Origin)
	}
	var team, library int
	for name := range src.Modules {
		switch {
		case strings.HasSuffix(name, "_test.rego"):
			t.Errorf("test module %s is served", name)
		case strings.HasPrefix(name, dir):
			team++
		default:
			library++
		}
	}
	if team != 1 || library < 10 {
		t.Fatalf("%d team and %d library modules", team, library)
	}
	d := decide(t, src, map[string]any{"endpoint": "container.create", "body": map[string]any{"Image": "x:latest"},
		"facts": map[string]any{"privileged": map[string]any{"value": true, "path": "HostConfig.Privileged"}}})
	var ids []string
	for _, v := range d["violations"].([]any) {
		ids = append(ids, v.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, ",") != "ACME-IMG-001,DG-PRIV-001" {
		t.Errorf("violations %v, want the team's rule beside the library's", ids)
	}
}

func TestRulesDirPackagesAreTheTeams(t *testing.T) {
	cases := map[string]string{
		"package dood\n":                                     "a team's rules go in package dood.rules.<name>",
		"package dood.lib\n":                                 "a team's rules go in package dood.rules.<name>",
		"package dood.rules\n":                               "a team's rules go in package dood.rules.<name>",
		"package acme.rules\n":                               "a team's rules go in package dood.rules.<name>",
		"package dood.rules.mounts\nallowed_bind(_)\n":       "package dood.rules.mounts belongs to the policy",
		"package dood.rules.mounts.extra\n":                  "package dood.rules.mounts.extra belongs to the policy",
		"package dood.rules.acme\nviolation contains 1 if {": "rules:",
	}
	for src, want := range cases {
		dir := t.TempDir()
		write(t, dir, "x.rego", src)
		_, err := LoadOptions(Options{Rules: []string{dir}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
	if _, err := LoadOptions(Options{Rules: []string{t.TempDir()}}); err == nil || !strings.Contains(err.Error(), "no .rego files") {
		t.Errorf("empty rules dir: %v", err)
	}
	file := write(t, t.TempDir(), "f.rego", teamRule)
	if _, err := LoadOptions(Options{Rules: []string{file}}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("rules file: %v", err)
	}
}

func TestRulesBesideAReplacedPolicy(t *testing.T) {
	pol := t.TempDir()
	write(t, pol, "p.rego", "package dood\ndecision := {\"allow\": true, \"violations\": []}\n")
	write(t, pol, "r.rego", "package dood.rules.base\nviolation contains v if { v := input.x }\n")
	rules := t.TempDir()
	write(t, rules, "a.rego", "package dood.rules.base\n")
	if _, err := LoadOptions(Options{Policies: []string{pol}, Rules: []string{rules}}); err == nil || !strings.Contains(err.Error(), "belongs to the policy") {
		t.Errorf("a package of the replaced policy: %v", err)
	}
	write(t, rules, "a.rego", "package dood.rules.acme\nviolation contains v if { v := input.x }\n")
	if _, err := LoadOptions(Options{Policies: []string{pol}, Rules: []string{rules}}); err != nil {
		t.Error(err)
	}
}

func TestProfileOverridesData(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "d.yaml", "guard:\n  profile: restricted\n")
	for _, tc := range []struct {
		data, profile, want string
	}{
		{"", "", "baseline"},
		{p, "", "restricted"},
		{"", "restricted", "restricted"},
		{p, "baseline", "baseline"},
	} {
		src, err := LoadOptions(Options{Data: tc.data, Profile: tc.profile})
		if err != nil {
			t.Fatal(err)
		}
		if got := src.Data["guard"].(map[string]any)["profile"]; got != tc.want {
			t.Errorf("data %q, profile %q: profile %v, want %s", tc.data, tc.profile, got, tc.want)
		}
	}
	if _, err := LoadOptions(Options{Profile: "strict"}); err == nil || !strings.Contains(err.Error(), "data.guard.profile") {
		t.Errorf("bad profile: %v", err)
	}
}

func TestSettingsAreValidated(t *testing.T) {
	cases := map[string]string{
		"guard:\n  profile: paranoid\n":                          `data.guard.profile is "paranoid"`,
		"guard:\n  profile: [restricted]\n":                      "data.guard.profile is",
		"guard:\n  allowed_bind_paths: [srv/ci]\n":               `allowed_bind_paths[0] "srv/ci": want a clean absolute path (/srv/ci)`,
		"guard:\n  allowed_bind_paths: [/srv/ci/]\n":             `want a clean absolute path (/srv/ci)`,
		"guard:\n  extra_protected_paths: [/srv/../etc]\n":       `extra_protected_paths[0]`,
		"guard:\n  allowed_sockets: [\"\"]\n":                    `allowed_sockets[0] ""`,
		"guard:\n  dangerous_capabilities: [sys_admin]\n":        `write capabilities as the daemon normalises them (CAP_SYS_ADMIN)`,
		"guard:\n  allowed_capabilities: [NET_ADMIN]\n":          `(CAP_NET_ADMIN)`,
		"guard:\n  denied_endpoints: [plugins.*]\n":              `denied_endpoints[0] "plugins.*": not an endpoint name`,
		"guard:\n  denied_endpoints: [container.creat]\n":        `not an endpoint name`,
		"guard:\n  allowed_namespace_joins: [uts]\n":             `want pid, ipc or network`,
		"guard:\n  exempt_users: [\"\"]\n":                       `exempt_users[0] "": must not be empty`,
		"guard:\n  self_names: []\n":                             `data.guard.self_names is empty`,
		"guard:\n  allowed_images: null\n":                       `data.guard.allowed_images is missing or not a list`,
		"guard:\n  allowed_swarm_managers: [10.0.0.1:2377, 7]\n": `allowed_swarm_managers[1] is float64`,
		"guard:\n  enforcement: {DG-MNT-001: audit}\n":           `data.guard.enforcement["DG-MNT-001"]: enforcement mode "audit": want enforce or dryrun`,
		"guard:\n  enforcement: {DG-MNT-001: true}\n":            `data.guard.enforcement["DG-MNT-001"] is true, want "enforce" or "dryrun"`,
		"guard:\n  enforcement: {\"DG MNT\": dryrun}\n":          `"DG MNT" is not a rule ID`,
		"guard:\n  enforcement: [DG-MNT-001]\n":                  `data.guard.enforcement is []interface {}{"DG-MNT-001"}, want object of rule ID`,
	}
	for yaml, want := range cases {
		p := write(t, t.TempDir(), "d.yaml", yaml)
		_, err := LoadOptions(Options{Data: p})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", yaml, err, want)
		}
	}
	good := write(t, t.TempDir(), "d.yaml", `guard:
  denied_endpoints: [plugin.*, container.archive.*, build, session]
  allowed_namespace_joins: [pid, network]
  dangerous_capabilities: [ALL, CAP_SYS_ADMIN]
  exempt_users: [ci-admin]
  allowed_bind_paths: [/, /srv/ci]
  enforcement: {DG-MNT-001: dryrun, DG-PRIV-001: enforce, TEAM-404: dryrun}
`)
	src, err := LoadOptions(Options{Data: good})
	if err != nil {
		t.Fatal(err)
	}
	// A rule ID no rule declares is a warning, not an error: a typo leaves
	// the rule enforced.
	warnings := RuleIDWarnings(src, []string{"DG-REQ-001"})
	if len(warnings) != 1 || !strings.Contains(warnings[0], "TEAM-404") {
		t.Errorf("warnings %q, want one naming TEAM-404", warnings)
	}
}

func TestEverySettingHasADefault(t *testing.T) {
	src, err := Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	g := src.Data["guard"].(map[string]any)
	if len(g) != len(Settings) {
		t.Errorf("default data has %d settings, the loader knows %d", len(g), len(Settings))
	}
	for _, s := range Settings {
		if _, ok := g[s.Name]; !ok {
			t.Errorf("no default for data.guard.%s", s.Name)
		}
	}
}
