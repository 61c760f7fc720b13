package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const acmeRule = `package dood.rules.acme

import data.dood.lib

violation contains {"id": "ACME-IMG-001", "msg": "pin the image tag", "path": "Image"} if {
	input.endpoint == "container.create"
	lib.ref(input.body.Image).tag in {"", "latest"}
}
`

const acmeTests = `package dood.rules.acme_test

import data.dood.fixtures as fx

test_latest_denied if {
	"ACME-IMG-001" in fx.ids(object.union(fx.cli_create, {"body": {"Image": "nginx"}}))
}

test_pinned_allowed if {
	fx.ids(fx.cli_create) == set()
}

test_library_rules_still_apply if {
	"DG-PRIV-001" in fx.ids(fx.create({"privileged": {"value": true, "path": "HostConfig.Privileged"}}))
}

test_profile_comes_from_the_flag if {
	data.guard.profile == "restricted"
}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runTest(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"test"}, args...), nil, &out, &errb)
	return code, out.String(), errb.String()
}

var summaryLine = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed$`)

func TestTestCommandRunsTheLibrary(t *testing.T) {
	code, out, errs := runTest()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	m := summaryLine.FindStringSubmatch(out)
	if m == nil || m[2] != "0" || len(m[1]) < 3 {
		t.Fatalf("summary: want at least 100 passed, 0 failed; output ends:\n%s", tail(out))
	}
	for _, want := range []string{"library (embedded policy and data):", "PASS  dood.rules.mounts_test.test_socket_denied", "PASS  dood.decision_test.test_exempt_user_bypasses_every_rule"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestTestCommandRunsATeamsTests(t *testing.T) {
	dir := writeFiles(t, map[string]string{"acme.rego": acmeRule, "tests/acme_test.rego": acmeTests})
	code, out, errs := runTest("--library=false", "--profile", "restricted", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one team test fails)\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"rules in " + dir + " (1 modules, 1 test files, the library beside them):",
		"PASS  dood.rules.acme_test.test_latest_denied",
		"PASS  dood.rules.acme_test.test_library_rules_still_apply",
		"PASS  dood.rules.acme_test.test_profile_comes_from_the_flag",
		"FAIL  dood.rules.acme_test.test_pinned_allowed",
		"\n3 passed, 1 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "library (embedded") {
		t.Error("--library=false ran the library's tests")
	}
	// The failing line says where.
	if !strings.Contains(out, "acme_test.rego:9") {
		t.Errorf("the failure does not name its location:\n%s", out)
	}
}

func TestTestCommandPassesWithTheLibrary(t *testing.T) {
	fixed := strings.Replace(acmeTests, "fx.ids(fx.cli_create) == set()", `fx.ids(object.union(fx.cli_create, {"body": {"Image": "nginx:1.25"}})) == set()`, 1)
	fixed = strings.Replace(fixed, `data.guard.profile == "restricted"`, `data.guard.profile == "baseline"`, 1)
	dir := writeFiles(t, map[string]string{"acme.rego": acmeRule, "acme_test.rego": fixed})
	code, out, errs := runTest("--run", "acme|mounts_test", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	m := summaryLine.FindStringSubmatch(out)
	if m == nil || m[2] != "0" {
		t.Fatalf("summary: %s", tail(out))
	}
	if strings.Contains(out, "capabilities_test") || !strings.Contains(out, "mounts_test") || !strings.Contains(out, "acme_test.test_pinned_allowed") {
		t.Errorf("--run did not select mounts and acme tests:\n%s", out)
	}
}

func TestTestCommandRefusesBadRules(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"library package":     {"m.rego": "package dood.rules.mounts\nallowed_bind(_)\n"},
		"not a rules package": {"m.rego": "package dood\n"},
		"syntax error":        {"m.rego": "package dood.rules.x\nviolation contains {"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errs := runTest("--library=false", writeFiles(t, files))
			if code != 2 || errs == "" {
				t.Errorf("exit %d, stderr %q, want 2 and a reason\n%s", code, errs, out)
			}
		})
	}
	if code, _, errs := runTest("/nonexistent/rules"); code != 2 || !strings.Contains(errs, "rules:") {
		t.Errorf("missing dir: exit %d %q", code, errs)
	}
	if code, _, errs := runTest("--profile", "strict"); code != 2 || !strings.Contains(errs, `profile "strict"`) {
		t.Errorf("bad profile: exit %d %q", code, errs)
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
