//go:build integration

package integration

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The policy library against the real daemon: one attack per rule of the
// library (issue 3) that dockerd must refuse with that rule's ID, and the
// ordinary requests beside each that must still work. Rules of the
// restricted profile and rules that need policy data run against the same
// daemon with the plugin restarted with --profile / --data (legacy mode
// only: a managed plugin is configured with `docker plugin set`).

// libraryHost prepares host paths for the host-aware rules, under the
// harness's temporary directory: a symlink to /var/run, a symlink that
// stays in the workspace, and a unix socket under an innocent name.
type libraryHost struct {
	linkToRun     string // -> /var/run
	linkInside    string // -> the workspace
	socket        string // a listening unix socket
	allowedSocket string // a second one, listed in guard.allowed_sockets by the data tests
}

func newLibraryHost(t *testing.T) libraryHost {
	t.Helper()
	dir := filepath.Join(h.tmp, "srv", "ci", "lib")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lh := libraryHost{
		linkToRun:     filepath.Join(dir, "run-link"),
		linkInside:    filepath.Join(dir, "ws-link"),
		socket:        filepath.Join(dir, "api.sock"),
		allowedSocket: filepath.Join(dir, "ok.sock"),
	}
	for link, target := range map[string]string{lh.linkToRun: "/var/run", lh.linkInside: h.workspace} {
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{lh.socket, lh.allowedSocket} {
		_ = os.Remove(s)
		l, err := net.Listen("unix", s)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	return lh
}

// libCase is an attack (rule != "") or a request that must succeed
// (rule == "", status ok).
type libCase struct {
	name, method, target, contentType, body string
	bodyFn                                  func() []byte
	rule                                    string // the ID the 403 must name; "" for a benign request
	ok                                      int    // the status a benign request gets; 0: anything but the plugin's denial
	legacyOnly                              bool   // needs the guard to see the host as the harness does
}

func (c libCase) run(t *testing.T, ctr string) {
	t.Helper()
	if c.legacyOnly && h.mode == modeManaged {
		t.Skip("host-aware paths need the managed plugin's --host-root; legacy mode only")
	}
	target := strings.ReplaceAll(c.target, "{ctr}", ctr)
	if target == "" {
		target = createPath
	}
	method := c.method
	if method == "" {
		method = "POST"
	}
	req := rawRequest{Method: method, Target: target}
	body := []byte(strings.ReplaceAll(strings.ReplaceAll(c.body, "{img}", image), "{ctr}", ctr))
	if c.bodyFn != nil {
		body = c.bodyFn()
	}
	if len(body) > 0 {
		req.Body = body
	}
	switch {
	case c.contentType != "":
		req.Header = append(req.Header, [2]string{"Content-Type", c.contentType})
	case len(body) > 0:
		req.Header = append(req.Header, [2]string{"Content-Type", "application/json"})
	}
	resp := h.docker.do(t, req)
	if resp.Status/100 == 2 {
		if id := createdID(resp); id != "" {
			cleanupContainer(t, id)
		}
	}
	if c.rule == "" {
		denied := resp.Status == 403 && strings.Contains(resp.Message(), denialLead())
		if (c.ok != 0 && resp.Status != c.ok) || (c.ok == 0 && denied) {
			t.Errorf("%s %s: want %d (0: not refused by the plugin), got %s", method, target, c.ok, resp)
		}
		return
	}
	got := judge(resp, c.rule)
	if got.Status != 403 || got.DeniedBy != h.pluginName || got.Rule != c.rule {
		t.Errorf("%s %s: want 403 from %s naming %s, got %+v\ndaemon said: %s", method, target, h.pluginName, c.rule, got, resp)
	}
}

// runLibCases runs cases; "{ctr}" is an ordinary running container,
// created as user (empty: the image's default) on first use.
func runLibCases(t *testing.T, user string, cases []libCase) {
	t.Helper()
	var ctr string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if ctr == "" && (strings.Contains(c.target, "{ctr}") || strings.Contains(c.body, "{ctr}")) {
				requireImage(t)
				resp := h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}, "User": user})
				if ctr = createdID(resp); ctr == "" {
					t.Fatalf("create an ordinary container: want 201, got %s", resp)
				}
				startContainer(t, ctr)
			}
			c.run(t, ctr)
		})
	}
	if ctr != "" {
		removeContainer(t, ctr)
	}
}

