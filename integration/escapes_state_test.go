//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// stalePluginSocket leaves a socket in /run/docker/plugins under a name of
// its own, as a crashed legacy plugin does: nobody listening (hang false),
// or a listener that accepts and never answers (hang true). dockerd probes
// it whenever it looks a volume up in every driver. Removed when the test
// ends (the directory is shared by every daemon on the machine).
func stalePluginSocket(t *testing.T, hang bool) {
	t.Helper()
	p := filepath.Join("/run/docker/plugins", fmt.Sprintf("dg-it-stale-%d-%t.sock", os.Getpid(), hang))
	_ = os.Remove(p)
	l, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	if !hang {
		l.Close()
		t.Cleanup(func() { os.Remove(p) })
		return
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		os.Remove(p)
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		t.Logf("the never-answering plugin socket was dialled %d times", len(conns))
	})
}

// TestNewVolumeBesideAStalePlugin (item 8): with a stale legacy plugin
// socket present, an ordinary `docker run -v NEW:/cache` — a volume that
// does not exist yet — is judged, not refused for want of state (the guard
// used to ask GET /volumes/NEW, which makes dockerd probe every driver).
// dockerd's own create probes every driver too when the request names no
// volume driver: ~15 s of retries behind a socket nobody listens on, and
// no end behind one that never answers; so the second case asks the guard
// directly, as dockerd does, and the first goes through the daemon. (An
// existing volume is still read from the daemon, with its options:
// plugin/state's tests, and TestState's DG-STATE-002.)
func TestNewVolumeBesideAStalePlugin(t *testing.T) {
	requireImage(t)
	t.Run("nobody-listening", func(t *testing.T) {
		stalePluginSocket(t, false)
		vol := fmt.Sprintf("dg-it-new-%d", os.Getpid())
		t.Cleanup(func() { deleteQuietly(api + "/volumes/" + vol) })
		start := time.Now()
		id := expectCreated(t, "docker run -v "+vol+":/cache (a volume that does not exist yet)", h.docker.jsonReq(t, "POST", createPath,
			map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"Binds": []string{vol + ":/cache"}}}))
		t.Logf("MEASURE create with a new named volume beside a stale plugin socket (dockerd probes it itself): %v", time.Since(start).Round(time.Millisecond))
		if id != "" {
			startContainer(t, id)
		}
		expectCreated(t, "the same volume again, now that it exists", h.docker.jsonReq(t, "POST", createPath,
			map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"Binds": []string{vol + ":/c2"}}}))
	})
	t.Run("never-answering", func(t *testing.T) {
		// Asked as dockerd asks a plugin: through a front, the daemon
		// itself would hang on the socket before the answer counted.
		requirePluginProtocol(t)
		stalePluginSocket(t, true)
		body := []byte(`{"Image":"` + image + `","HostConfig":{"Binds":["dg-it-never-made:/cache"]}}`)
		start := time.Now()
		resp, err := pluginCall(h.pluginSock, "/AuthZPlugin.AuthZReq", authzReq("POST", createPath, map[string]string{"Content-Type": "application/json"}, body))
		if err != nil {
			t.Fatalf("AuthZReq: %v", err)
		}
		t.Logf("MEASURE the guard's answer for a create with a new named volume beside a never-answering plugin: %v", time.Since(start).Round(time.Millisecond))
		var a authzAnswer
		if resp.Status != 200 || json.Unmarshal(resp.Body, &a) != nil || !a.Allow {
			t.Errorf("want {\"Allow\":true}, got %s", resp)
		}
	})
}

// post sends a body-less POST (start, restart, pause...).
func post(t *testing.T, target string) *rawResponse {
	t.Helper()
	return h.docker.do(t, rawRequest{Method: "POST", Target: api + target})
}

// expectStatusIs checks a status the guard must not have refused.
func expectStatusIs(t *testing.T, what string, resp *rawResponse, want int) {
	t.Helper()
	if resp.Status != want {
		t.Errorf("%s: want %d, got %s", what, want, resp)
	}
}

