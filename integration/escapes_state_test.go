//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Issue 11, items 1, 5, 8 and 9, against the real daemon in both plugin
// modes: each attack refused with its rule ID, the ordinary use beside it
// still working.

// withGuardConfig runs the rest of the test under another profile and
// policy data: the legacy plugin is restarted with --profile/--data, the
// managed one reinstalled with DG_PROFILE/DG_DATA_FILE (the data file
// written into its /etc/dood-guard).
func withGuardConfig(t *testing.T, profile, dataYAML string) {
	t.Helper()
	if h.mode == modeManaged {
		name := "data-" + strings.NewReplacer("/", "-").Replace(t.Name()) + ".yaml"
		if err := os.WriteFile(filepath.Join(h.managed.policyDir, name), []byte(dataYAML), 0o644); err != nil {
			t.Fatal(err)
		}
		withGuardSettings(t, "DG_PROFILE="+profile, "DG_DATA_FILE=/etc/dood-guard/"+name)
		return
	}
	restartPlugin(t, "--profile", profile, "--data", writeData(t, dataYAML))
}

// expectRule checks that resp is the guard's 403 naming rule.
func expectRule(t *testing.T, what string, resp *rawResponse, rule string) {
	t.Helper()
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: rule}, judge(resp, rule)); diff != "" {
		t.Errorf("%s (-want +got):\n%s\ndaemon said: %s", what, diff, resp)
	}
}

// expectCreated checks for a 201 and registers the container's removal.
func expectCreated(t *testing.T, what string, resp *rawResponse) string {
	t.Helper()
	id := createdID(resp)
	if id == "" {
		t.Errorf("%s: want 201, got %s", what, resp)
		return ""
	}
	cleanupContainer(t, id)
	return id
}

// TestHostCgroupNamespaceOldClient (item 9): on a cgroup v1 host a create
// at API < 1.41 gets the host's cgroup namespace by default. That alone is
// no way out: the baseline allows it, the restricted profile refuses it
// with DG-NS-003 and allows a private one.
func TestHostCgroupNamespaceOldClient(t *testing.T) {
	requireImage(t)
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		t.Fatal("this host has cgroup v2: the old-client default this test covers exists on cgroup v1 hosts only")
	}
	oldCreate := "/v1.40/containers/create"
	body := map[string]any{"Image": image, "Cmd": []string{"true"}, "User": "1000:1000"}
	id := expectCreated(t, "baseline: a create at API 1.40 (host cgroup namespace by default)", h.docker.jsonReq(t, "POST", oldCreate, body))
	if id != "" {
		if got := field(inspect(t, id), "HostConfig", "CgroupnsMode"); got != "host" {
			t.Errorf("the daemon gave the old client's container CgroupnsMode %v, want host (the case under test)", got)
		}
	}
	expectCreated(t, "baseline: an explicit host cgroup namespace", h.docker.jsonReq(t, "POST", createPath,
		map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"CgroupnsMode": "host"}}))

	withGuardConfig(t, "restricted", "guard: {}\n")
	expectRule(t, "restricted: a create at API 1.40", h.docker.jsonReq(t, "POST", oldCreate, body), "DG-NS-003")
	private := map[string]any{"Image": image, "Cmd": []string{"true"}, "User": "1000:1000", "HostConfig": map[string]any{"CgroupnsMode": "private"}}
	expectCreated(t, "restricted: a create at API 1.40 asking for a private cgroup namespace", h.docker.jsonReq(t, "POST", oldCreate, private))
}