func cspec(extra string) string {
	return `{"Name":"dg-it-lib-svc","TaskTemplate":{"ContainerSpec":{"Image":"{img}"` + extra + `}}}`
}

// TestLibrary runs under the harness's plugin: the embedded library, the
// baseline profile, the default data.
func TestLibrary(t *testing.T) {
	requireImage(t)
	lh := newLibraryHost(t)
	runLibCases(t, "", []libCase{
		// --- host-aware paths -------------------------------------------
		{name: "DG-MNT-001/symlink-to-var-run", body: bind(lh.linkToRun), rule: "DG-MNT-001", legacyOnly: true},
		{name: "DG-MNT-001/docker-sock-through-a-symlink", body: hc(`{"Mounts":[{"Type":"bind","Source":"` + lh.linkToRun + `/docker.sock","Target":"/s"}]}`), rule: "DG-MNT-001", legacyOnly: true},
		{name: "DG-MNT-003/socket-under-an-innocent-name", body: bind(lh.socket), rule: "DG-MNT-003", legacyOnly: true},
		{name: "DG-MNT-004/create-mountpoint", body: hc(`{"Mounts":[{"Type":"bind","Source":"` + filepath.Join(h.tmp, "srv", "ci", "new-dir") + `","Target":"/n","BindOptions":{"CreateMountpoint":true}}]}`), rule: "DG-MNT-004"},
		{name: "benign/symlink-inside-the-workspace", body: bind(lh.linkInside), ok: 201, legacyOnly: true},
		{name: "benign/workspace-bind", body: bind(h.workspace), ok: 201},

		// --- containers ---------------------------------------------------
		{name: "DG-NS-002/pid-join", body: hc(`{"PidMode":"container:{ctr}"}`), rule: "DG-NS-002"},
		{name: "DG-NS-002/ipc-join", body: hc(`{"IpcMode":"container:{ctr}"}`), rule: "DG-NS-002"},
		{name: "benign/compose-network-join", body: hc(`{"NetworkMode":"container:{ctr}"}`), ok: 201},
		{name: "DG-SEC-005/other-runtime", body: hc(`{"Runtime":"sysbox-runc"}`), rule: "DG-SEC-005"},
		{name: "benign/runtime-runc", body: hc(`{"Runtime":"runc"}`), ok: 201},
		{name: "DG-CGRP-001/cgroup-parent", body: hc(`{"CgroupParent":"/"}`), rule: "DG-CGRP-001"},
		{name: "DG-DEV-003/gpus", body: hc(`{"DeviceRequests":[{"Driver":"","Count":-1,"Capabilities":[["gpu"]]}]}`), rule: "DG-DEV-003"},
		{name: "DG-DEV-001/device-directory", body: hc(`{"Devices":[{"PathOnHost":"/dev/bus","PathInContainer":"/dev/bus","CgroupPermissions":"rwm"}]}`), rule: "DG-DEV-001"},
		{name: "DG-WD-001/workdir-proc-self-fd", body: `{"Image":"{img}","Cmd":["true"],"WorkingDir":"/proc/self/fd/7"}`, rule: "DG-WD-001"},
		{name: "DG-WD-001/exec-workdir-proc-self-fd", target: api + "/containers/{ctr}/exec", body: `{"Cmd":["true"],"WorkingDir":"/proc/self/fd/8"}`, rule: "DG-WD-001"},
		{name: "benign/exec-non-root-with-workdir", target: api + "/containers/{ctr}/exec", body: `{"Cmd":["id"],"User":"1000:1000","WorkingDir":"/tmp"}`, ok: 201},
		{name: "DG-CKPT-001/start-from-a-host-checkpoint-dir", target: api + "/containers/{ctr}/start?checkpoint=c1&checkpoint-dir=%2Fetc", rule: "DG-CKPT-001"},

		// --- services (this daemon is no swarm manager: the guard answers first)
		{name: "DG-MNT-001/service-bind-root", target: api + "/services/create", body: cspec(`,"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]`), rule: "DG-MNT-001"},
		{name: "DG-CAP-001/service-cap-add", target: api + "/services/create", body: cspec(`,"CapabilityAdd":["sys_admin"]`), rule: "DG-CAP-001"},
		{name: "DG-SEC-003/service-selinux-off", target: api + "/services/create", body: cspec(`,"Privileges":{"SELinuxContext":{"Disable":true}}`), rule: "DG-SEC-003"},
		{name: "DG-NS-001/service-host-network", target: api + "/services/create", body: `{"Name":"dg-it-lib-svc","TaskTemplate":{"ContainerSpec":{"Image":"{img}"},"Networks":[{"Target":"host"}]}}`, rule: "DG-NS-001"},
		{name: "DG-NS-001/service-host-network-legacy-field", target: api + "/services/create", body: `{"Name":"dg-it-lib-svc","TaskTemplate":{"ContainerSpec":{"Image":"{img}"}},"Networks":[{"Target":"host"}]}`, rule: "DG-NS-001"},
		{name: "DG-WD-001/service-dir", target: api + "/services/create", body: cspec(`,"Dir":"/proc/self/fd/7"`), rule: "DG-WD-001"},
		{name: "DG-PLUGIN-001/plugin-service", target: api + "/services/create", body: `{"Name":"dg-it-lib-svc","TaskTemplate":{"Runtime":"plugin","PluginSpec":{"Name":"p","Remote":"localhost:1/evil"}}}`, rule: "DG-PLUGIN-001"},
		{name: "DG-SWARM-004/templated-bind-source", target: api + "/services/create", body: cspec(`,"Mounts":[{"Type":"bind","Source":"/srv/{{\"../..\"}}","Target":"/h"}]`), rule: "DG-SWARM-004"},
		{name: "benign/service-create-reaches-the-daemon", target: api + "/services/create", body: cspec(``)},

		// --- builds and daemon-side fetches --------------------------------
		{name: "DG-NS-001/build-host-network", target: api + "/build?t=dg-it-lib-build&networkmode=host", contentType: "application/x-tar", bodyFn: dockerfileTar, rule: "DG-NS-001"},
		{name: "DG-CGRP-001/build-cgroup-parent", target: api + "/build?t=dg-it-lib-build&cgroupparent=%2F", contentType: "application/x-tar", bodyFn: dockerfileTar, rule: "DG-CGRP-001"},
		{name: "DG-BUILD-001/remote-context", target: api + "/build?t=dg-it-lib-build&remote=http%3A%2F%2F169.254.169.254%2Flatest%2F", rule: "DG-BUILD-001"},
		{name: "DG-BUILD-001/import-from-url", target: api + "/images/create?fromSrc=http%3A%2F%2F127.0.0.1%3A1%2Fx.tar&repo=dg-it-lib-import", rule: "DG-BUILD-001"},

		// --- plugins -------------------------------------------------------
		{name: "DG-PLUGIN-001/pull-with-privileges", target: api + "/plugins/pull?remote=localhost%3A1%2Fdg-it-evil-plugin%3Alatest&name=dg-it-evil-plugin", body: `[{"Name":"mount","Description":"host path to mount","Value":["/"]}]`, rule: "DG-PLUGIN-001"},
		{name: "DG-PLUGIN-001/pull-with-one-decoy-privilege", target: api + "/plugins/pull?remote=localhost%3A1%2Fdg-it-evil-plugin%3Alatest&name=dg-it-evil-plugin", body: `[{"Name":"a","Description":"","Value":[]}]`, rule: "DG-PLUGIN-001"},
		{name: "DG-PLUGIN-001/enable", target: api + "/plugins/dg-it-evil-plugin/enable?timeout=0", rule: "DG-PLUGIN-001"},
		{name: "DG-PLUGIN-002/create-from-tar", target: api + "/plugins/create?name=dg-it-evil-plugin", contentType: "application/x-tar", bodyFn: pluginTar, rule: "DG-PLUGIN-002"},
		{name: "DG-PLUGIN-003/set", target: api + "/plugins/dg-it-evil-plugin/set", body: `["mnt=/"]`, rule: "DG-PLUGIN-003"},
		{name: "DG-PLUGIN-004/disable-the-guard", target: api + "/plugins/dood-guard:latest/disable", rule: "DG-PLUGIN-004"},
		{name: "benign/remove-another-plugin-by-id-prefix-reaches-the-daemon", method: "DELETE", target: api + "/plugins/0a1b2c3d?force=1"},
		{name: "benign/plugin-list", method: "GET", target: api + "/plugins", ok: 200},
		{name: "benign/pull-without-privileges-reaches-the-daemon", target: api + "/plugins/pull?remote=localhost%3A1%2Fdg-it-none%3Alatest", body: `[]`},

		// --- swarm -----------------------------------------------------------
		{name: "DG-SWARM-001/join-an-outside-manager", target: api + "/swarm/join", body: `{"ListenAddr":"127.0.0.1:2377","RemoteAddrs":["203.0.113.9:2377"],"JoinToken":"SWMTKN-1-x"}`, rule: "DG-SWARM-001"},
		{name: "DG-SWARM-003/join-tokens", method: "GET", target: api + "/swarm", rule: "DG-SWARM-003"},
		{name: "benign/info", method: "GET", target: api + "/info", ok: 200},
	})
}