// TestSwappedBindSourceAtStart (item 1): a bind judged at create while its
// source was a directory, then swapped for a symlink to /, is refused at
// start, restart and unpause, and a restart policy cannot be set on it
// (DG-STATE-006); swapped back, the same container starts again.
func TestSwappedBindSourceAtStart(t *testing.T) {
	requireImage(t)
	dir := filepath.Join(h.tmp, "srv", "ci", "swap")
	x := filepath.Join(dir, "x")
	asDir := func() {
		t.Helper()
		_ = os.Remove(x)
		if err := os.MkdirAll(x, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	asLinkToRoot := func() {
		t.Helper()
		if err := os.Remove(x); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/", x); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	asDir()
	body := map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}, "HostConfig": map[string]any{"Binds": []string{x + ":/h"}}}
	stopped := expectCreated(t, "create with a workspace bind", h.docker.jsonReq(t, "POST", createPath, body))
	running := expectCreated(t, "a second one", h.docker.jsonReq(t, "POST", createPath, body))
	paused := expectCreated(t, "a third one", h.docker.jsonReq(t, "POST", createPath, body))
	if stopped == "" || running == "" || paused == "" {
		t.FailNow()
	}
	expectStatusIs(t, "start while x is a directory", post(t, "/containers/"+running+"/start"), 204)
	expectStatusIs(t, "start the third", post(t, "/containers/"+paused+"/start"), 204)
	expectStatusIs(t, "pause it", post(t, "/containers/"+paused+"/pause"), 204)
	expectStatusIs(t, "restart while x is a directory", post(t, "/containers/"+running+"/restart?t=0"), 204)

	asLinkToRoot()
	expectRule(t, "start after x became a symlink to /", post(t, "/containers/"+stopped+"/start"), "DG-STATE-006")
	expectRule(t, "restart after the swap", post(t, "/containers/"+running+"/restart?t=0"), "DG-STATE-006")
	expectRule(t, "unpause after the swap", post(t, "/containers/"+paused+"/unpause"), "DG-STATE-006")
	expectRule(t, "docker update --restart always after the swap", h.docker.jsonReq(t, "POST", api+"/containers/"+stopped+"/update", map[string]any{"RestartPolicy": map[string]any{"Name": "always"}}), "DG-STATE-006")
	if got := field(inspect(t, stopped), "State", "Running"); got != false {
		t.Errorf("the refused container runs: State.Running = %v", got)
	}
	// Updates that set no restart policy are not about the binds.
	expectStatusIs(t, "docker update --memory", h.docker.jsonReq(t, "POST", api+"/containers/"+stopped+"/update", map[string]any{"Memory": 64 << 20, "MemorySwap": -1}), 200)

	asDir()
	expectStatusIs(t, "start once x is a directory again", post(t, "/containers/"+stopped+"/start"), 204)
	expectStatusIs(t, "unpause once x is a directory again", post(t, "/containers/"+paused+"/unpause"), 204)
	expectStatusIs(t, "docker update --restart always", h.docker.jsonReq(t, "POST", api+"/containers/"+stopped+"/update", map[string]any{"RestartPolicy": map[string]any{"Name": "always"}}), 200)
}

// TestRestartPolicyOnSwappableBindRestricted (item 1, automatic restarts):
// the restricted profile refuses a restart policy on a bind below an
// allowed bind path (DG-MNT-007 at create, DG-STATE-006 on update), and
// allows one on the allowed path itself.
func TestRestartPolicyOnSwappableBindRestricted(t *testing.T) {
	requireImage(t)
	job := filepath.Join(h.workspace, "job-restart")
	if err := os.MkdirAll(job, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(job) })
	withGuardConfig(t, "restricted", "guard:\n  allowed_bind_paths: ["+h.workspace+"]\n")
	create := func(source, policy string) *rawResponse {
		return h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"true"}, "User": "1000:1000",
			"HostConfig": map[string]any{"Binds": []string{source + ":/w"}, "RestartPolicy": map[string]any{"Name": policy}}})
	}
	expectRule(t, "restart policy on a bind below the allowed path", create(job, "always"), "DG-MNT-007")
	expectRule(t, "on-failure too", create(job, "on-failure"), "DG-MNT-007")
	expectCreated(t, "restart policy on the allowed path itself", create(h.workspace, "unless-stopped"))
	id := expectCreated(t, "a bind below the allowed path without a restart policy", create(job, "no"))
	if id != "" {
		expectRule(t, "docker update --restart always on it", h.docker.jsonReq(t, "POST", api+"/containers/"+id+"/update", map[string]any{"RestartPolicy": map[string]any{"Name": "always"}}), "DG-STATE-006")
		expectStatusIs(t, "docker update --restart no on it", h.docker.jsonReq(t, "POST", api+"/containers/"+id+"/update", map[string]any{"RestartPolicy": map[string]any{"Name": "no"}}), 200)
	}
}

