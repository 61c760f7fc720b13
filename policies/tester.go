package policies

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test.
type TestResult struct {
	Package  string // without the "data." prefix
	Name     string
	Location string // file:row
	Duration time.Duration
	Failed   bool
	Skipped  bool  // a todo_ test
	Err      error // evaluation error (counts as a failure)
	Output   string
}

// Passed reports a test that ran and held.
func (r TestResult) Passed() bool { return !r.Failed && !r.Skipped && r.Err == nil }

// String is the one-line report of a test.
func (r TestResult) String() string {
	status := "PASS"
	switch {
	case r.Err != nil:
		status = "ERROR"
	case r.Failed:
		status = "FAIL"
	case r.Skipped:
		status = "SKIP"
	}
	s := fmt.Sprintf("%-5s %s.%s (%s)", status, r.Package, r.Name, r.Duration.Round(time.Microsecond))
	if status != "PASS" {
		s += " at " + r.Location
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// RunTests runs the test rules (test_*) in tests against modules and data
// with OPA's tester, Rego v1, builtin errors raised. filter, when not
// empty, is a regular expression over "package.test_name". Results come
// sorted by package, then name.
func RunTests(ctx context.Context, modules, tests map[string]string, data map[string]any, filter string) ([]TestResult, error) {
	parsed := make(map[string]*ast.Module, len(modules)+len(tests))
	for _, set := range []map[string]string{modules, tests} {
		for name, src := range set {
			m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
			if err != nil {
				return nil, err
			}
			parsed[name] = m
		}
	}
	if data == nil {
		data = map[string]any{}
	}
	r := tester.NewRunner().
		SetStore(inmem.NewFromObject(data)).
		SetModules(parsed).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetTimeout(30 * time.Second)
	if filter != "" {
		r = r.Filter(filter)
	}
	ch, err := r.RunTests(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []TestResult
	for res := range ch {
		tr := TestResult{
			Package:  strings.TrimPrefix(res.Package, "data."),
			Name:     res.Name,
			Duration: res.Duration,
			Failed:   res.Fail,
			Skipped:  res.Skip,
			Err:      res.Error,
			Output:   string(res.Output),
		}
		if res.Location != nil {
			tr.Location = fmt.Sprintf("%s:%d", res.Location.File, res.Location.Row)
		}
		out = append(out, tr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
