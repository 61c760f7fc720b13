//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A team's rule package that the decision would never read — nested below
// dood.rules.<team>, or with no violation set — is refused when the guard
// loads it, naming the file; a well-formed one beside it refuses what it
// says on the real daemon.

const teamRule = `package dood.rules.frozen

violation contains {"id": "TEAM-001", "msg": "job frozen", "path": "Labels"} if {
	input.endpoint == "container.create"
	input.body.Labels["ci.job"] == "frozen"
}
`

// nestedRule would never be evaluated: the decision reads
// dood.rules.<name>.violation only.
const nestedRule = `package dood.rules.frozen.jobs

violation contains {"id": "TEAM-002", "msg": "nested", "path": ""} if input.endpoint == "container.create"
`

func writeRule(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func expectTeamRule(t *testing.T) {
	t.Helper()
	r := h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"true"}, "Labels": map[string]string{"ci.job": "frozen"}})
	if id := createdID(r); id != "" {
		cleanupContainer(t, id)
	}
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: "TEAM-001"}, judge(r, "TEAM-001")); diff != "" {
		t.Errorf("a create the team rule refuses (-want +got):\n%s\ndaemon said: %s", diff, r)
	}
	r = h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"true"}, "Labels": map[string]string{"ci.job": "build"}})
	if id := createdID(r); id == "" {
		t.Errorf("benign create beside the team rule: %s", r)
	} else {
		cleanupContainer(t, id)
	}
}

func TestRulesThatWouldDoNothing(t *testing.T) {
	requireImage(t)
	good := t.TempDir()
	writeRule(t, good, "frozen.rego", teamRule)

	if h.mode != modeManaged {
		// dood-guard serve --rules with a nested package does not start
		// (the front runs the same setup; restartPlugin restarts it too).
		bad := t.TempDir()
		file := writeRule(t, bad, "jobs.rego", nestedRule)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, h.bin, "serve", "--socket", filepath.Join(h.tmp, "rules-test.sock"),
			"--docker-host", "unix://"+h.docker.socket, "--rules", bad).CombinedOutput()
		if err == nil || !strings.Contains(string(out), file+": package dood.rules.frozen.jobs is never evaluated") {
			t.Errorf("serve --rules %s: want a refusal naming %s, got (%v):\n%s", bad, file, err, out)
		}
		// The well-formed package, served to the real daemon.
		restartPlugin(t, "--rules", good)
		expectTeamRule(t)
		return
	}

	// Managed: the team's directory under the host policy directory.
	t.Cleanup(func() { restoreGuard(t) })
	dir := filepath.Join(h.managed.policyDir, "rules")
	t.Cleanup(func() { os.RemoveAll(dir) })
	writeRule(t, dir, "frozen.rego", teamRule)
	t.Cleanup(func() {
		if out, err := h.installGuard("--force"); err != nil {
			t.Errorf("restoring the suite's guard: %v\n%s", err, out)
		}
	})
	if out, err := h.installGuard("--force", "--set", "DG_RULES_DIR=/etc/dood-guard/rules"); err != nil {
		t.Fatalf("install.sh --force --set DG_RULES_DIR=...: %v\n%s", err, out)
	}
	expectTeamRule(t)
	// A nested package appears; the reload is refused, naming the file,
	// and the last good policy keeps serving.
	writeRule(t, dir, "jobs.rego", nestedRule)
	from := pluginLogSize()
	if err := syscall.Kill(pluginPID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitPluginLog(t, from, "/etc/dood-guard/rules/jobs.rego: package dood.rules.frozen.jobs is never evaluated", 10*time.Second) {
		t.Errorf("no refusal naming the file in the plugin's log after SIGHUP:\n%s", tail(h.pluginLog, 10))
	}
	expectTeamRule(t)
}
