// Package catalogue reads the rule catalogue from the METADATA of the
// embedded Rego library and renders docs/rules.md from it.
package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/policies"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Rule is one rule's catalogue entry.
type Rule struct {
	ID          string
	Title       string
	Description string // what it stops
	Why         string // why it is an escape
	AllowBy     string // how to allow a legitimate use
	Profile     string // "" for every profile, or the one profile it applies to
	Endpoints   string
	Package     string // e.g. dood.rules.mounts
	File        string
}

// Rules lists the annotated violation rules of the embedded library,
// sorted by ID.
func Rules() ([]Rule, error) {
	mods, err := policies.Modules()
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, name := range slices.Sorted(maps.Keys(mods)) {
		mod, err := ast.ParseModuleWithOpts(name, mods[name], ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			return nil, err
		}
		pkg := strings.TrimPrefix(mod.Package.Path.String(), "data.")
		if !strings.HasPrefix(pkg, "dood.rules.") {
			continue
		}
		for _, r := range mod.Rules {
			if r.Head.Ref().String() != "violation" || len(r.Annotations) == 0 {
				continue
			}
			a := r.Annotations[0]
			str := func(k string) string { s, _ := a.Custom[k].(string); return strings.TrimSpace(s) }
			out = append(out, Rule{
				ID: str("id"), Title: a.Title, Description: strings.TrimSpace(a.Description),
				Why: str("why"), AllowBy: str("allow_by"), Profile: str("profile"), Endpoints: str("endpoints"),
				Package: pkg, File: "policies/" + name,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out, nil
}

// idLess orders rules by group (in groupOrder, unknown groups last), then
// by ID.
func idLess(a, b string) bool {
	ga, gb := rank(group(a)), rank(group(b))
	if ga != gb {
		return ga < gb
	}
	return a < b
}

func rank(g string) int {
	for i, o := range groupOrder {
		if o.prefix == g {
			return i
		}
	}
	return len(groupOrder)
}

func group(id string) string {
	if i := strings.LastIndex(id, "-"); i > 0 {
		return id[:i]
	}
	return id
}

// groupOrder lists rule groups in the order the catalogue presents them:
// the container escapes first.
var groupOrder = []struct{ prefix, title string }{
	{"DG-PRIV", "Privileged containers and exec"},
	{"DG-MNT", "Host paths"},
	{"DG-CAP", "Capabilities"},
	{"DG-DEV", "Devices"},
	{"DG-NS", "Namespaces"},
	{"DG-SEC", "Confinement"},
	{"DG-CGRP", "Cgroups"},
	{"DG-WD", "Working directory"},
	{"DG-USER", "User"},
	{"DG-STATE", "Existing objects (input.state)"},
	{"DG-BUILD", "Builds"},
	{"DG-PLUGIN", "Plugins"},
	{"DG-SWARM", "Swarm"},
	{"DG-CKPT", "Checkpoints"},
	{"DG-IMG", "Images"},
	{"DG-API", "Endpoints"},
}

// Markdown renders docs/rules.md.
func Markdown() ([]byte, error) {
	rules, err := Rules()
	if err != nil {
		return nil, err
	}
	defaults, err := policies.DefaultData()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Rule catalogue\n\n")
	p("<!-- Generated from the METADATA of policies/dood/rules/*.rego by `go run ./policies/cmd/gendocs`. Do not edit. -->\n\n")
	p("Every rule of the embedded policy library, with what it stops, why that is a\n")
	p("way from the docker socket to root on the host, and how to allow a\n")
	p("legitimate use. A denial names each rule it breaks: `[ID] message (field)`.\n")
	p("Rules judge the canonical input document ([input.md](input.md)); the\n")
	p("guard's own refusals of requests it cannot read (DG-REQ, DG-ROUTE, DG-BODY,\n")
	p("DG-POLICY, DG-STATE-001) are listed in the README. Two cannot be disabled:\n")
	p("DG-ENGINE-001 (a rule package produced a malformed violation) and\n")
	p("DG-STATE-001 (a rule judges on daemon state the guard did not report, or\n")
	p("could not read; [state.md](state.md)). A team's rule package the decision\n")
	p("would never read (nested below `dood.rules.<team>`, without a `violation`\n")
	p("set, or with a `violation` of another shape) is refused at load, naming\n")
	p("the file.\n\n")
	p("## Profiles\n\n")
	p("`data.guard.profile` (or `--profile`) selects one:\n\n")
	p("- **baseline** (default) — every rule below not marked *restricted*: host\n")
	p("  escapes are refused, ordinary CI use (workspace binds, named volumes,\n")
	p("  `--cap-drop`, published ports, Compose networks, builds, root in the\n")
	p("  container) is allowed.\n")
	p("- **restricted** — baseline plus the rules marked *restricted*: binds only\n")
	p("  from `allowed_bind_paths`, no added capabilities, a numeric non-root `User` for\n")
	p("  containers and exec, no `VolumesFrom`, no namespace joins unless listed,\n")
	p("  no plugin changes, no swarm mode, no BuildKit streams.\n\n")
	p("Any rule is switched off by listing its ID in `data.guard.disabled_rules`;\n")
	p("a TLS identity listed in `data.guard.exempt_users` is judged by no rule. A\n")
	p("team adds its own rules with `--rules DIR` and tests them with `dood-guard\n")
	p("test DIR` (see the README).\n\n")

	p("## Rules\n\n")
	p("| ID | title | profile |\n|---|---|---|\n")
	for _, r := range rules {
		p("| [%s](#%s) | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Title, profileOf(r))
	}
	p("\n")
	byGroup := map[string][]Rule{}
	for _, r := range rules {
		byGroup[group(r.ID)] = append(byGroup[group(r.ID)], r)
	}
	seen := map[string]bool{}
	emit := func(title string, rs []Rule) {
		p("### %s\n\n", title)
		for _, r := range rs {
			p("#### %s\n\n", r.ID)
			p("**%s** — %s; %s; `%s`.\n\n", r.Title, profileOf(r), endpointsOf(r), r.File)
			p("- *What it stops:* %s\n", oneLine(r.Description))
			p("- *Why it is an escape:* %s\n", oneLine(r.Why))
			p("- *To allow a legitimate use:* %s\n\n", oneLine(r.AllowBy))
		}
	}
	for _, g := range groupOrder {
		if rs := byGroup[g.prefix]; len(rs) > 0 {
			emit(g.title, rs)
			seen[g.prefix] = true
		}
	}
	for _, g := range slices.Sorted(maps.Keys(byGroup)) {
		if !seen[g] {
			emit(g, byGroup[g])
		}
	}

	p("## Settings\n\n")
	p("Policy data lives under `data.guard` (embedded `policies/data.json`; a\n")
	p("`--data` file is merged over it: objects merge, lists replace). The loader\n")
	p("refuses unknown keys and mistyped values. Every key is shown with an\n")
	p("example in [data.example.yaml](data.example.yaml).\n\n")
	p("| key | type | default |\n|---|---|---|\n")
	g, _ := defaults["guard"].(map[string]any)
	for _, s := range policy.Settings {
		p("| `%s` | %s | %s |\n", s.Name, s.Type(), shortDefault(g[s.Name]))
	}
	return b.Bytes(), nil
}

func profileOf(r Rule) string {
	if r.Profile == "" {
		return "all profiles"
	}
	return r.Profile + " only"
}

func endpointsOf(r Rule) string {
	if r.Endpoints == "" {
		return "any endpoint"
	}
	return r.Endpoints
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func shortDefault(v any) string {
	if l, ok := v.([]any); ok {
		if len(l) == 0 {
			return "`[]`"
		}
		if len(l) > 4 {
			return fmt.Sprintf("%d entries (`policies/data.json`)", len(l))
		}
	}
	j, _ := json.Marshal(v)
	return "`" + string(j) + "`"
}
