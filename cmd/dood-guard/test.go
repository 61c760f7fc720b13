package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/policies"
	"github.com/open-policy-agent/opa/v1/ast"
)

const testUsage = `usage: dood-guard test [flags] [--rules DIR]... [DIR...]

Runs the embedded library's Rego tests (against the embedded default data),
then, for the DIRs given (--rules DIR, as serve takes them, or as
arguments), a team's own tests: every *_test.rego below them,
against the library plus the team's rules found in the same directories
(the rules --rules DIR would add) and the data --data and --profile give.
Team tests may import data.dood.fixtures, the library's test inputs.

Prints one line per test and "N passed, N failed"; exits 0 when all pass,
1 when a test fails or errors, 2 on a usage error or when the rules or data
do not load.

flags:
`

// test runs the library's Rego tests and a team's, with OPA's tester.
func test(args []string, stdout, stderr io.Writer) int {
	var c config.Config
	fs := newFlagSet("test", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, testUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.DataPath, "data", "", "JSON or YAML policy data for the team's tests, merged over the embedded defaults")
	fs.StringVar(&c.Profile, "profile", "", "policy profile for the team's tests: baseline or restricted")
	run := fs.String("run", "", "run only the tests whose package.name matches this regular expression")
	library := fs.Bool("library", true, "run the embedded library's tests too")
	fs.Var((*multiFlag)(&c.RulesDirs), "rules", "a directory of a team's rules and *_test.rego files (repeatable; DIR arguments are the same)")
	if code, done := parseArgs(fs, args, -1); done {
		return code
	}
	c.RulesDirs = append(c.RulesDirs, fs.Args()...)
	if !validConfig("test", &c, stderr) {
		return 2
	}
	ctx := context.Background()
	var results []policies.TestResult
	mods, err := policies.Modules()
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard test: embedded policy: %v\n", err)
		return 2
	}
	libTests, err := policies.TestModules()
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard test: embedded tests: %v\n", err)
		return 2
	}
	if *library {
		data, err := policy.LoadData("", "")
		if err != nil {
			fmt.Fprintf(stderr, "dood-guard test: %v\n", err)
			return 2
		}
		rs, err := policies.RunTests(ctx, mods, libTests, data, *run)
		if err != nil {
			fmt.Fprintf(stderr, "dood-guard test: library: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, "library (embedded policy and data):")
		report(stdout, rs)
		results = append(results, rs...)
	}
	if len(c.RulesDirs) > 0 {
		teamMods, teamTests, err := policy.LoadRules(c.RulesDirs, mods)
		if err != nil {
			fmt.Fprintf(stderr, "dood-guard test: %v\n", err)
			return 2
		}
		data, err := policy.LoadData(c.DataPath, c.Profile)
		if err != nil {
			fmt.Fprintf(stderr, "dood-guard test: %v\n", err)
			return 2
		}
		all := maps.Clone(mods)
		maps.Copy(all, teamMods)
		// The library's shared test inputs (data.dood.fixtures), without
		// the library's own tests.
		for name, src := range libTests {
			if !hasTests(name, src) {
				all[name] = src
			}
		}
		rs, err := policies.RunTests(ctx, all, teamTests, data, *run)
		if err != nil {
			fmt.Fprintf(stderr, "dood-guard test: %s: %v\n", strings.Join(c.RulesDirs, ", "), err)
			return 1
		}
		fmt.Fprintf(stdout, "rules in %s (%d modules, %d test files, the library beside them):\n", strings.Join(c.RulesDirs, ", "), len(teamMods), len(teamTests))
		if len(rs) == 0 {
			fmt.Fprintln(stdout, "  no tests (test rules are named test_* in *_test.rego files)")
		}
		report(stdout, rs)
		results = append(results, rs...)
	}
	passed, failed, skipped := 0, 0, 0
	for _, r := range results {
		switch {
		case r.Passed():
			passed++
		case r.Skipped:
			skipped++
		default:
			failed++
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(stdout, summary)
	if failed > 0 {
		return 1
	}
	return 0
}

func report(w io.Writer, rs []policies.TestResult) {
	for _, r := range rs {
		fmt.Fprintln(w, "  "+r.String())
		if !r.Passed() && r.Output != "" {
			for _, line := range strings.Split(strings.TrimRight(r.Output, "\n"), "\n") {
				fmt.Fprintln(w, "      "+line)
			}
		}
	}
}

// hasTests reports whether a module defines test rules.
func hasTests(name, src string) bool {
	m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return true
	}
	for _, r := range m.Rules {
		if strings.HasPrefix(r.Head.Ref().String(), "test_") || strings.HasPrefix(r.Head.Ref().String(), "todo_test_") {
			return true
		}
	}
	return false
}