// restartPlugin restarts the harness's legacy plugin with extra serve flags
// for the rest of the test, and restores it (same flags as before) after.
func restartPlugin(t *testing.T, extra ...string) {
	t.Helper()
	if h.mode == modeManaged {
		t.Skip("needs the legacy plugin restarted with other flags")
	}
	base := append([]string(nil), h.pluginCmd.Args[1:]...)
	stop := func() {
		_ = h.pluginCmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.pluginDone:
		case <-time.After(10 * time.Second):
			_ = h.pluginCmd.Process.Kill()
			<-h.pluginDone
		}
	}
	start := func(args []string) {
		logf, err := os.OpenFile(h.pluginLog, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd := h.pluginCmd
		h.pluginCmd = exec.Command(h.bin, args...)
		h.pluginCmd.Stdout, h.pluginCmd.Stderr = logf, logf
		h.pluginCmd.SysProcAttr = childAttr()
		if err := h.pluginCmd.Start(); err != nil {
			h.pluginCmd = cmd
			t.Fatalf("restart plugin: %v", err)
		}
		done := make(chan error, 1)
		go func(c *exec.Cmd) { done <- c.Wait() }(h.pluginCmd)
		h.pluginDone = done
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if guardReady() {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("plugin restarted with %v did not listen:\n%s", args, tail(h.pluginLog, 20))
	}
	stop()
	start(append(append([]string(nil), base...), extra...))
	t.Cleanup(func() {
		stop()
		start(base)
	})
}

func writeData(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLibraryData runs the rules whose behaviour the policy data sets.
func TestLibraryData(t *testing.T) {
	requireImage(t)
	lh := newLibraryHost(t)
	restartPlugin(t, "--data", writeData(t, `guard:
  allowed_images: [`+image+`]
  denied_endpoints: [container.export]
  allowed_sockets: [`+lh.allowedSocket+`]
  allowed_bind_paths: [`+h.workspace+`]
`))
	runLibCases(t, "", []libCase{
		{name: "DG-IMG-001/image-not-listed", body: `{"Image":"alpine:3.20","Cmd":["true"]}`, rule: "DG-IMG-001"},
		{name: "DG-IMG-001/pull-not-listed", target: api + "/images/create?fromImage=alpine&tag=3.20", rule: "DG-IMG-001"},
		{name: "benign/listed-image", body: hc(`{}`), ok: 201},
		{name: "DG-API-001/denied-endpoint", method: "GET", target: api + "/containers/{ctr}/export", rule: "DG-API-001"},
		{name: "benign/allowed-socket", body: bind(lh.allowedSocket), ok: 201, legacyOnly: true},
		{name: "DG-MNT-003/other-socket", body: bind(lh.socket), rule: "DG-MNT-003", legacyOnly: true},
		{name: "benign/create-mountpoint-in-allowed-tree", body: hc(`{"Mounts":[{"Type":"bind","Source":"` + h.workspace + `","Target":"/n","BindOptions":{"CreateMountpoint":true}}]}`), ok: 201},
	})
}

// TestLibraryRestricted runs the restricted profile's rules, and what a CI
// job still does under it.
func TestLibraryRestricted(t *testing.T) {
	requireImage(t)
	restartPlugin(t, "--profile", "restricted", "--data", writeData(t, "guard:\n  allowed_bind_paths: ["+h.workspace+"]\n"))
	nonRoot := func(hostConfig string) string {
		return `{"Image":"{img}","Cmd":["true"],"User":"1000:1000","HostConfig":` + hostConfig + `}`
	}
	runLibCases(t, "1000:1000", []libCase{
		{name: "benign/non-root-with-workspace-and-volume", body: nonRoot(`{"Binds":["` + h.workspace + `:/w","dg-it-lib-cache:/c"]}`), ok: 201},
		{name: "benign/non-root-exec", target: api + "/containers/{ctr}/exec", body: `{"Cmd":["id"],"User":"1000"}`, ok: 201},
		{name: "benign/classic-build", target: api + "/build?t=dg-it-lib-build", contentType: "application/x-tar", bodyFn: dockerfileTar, ok: 200},
		{name: "DG-USER-001/root-create", body: hc(`{}`), rule: "DG-USER-001"},
		{name: "DG-USER-001/root-exec", target: api + "/containers/{ctr}/exec", body: `{"Cmd":["id"],"User":"0"}`, rule: "DG-USER-001"},
		{name: "DG-MNT-006/bind-outside-the-allow-list", body: nonRoot(`{"Binds":["/tmp:/t"]}`), rule: "DG-MNT-006"},
		{name: "DG-MNT-005/volumes-from", body: nonRoot(`{"VolumesFrom":["{ctr}"]}`), rule: "DG-MNT-005"},
		{name: "DG-CAP-002/any-added-capability", body: nonRoot(`{"CapAdd":["NET_BIND_SERVICE"]}`), rule: "DG-CAP-002"},
		{name: "DG-NS-002/network-join", body: nonRoot(`{"NetworkMode":"container:{ctr}"}`), rule: "DG-NS-002"},
		{name: "DG-BUILD-002/session", target: api + "/session", rule: "DG-BUILD-002"},
		{name: "DG-BUILD-002/grpc", target: api + "/grpc", rule: "DG-BUILD-002"},
		{name: "DG-BUILD-002/buildkit-build", target: api + "/build?version=2&remote=client-session&session=x", rule: "DG-BUILD-002"},
		{name: "DG-PLUGIN-005/plugin-disable", target: api + "/plugins/dg-it-evil-plugin/disable", rule: "DG-PLUGIN-005"},
		{name: "DG-SWARM-002/swarm-init", target: api + "/swarm/init", body: `{"ListenAddr":"127.0.0.1:2377"}`, rule: "DG-SWARM-002"},
	})
	deleteQuietly(api + "/volumes/dg-it-lib-cache")
	deleteQuietly(api + "/images/dg-it-lib-build?force=1")
}