// TestReachIntoContainerMadeUnderALooserPolicy (item 5): containers made
// while the rules for devices, device cgroup rules, AppArmor and masked
// paths were switched off are judged, once they are back on, on everything
// a create is judged on: exec, cp and commit into them are refused
// (DG-STATE-005), and so is restarting one (DG-STATE-006). An ordinary
// container beside them is still reachable.
func TestReachIntoContainerMadeUnderALooserPolicy(t *testing.T) {
	requireImage(t)
	seeds := []struct {
		name       string
		hostConfig map[string]any
	}{
		{"device", map[string]any{"Devices": []map[string]string{{"PathOnHost": "/dev/zero", "PathInContainer": "/dev/zero2", "CgroupPermissions": "rwm"}}}},
		{"device-cgroup-rule", map[string]any{"DeviceCgroupRules": []string{"b 8:* rwm"}}},
		{"apparmor-unconfined", map[string]any{"SecurityOpt": []string{"apparmor=unconfined"}}},
		{"nothing-masked", map[string]any{"MaskedPaths": []string{}, "ReadonlyPaths": []string{}}},
	}
	ids := map[string]string{}
	parent := t
	t.Run("made-under-a-looser-policy", func(t *testing.T) {
		withGuardConfig(t, "baseline", "guard:\n  disabled_rules: [DG-DEV-001, DG-DEV-002, DG-SEC-002, DG-SEC-004]\n")
		for _, s := range seeds {
			resp := h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}, "HostConfig": s.hostConfig})
			id := createdID(resp)
			if id == "" {
				t.Fatalf("%s: want 201 under the looser policy, got %s", s.name, resp)
			}
			cleanupContainer(parent, id)
			ids[s.name] = id
			expectStatusIs(t, "start "+s.name+" under the looser policy", post(t, "/containers/"+id+"/start"), 204)
		}
	})
	ordinary := runningContainer(t)
	for _, s := range seeds {
		t.Run(s.name, func(t *testing.T) {
			id := ids[s.name]
			if id == "" {
				t.Fatal("not created")
			}
			expectRule(t, "exec", h.docker.jsonReq(t, "POST", api+"/containers/"+id+"/exec", map[string]any{"Cmd": []string{"true"}, "User": "1000"}), "DG-STATE-005")
			expectRule(t, "cp from", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + id + "/archive?path=%2Fetc%2Fhostname"}), "DG-STATE-005")
			expectRule(t, "commit", post(t, "/commit?container="+id+"&repo=dg-it-stolen"), "DG-STATE-005")
			expectRule(t, "restart", post(t, "/containers/"+id+"/restart?t=0"), "DG-STATE-006")
		})
	}
	expectStatusIs(t, "exec into an ordinary container", h.docker.jsonReq(t, "POST", api+"/containers/"+ordinary+"/exec", map[string]any{"Cmd": []string{"true"}, "User": "1000"}), 201)
	expectStatusIs(t, "cp from an ordinary container", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + ordinary + "/archive?path=%2Fetc%2Fhostname"}), 200)
}
