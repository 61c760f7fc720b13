package reload

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

const goodRule = `package dood.rules.team

violation contains {"id": "TEAM-001", "msg": "no", "path": ""} if input.endpoint == "container.kill"
`

// TestReloadKeepsTheLastGoodPolicy drives a Reloader over a config dir:
// a change loads, the same files again do not, a broken edit keeps the
// last good policy (logged and counted), SIGHUP always loads.
func TestReloadKeepsTheLastGoodPolicy(t *testing.T) {
	dir := t.TempDir()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	m := metrics.New(metrics.Build{})
	var installed []*policy.Source
	r := &Reloader{
		Load: func() (*policy.Source, error) { return policy.LoadOptions(policy.Options{ConfigDir: dir}) },
		Install: func(_ context.Context, src *policy.Source) error {
			installed = append(installed, src)
			return nil
		},
		Log: log, Metrics: m,
	}
	ctx := context.Background()
	step := func(name, trigger string, wantErr bool, wantInstalls int) {
		t.Helper()
		_, err := r.Reload(ctx, trigger)
		if (err != nil) != wantErr {
			t.Fatalf("%s: err = %v, want error %v", name, err, wantErr)
		}
		if len(installed) != wantInstalls {
			t.Fatalf("%s: %d installs, want %d", name, len(installed), wantInstalls)
		}
	}
	step("start on an empty config dir: the embedded policy", Start, false, 1)
	step("a watch event with nothing changed", Watch, false, 1)
	write(t, filepath.Join(dir, "rules", "team.rego"), goodRule)
	step("a team rule added", Watch, false, 2)
	if _, ok := installed[1].Modules[filepath.Join(dir, "rules", "team.rego")]; !ok {
		t.Errorf("the team rule is not in the installed modules")
	}
	write(t, filepath.Join(dir, "rules", "team.rego"), "package dood.rules.team\nthis is not rego (\n")
	step("a broken edit", Watch, true, 2)
	write(t, filepath.Join(dir, "data.yaml"), "guard: {nonsense: 1}\n")
	os.Remove(filepath.Join(dir, "rules", "team.rego"))
	os.Remove(filepath.Join(dir, "rules"))
	step("invalid data", Watch, true, 2)
	write(t, filepath.Join(dir, "data.yaml"), "guard: {enforcement: {DG-PRIV-001: dryrun, TEAM-404: dryrun}}\n")
	step("valid data", Watch, false, 3)
	step("SIGHUP with nothing changed still loads", SIGHUP, false, 4)

	var failed, warned int
	for _, e := range hook.AllEntries() {
		if e.Message == "policy reload failed; keeping the last good policy" {
			failed++
		}
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "TEAM-404") {
			warned++
		}
	}
	if failed != 2 {
		t.Errorf("%d failure lines, want 2", failed)
	}
	if warned == 0 {
		t.Errorf("no warning about TEAM-404, which no rule declares")
	}
	want := `
# HELP dood_guard_policy_loads_total Policy loads by result (success, failure) and trigger (start, sighup, watch, bundle).
# TYPE dood_guard_policy_loads_total counter
dood_guard_policy_loads_total{result="failure",trigger="watch"} 2
dood_guard_policy_loads_total{result="success",trigger="sighup"} 1
dood_guard_policy_loads_total{result="success",trigger="start"} 1
dood_guard_policy_loads_total{result="success",trigger="watch"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "dood_guard_policy_loads_total"); err != nil {
		t.Error(err)
	}
}

// TestConfigDirParts: each part optional; a part given twice is an error.
func TestConfigDirParts(t *testing.T) {
	dir := t.TempDir()
	if _, err := policy.LoadOptions(policy.Options{ConfigDir: filepath.Join(dir, "absent")}); err != nil {
		t.Errorf("an absent config dir: %v, want the embedded policy", err)
	}
	write(t, filepath.Join(dir, "data.yaml"), "guard: {}\n")
	write(t, filepath.Join(dir, "data.json"), "{}")
	if _, err := policy.LoadOptions(policy.Options{ConfigDir: dir}); err == nil || !strings.Contains(err.Error(), "more than one data file") {
		t.Errorf("two data files: %v", err)
	}
	os.Remove(filepath.Join(dir, "data.json"))
	if _, err := policy.LoadOptions(policy.Options{ConfigDir: dir, Data: filepath.Join(dir, "data.yaml")}); err == nil || !strings.Contains(err.Error(), "--data both") {
		t.Errorf("data from the dir and --data: %v", err)
	}
	// Kubernetes' timestamped copies and editors' lock files are skipped.
	write(t, filepath.Join(dir, "rules", "team.rego"), goodRule)
	write(t, filepath.Join(dir, "rules", "..2024_01", "team.rego"), goodRule)
	if err := os.Symlink("/nonexistent", filepath.Join(dir, "rules", ".#team.rego")); err != nil {
		t.Fatal(err)
	}
	src, err := policy.LoadOptions(policy.Options{ConfigDir: dir})
	if err != nil {
		t.Fatalf("config dir with rules and hidden entries: %v", err)
	}
	for name := range src.Modules {
		if strings.Contains(name, "/.") {
			t.Errorf("hidden entry loaded: %s", name)
		}
	}
}

// TestEmptyConfigDirPartsAreAbsent: rules/ or policies/ without a module
// (created before its files, or emptied) loads as if absent.
func TestEmptyConfigDirPartsAreAbsent(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"rules", "policies/sub", "rules/..2024_01"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(dir, "rules", "..2024_01", "team.rego"), goodRule)
	write(t, filepath.Join(dir, "policies", "sub", "x_test.rego"), "package x\n")
	src, err := policy.LoadOptions(policy.Options{ConfigDir: dir})
	if err != nil {
		t.Fatalf("empty parts: %v", err)
	}
	if src.Origin != "embedded" {
		t.Errorf("origin %q, want embedded", src.Origin)
	}
}
