package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The managed plugin's build (-tags nocheck) serves as the full one does,
// and says plainly that `check` is not in it.
func TestPluginBuildWithoutCheckSaysSo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "dood-guard")
	if out, err := exec.Command("go", "build", "-tags", "nocheck", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build -tags nocheck: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "check", "--", "docker", "run", "busybox").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "not in this build") {
		t.Errorf("check in the plugin build: exit %d, %q; want exit 2 saying it is not in this build", code, out)
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.Contains(string(out), "dood-guard") {
		t.Errorf("version in the plugin build: %v, %q", err, out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
