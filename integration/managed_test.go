//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dood-guard/dood-guard/policies"
	"github.com/google/go-cmp/cmp"
)

// Managed mode (DG_IT_MODE=managed): the plugin under test is a `docker
// plugin` built by scripts/build-plugin.sh and installed into the private
// daemon by scripts/install.sh — which edits the daemon's daemon.json and
// reloads it with SIGHUP, so the suite proves the installer too. The attack,
// benign and CLI corpora run unchanged; the tests in this file run in
// managed mode only: the guard's self-protection through the socket it
// guards, and what happens when its process dies, hangs or cannot start.

const (
	modeLegacy  = "legacy"
	modeManaged = "managed"
	// managedName is the managed plugin's name; dockerd calls it
	// managedName+":latest" (and so do its denials).
	managedName = "dood-guard"
	// privFixture is a plugin asking for privileges, created before the
	// guard is on and never enabled: enabling it must be refused.
	privFixture = "dg-it-privileged-plugin"
)

// managedState is the harness's view of the installed managed plugin.
type managedState struct {
	pluginDir string // scripts/build-plugin.sh output
	policyDir string // the host directory the plugin reads as its config dir (DG_CONFIG_DIR=/host<dir>)
	id        string // current plugin ID (a reinstall changes it)
	follow    *logFollower
}

func itMode() (string, error) {
	switch m := os.Getenv("DG_IT_MODE"); m {
	case "", modeLegacy:
		return modeLegacy, nil
	case modeManaged, modeFront:
		return m, nil
	default:
		return "", fmt.Errorf("DG_IT_MODE=%q: want legacy, managed or front", m)
	}
}

func requireManaged(t *testing.T) {
	t.Helper()
	requireEnv(t)
	if h.mode != modeManaged {
		t.Skip("managed plugin only (DG_IT_MODE=managed)")
	}
}

// setupManaged builds the plugin directory, starts the private daemon with
// no authorization plugin, creates the privileged fixture plugin while
// nothing guards the daemon, and installs the guard with scripts/install.sh.
func (h *harness) setupManaged() error {
	if _, err := exec.LookPath("jq"); err != nil {
		return fmt.Errorf("prerequisites missing: jq (scripts/install.sh edits daemon.json with it)\n  install it with: apt-get install -y jq (or run bash .ci/run)")
	}
	if os.Getenv("DOOD_GUARD_BIN") != "" {
		fmt.Fprintf(os.Stderr, "integration: managed mode builds its own static binary; DOOD_GUARD_BIN is ignored\n")
	}
	m := &h.managed
	m.pluginDir = filepath.Join(h.tmp, "plugin")
	m.policyDir = h.configDir
	start := time.Now()
	cmd := exec.Command("bash", filepath.Join(h.root, "scripts", "build-plugin.sh"), m.pluginDir)
	cmd.Dir = h.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/build-plugin.sh: %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "integration: built the plugin directory in %v\n", time.Since(start).Round(time.Millisecond))
	// The same static binary serves the tests that run a second plugin
	// process (failure_test.go).
	h.bin = filepath.Join(m.pluginDir, "rootfs", "dood-guard")
	// dockerd's denials say "by plugin dood-guard:latest: ..."; judge()
	// reads the name up to the first ':'.
	h.pluginName = managedName

	if err := h.startDockerd(""); err != nil {
		return err
	}
	// The plugin's output goes to dockerd's log; the tests read it from
	// h.pluginLog as in legacy mode.
	h.pluginLog = filepath.Join(h.tmp, "plugin.log")
	m.follow = followPluginLog(filepath.Join(h.dockerdDir, "dockerd.log"), h.pluginLog)
	if err := h.createPrivFixture(); err != nil {
		return err
	}
	start = time.Now()
	if out, err := h.installGuard(); err != nil {
		return fmt.Errorf("scripts/install.sh: %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "integration: scripts/install.sh installed and verified the guard in %v\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// installArgs point scripts/install.sh at the private daemon.
func (h *harness) installArgs() []string {
	return []string{
		"--name", h.pluginName,
		"--plugin-dir", h.managed.pluginDir,
		"--policy-dir", h.managed.policyDir,
		"--docker-host", "unix://" + h.docker.socket,
		"--daemon-json", filepath.Join(h.dockerdDir, "daemon.json"),
		"--pidfile", filepath.Join(h.dockerdDir, "exec", "dockerd.pid"),
	}
}

// runInstall runs scripts/install.sh with args; its output is also kept
// in install.log.
func (h *harness) runInstall(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(h.root, "scripts", "install.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "DG_DOCKER_CLI="+dockerCLI(), "DOCKER_CONFIG="+filepath.Join(h.dockerdDir, "cli"))
	out, err := cmd.CombinedOutput()
	if f, ferr := os.OpenFile(filepath.Join(h.tmp, "install.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); ferr == nil {
		fmt.Fprintf(f, "$ install.sh %s\n%s(%v)\n\n", strings.Join(args, " "), out, err)
		f.Close()
	}
	return string(out), err
}

// installGuard installs the guard as the suite runs it: the embedded
// policy, debug logs (as the legacy plugin), plus extra install.sh args.
func (h *harness) installGuard(extra ...string) (string, error) {
	args := append(h.installArgs(), "--set", "DG_LOG_LEVEL=debug", "--set", "DG_METRICS_ADDR=unix:///run/docker/plugins/metrics.sock")
	out, err := h.runInstall(append(args, extra...)...)
	if err != nil {
		return out, err
	}
	return out, h.refreshManaged()
}

func (h *harness) uninstallGuard() (string, error) {
	return h.runInstall(append(h.installArgs(), "--uninstall")...)
}

// refreshManaged reads the installed plugin's ID (through the guarded
// daemon) and derives its socket.
func (h *harness) refreshManaged() error {
	resp, err := h.docker.Do(rawRequest{Method: "GET", Target: api + "/plugins/" + h.pluginName + "/json", Timeout: 60 * time.Second})
	if err != nil {
		return err
	}
	var p struct {
		Id      string
		Enabled bool
	}
	if resp.Status != 200 || json.Unmarshal(resp.Body, &p) != nil || p.Id == "" {
		return fmt.Errorf("GET /plugins/%s/json: %s", h.pluginName, resp)
	}
	h.managed.id = p.Id
	h.pluginSock = filepath.Join("/run/docker/plugins", p.Id, "dood-guard.sock")
	// The plugin's /run/docker/plugins is this directory on the host.
	h.metricsSock = filepath.Join("/run/docker/plugins", p.Id, "metrics.sock")
	// Recorded so that a later run can remove the runtime directory if
	// this one dies before its teardown.
	f, err := os.OpenFile(filepath.Join(h.tmp, "managed-plugin-ids"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, p.Id)
	return err
}

// createPrivFixture creates (never enables) a plugin that asks for the
// host's everything, while the daemon is not guarded yet.
func (h *harness) createPrivFixture() error {
	dir := filepath.Join(h.tmp, "priv-plugin")
	if err := os.MkdirAll(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		return err
	}
	cfg := `{"description":"dg-it privileged fixture","interface":{"types":["docker.authz/1.0"],"socket":"p.sock"},` +
		`"entrypoint":["/nonexistent"],"network":{"type":"host"},"pidhost":true,"linux":{"allowAllDevices":true,` +
		`"capabilities":["CAP_SYS_ADMIN"]},"mounts":[{"type":"bind","source":"/","destination":"/host","options":["rbind"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(dockerCLI(), "-H", "unix://"+h.docker.socket, "plugin", "create", privFixture, dir)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(h.dockerdDir, "cli"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker plugin create %s (unguarded): %v\n%s", privFixture, err, out)
	}
	return nil
}

// teardownManaged runs after the daemon has stopped.
func (h *harness) teardownManaged() {
	if h.managed.follow != nil {
		h.managed.follow.stop()
	}
	sweepManagedRuntime(h.tmp)
}

// sweepManagedRuntime removes the plugin runtime directories (dockerd
// keeps managed plugins' sockets in /run/docker/plugins/ID, whatever its
// exec root) that the run in dir recorded and that are still there.
func sweepManagedRuntime(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "managed-plugin-ids"))
	if err != nil {
		return
	}
	for _, id := range strings.Fields(string(b)) {
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			continue
		}
		d := filepath.Join("/run/docker/plugins", id)
		if _, err := os.Stat(d); err == nil {
			_ = os.RemoveAll(d)
		}
	}
}

// --- the plugin's log ----------------------------------------------------

// logFollower copies the plugin's lines from dockerd's log (dockerd logs a
// managed plugin's output as msg="<line>" plugin=<id>) into a file of
// their own.
type logFollower struct {
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func followPluginLog(dockerdLog, out string) *logFollower {
	f := &logFollower{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		w, err := os.Create(out)
		if err != nil {
			return
		}
		defer w.Close()
		var off int64
		var partial string
		for {
			if r, err := os.Open(dockerdLog); err == nil {
				if _, err := r.Seek(off, io.SeekStart); err == nil {
					b, _ := io.ReadAll(r)
					off += int64(len(b))
					lines := strings.Split(partial+string(b), "\n")
					partial = lines[len(lines)-1]
					for _, l := range lines[:len(lines)-1] {
						if msg, ok := pluginLine(l); ok {
							fmt.Fprintln(w, msg)
						}
					}
				}
				r.Close()
			}
			select {
			case <-f.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return f
}

func (f *logFollower) stop() {
	f.once.Do(func() { close(f.quit) })
	<-f.done
}

func pluginLine(l string) (string, bool) {
	if !strings.Contains(l, " plugin=") {
		return "", false
	}
	i := strings.Index(l, ` msg="`)
	if i < 0 {
		return "", false
	}
	q, err := strconv.QuotedPrefix(l[i+5:])
	if err != nil {
		return "", false
	}
	msg, err := strconv.Unquote(q)
	return msg, err == nil
}

// waitPluginLog waits until the plugin's log has a line containing s
// after offset from.
func waitPluginLog(t *testing.T, from int64, s string, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(h.pluginLog); err == nil && int64(len(b)) >= from && strings.Contains(string(b[from:]), s) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func pluginLogSize() int64 {
	fi, err := os.Stat(h.pluginLog)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// --- the plugin's process -------------------------------------------------

// pluginPID finds the managed plugin's process on the host: the dood-guard
// entrypoint whose /run/docker/plugins is this plugin's runtime directory.
func pluginPID() int {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !strings.HasPrefix(string(cmdline), "/dood-guard\x00serve\x00") {
			continue
		}
		mi, err := os.ReadFile(filepath.Join(p, "mountinfo"))
		if err != nil || !strings.Contains(string(mi), "/docker/plugins/"+h.managed.id+" ") {
			continue
		}
		if st, err := os.ReadFile(filepath.Join(p, "status")); err == nil && strings.Contains(string(st), "State:\tZ") {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(p))
		return pid
	}
	return 0
}

func waitPluginPID(t *testing.T, not int, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if pid := pluginPID(); pid != 0 && pid != not {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0
}

// --- probes ---------------------------------------------------------------

var privBody = `{"Image":"` + image + `","HostConfig":{"Privileged":true}}`

func privilegedCreate() (*rawResponse, error) {
	return h.docker.Do(rawRequest{Method: "POST", Target: createPath, Header: [][2]string{{"Content-Type", "application/json"}},
		Body: []byte(privBody), Timeout: 90 * time.Second})
}

func getVersion() (*rawResponse, error) {
	return h.docker.Do(rawRequest{Method: "GET", Target: api + "/version", Timeout: 90 * time.Second})
}

// failsClosed: no answer, or a non-2xx one that did not create anything.
func failsClosed(t *testing.T, what string, resp *rawResponse, err error) {
	t.Helper()
	if err != nil {
		t.Logf("%s: no answer (%v): fails closed", what, err)
		return
	}
	if resp.Status/100 == 2 {
		if id := createdID(resp); id != "" {
			cleanupContainer(t, id)
		}
		t.Errorf("%s: %s — want a failure while the guard is down", what, resp)
		return
	}
	t.Logf("%s: %d %.200s", what, resp.Status, resp.Message())
}

// expectEnforcing: a privileged create is denied by the guard with
// DG-PRIV-001 and an ordinary request works.
func expectEnforcing(t *testing.T) {
	t.Helper()
	resp, err := privilegedCreate()
	if err != nil {
		t.Fatalf("privileged create: %v", err)
	}
	if id := createdID(resp); id != "" {
		cleanupContainer(t, id)
	}
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: "DG-PRIV-001"}, judge(resp, "DG-PRIV-001")); diff != "" {
		t.Errorf("privileged create (-want +got):\n%s\ndaemon said: %s", diff, resp)
	}
	if resp, err := getVersion(); err != nil || resp.Status != 200 {
		t.Errorf("GET /version: %v %s", err, resp)
	}
}

// guardHealthy: the plugin answers and the daemon asks it.
func guardHealthy() bool {
	resp, err := h.docker.Do(rawRequest{Method: "GET", Target: api + "/plugins/" + h.pluginName + "/json", Timeout: 40 * time.Second})
	if err != nil || resp.Status != 200 {
		return false
	}
	var p struct{ Enabled bool }
	if json.Unmarshal(resp.Body, &p) != nil || !p.Enabled {
		return false
	}
	resp, err = privilegedCreate()
	if id := createdID(resp); id != "" {
		deleteQuietly(api + "/containers/" + id + "?force=1")
	}
	return err == nil && resp.Status == 403 && strings.Contains(resp.Message(), "plugin "+h.pluginName)
}

// restoreGuard puts the suite's guard back (uninstall, install) when a test
// left it broken, so that the tests after it still run against a guard.
func restoreGuard(t *testing.T) {
	t.Helper()
	if guardHealthy() {
		return
	}
	t.Errorf("the guard was left disabled or not enforcing; reinstalling it")
	if out, err := h.uninstallGuard(); err != nil {
		t.Errorf("install.sh --uninstall: %v\n%s", err, out)
	}
	if out, err := h.installGuard(); err != nil {
		t.Errorf("install.sh: %v\n%s", err, out)
	}
}

// withGuardSettings reinstalls the managed guard with extra plugin settings
// (install.sh --force --set KEY=VALUE ...; e.g. "DG_PROFILE=restricted") for the rest
// of the test, and puts the suite's guard back when the test ends. About 9 s
// each way.
func withGuardSettings(t *testing.T, sets ...string) {
	t.Helper()
	requireManaged(t)
	args := []string{"--force"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	t.Cleanup(func() {
		if out, err := h.installGuard("--force"); err != nil {
			t.Errorf("restoring the suite's guard: %v\n%s", err, out)
		}
	})
	if out, err := h.installGuard(args...); err != nil {
		t.Fatalf("install.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// --- tests ----------------------------------------------------------------

// TestManagedInstall checks what scripts/install.sh left: the plugin as
// config.json declares it, enabled, and the daemon configured to ask it.
func TestManagedInstall(t *testing.T) {
	requireManaged(t)
	resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/plugins/" + managedName + "/json"})
	if resp.Status != 200 {
		t.Fatalf("GET /plugins/%s/json: %s", managedName, resp)
	}
	var p struct {
		Name    string
		Enabled bool
		Config  struct {
			Interface struct {
				Types  []string
				Socket string
			}
			Network struct{ Type string }
			Linux   struct {
				Capabilities    []string
				AllowAllDevices bool
			}
			PidHost, IpcHost bool
			PropagatedMount  string
		}
		Settings struct {
			Env    []string
			Mounts []struct {
				Name, Source, Destination string
				Options                   []string
			}
			Devices []any
		}
	}
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		t.Fatal(err)
	}
	type shape struct {
		Name, Network, Socket, PropagatedMount string
		Enabled, AllowAllDevices, PidHost, Ipc bool
		Types, Caps                            []string
		Devices                                int
	}
	got := shape{p.Name, p.Config.Network.Type, p.Config.Interface.Socket, p.Config.PropagatedMount,
		p.Enabled, p.Config.Linux.AllowAllDevices, p.Config.PidHost, p.Config.IpcHost,
		p.Config.Interface.Types, p.Config.Linux.Capabilities, len(p.Settings.Devices)}
	want := shape{Name: managedName + ":latest", Network: "none", Socket: "dood-guard.sock", Enabled: true,
		Types: []string{"docker.authz/1.0"}, Caps: []string{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("installed plugin (-want +got):\n%s", diff)
	}
	mounts := map[string]string{}
	for _, m := range p.Settings.Mounts {
		mounts[m.Destination] = m.Source + " " + strings.Join(m.Options, ",")
	}
	// Only the host root: nothing on the host needs preparing.
	wantMounts := map[string]string{"/host": "/ rbind,ro,rro"}
	if diff := cmp.Diff(wantMounts, mounts); diff != "" {
		t.Errorf("plugin mounts (-want +got):\n%s", diff)
	}
	if !contains(p.Settings.Env, "DG_LOG_LEVEL=debug") {
		t.Errorf("install.sh --set DG_LOG_LEVEL=debug not applied: %v", p.Settings.Env)
	}

	b, err := os.ReadFile(filepath.Join(h.dockerdDir, "daemon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dj map[string]any
	if err := json.Unmarshal(b, &dj); err != nil {
		t.Fatalf("daemon.json after install.sh: %v\n%s", err, b)
	}
	if diff := cmp.Diff([]any{managedName + ":latest"}, dj["authorization-plugins"]); diff != "" {
		t.Errorf("daemon.json authorization-plugins (-want +got):\n%s", diff)
	}
	if dj["deprecated-key-path"] == nil {
		t.Errorf("install.sh dropped the daemon.json keys it found: %s", b)
	}
	backups, _ := filepath.Glob(filepath.Join(h.dockerdDir, "daemon.json.dood-guard-*"))
	if len(backups) == 0 {
		t.Errorf("no daemon.json backup next to %s", filepath.Join(h.dockerdDir, "daemon.json"))
	}

	// The process: dockerd's default capability set (config.json adds
	// none), the host root read-only all the way down.
	pid := pluginPID()
	if pid == 0 {
		t.Fatal("plugin process not found")
	}
	mi, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	var rw []string
	for _, l := range strings.Split(string(mi), "\n") {
		f := strings.Fields(l)
		if len(f) > 5 && (f[4] == "/host" || strings.HasPrefix(f[4], "/host/")) && !strings.HasPrefix(f[5], "ro") {
			rw = append(rw, f[4])
		}
	}
	if len(rw) > 0 {
		t.Errorf("writable mounts under the plugin's /host: %v", rw)
	}
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "CapEff:") {
			t.Logf("plugin process %d: %s (dockerd's default set for plugins)", pid, l)
		}
	}
}

// selfCase is a request through the guarded socket that must be refused.
type selfCase struct {
	name, method, target, contentType string
	body                              func() []byte
}

// TestManagedSelfProtection: nothing that reaches the guarded socket can
// disable, remove, reconfigure, upgrade or replace the guard, or bring in a
// plugin that asks for privileges.
func TestManagedSelfProtection(t *testing.T) {
	requireManaged(t)
	t.Cleanup(func() { restoreGuard(t) })
	id := h.managed.id
	none := func() []byte { return nil }
	jsonBody := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	names := []string{managedName, managedName + ":latest", "docker.io/library/" + managedName + ":latest", "library/" + managedName, id, id[:12]}
	var cases []selfCase
	for _, n := range names {
		label := n
		switch n {
		case id:
			label = "full-id"
		case id[:12]:
			label = "id-prefix"
		}
		label = strings.ReplaceAll(label, "/", "_")
		cases = append(cases,
			selfCase{"disable/" + label, "POST", api + "/plugins/" + n + "/disable", "none", none},
			selfCase{"disable-force/" + label, "POST", api + "/plugins/" + n + "/disable?force=1", "none", none},
			selfCase{"remove/" + label, "DELETE", api + "/plugins/" + n, "none", none},
			selfCase{"remove-force/" + label, "DELETE", api + "/plugins/" + n + "?force=1", "none", none},
			selfCase{"set/" + label, "POST", api + "/plugins/" + n + "/set", "application/json", jsonBody(`["DG_POLICY_DIR=/tmp"]`)},
			selfCase{"upgrade/" + label, "POST", api + "/plugins/" + n + "/upgrade?remote=localhost%3A1%2Fevil%3Alatest", "application/json", jsonBody(`[]`)},
		)
	}
	cases = append(cases,
		selfCase{"disable/percent-encoded-name", "POST", api + "/plugins/dood%2Dguard/disable", "none", none},
		selfCase{"disable/unversioned", "POST", "/plugins/" + managedName + "/disable?force=1", "none", none},
		selfCase{"recreate/same-name", "POST", api + "/plugins/create?name=" + managedName, "application/x-tar", pluginTar},
		selfCase{"recreate/same-name-latest", "POST", api + "/plugins/create?name=" + managedName + "%3Alatest", "application/x-tar", pluginTar},
		selfCase{"recreate/other-tag", "POST", api + "/plugins/create?name=" + managedName + "%3Av2", "application/x-tar", pluginTar},
		selfCase{"pull/over-the-name", "POST", api + "/plugins/pull?remote=localhost%3A1%2Fevil%3Alatest&name=" + managedName, "application/json", jsonBody(`[]`)},
		// another plugin that asks for privileges
		selfCase{"other/create-privileged", "POST", api + "/plugins/create?name=dg-it-evil-plugin", "application/x-tar", pluginTar},
		selfCase{"other/enable-privileged", "POST", api + "/plugins/" + privFixture + "/enable?timeout=0", "none", none},
		selfCase{"other/set-privileged", "POST", api + "/plugins/" + privFixture + "/set", "application/json", jsonBody(`["DEBUG=1"]`)},
		selfCase{"other/upgrade-privileged", "POST", api + "/plugins/" + privFixture + "/upgrade?remote=localhost%3A1%2Fevil%3Alatest", "application/json",
			jsonBody(`[{"Name":"capabilities","Value":["CAP_SYS_ADMIN"]}]`)},
		selfCase{"other/pull-privileged", "POST", api + "/plugins/pull?remote=localhost%3A1%2Fevil%3Alatest&name=dg-it-evil-2", "application/json",
			jsonBody(`[{"Name":"network","Value":["host"]},{"Name":"mount","Value":["/"]},{"Name":"capabilities","Value":["CAP_SYS_ADMIN"]}]`)},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := rawRequest{Method: c.method, Target: c.target, Body: c.body()}
			if c.contentType != "none" {
				req.Header = [][2]string{{"Content-Type", c.contentType}}
			}
			resp := h.docker.do(t, req)
			if resp.Status/100 == 2 && strings.Contains(c.target, "dg-it-evil") {
				t.Cleanup(func() { deleteQuietly(api + "/plugins/dg-it-evil-plugin?force=1") })
			}
			got := judge(resp, "")
			got.Rule = ""
			if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName}, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s\ndaemon said: %s", c.method, c.target, diff, resp)
			} else {
				t.Logf("refused: %s", resp.Message())
			}
			if resp.Status/100 == 2 && !guardHealthy() {
				// A bypass that disabled the guard: put it back so the
				// other cases still test something.
				restoreGuard(t)
				id = h.managed.id
			}
		})
	}
	// And through the docker CLI, as an admin would type it.
	for _, args := range [][]string{
		{"plugin", "disable", managedName},
		{"plugin", "disable", "-f", managedName},
		{"plugin", "rm", "-f", managedName},
		{"plugin", "set", managedName, "DG_LOG_LEVEL=error"},
		{"plugin", "enable", privFixture},
	} {
		t.Run("cli/"+strings.Join(args, "-"), func(t *testing.T) {
			out, err := cli(t, nil, args...)
			if err == nil || !strings.Contains(out, "authorization denied by plugin "+h.pluginName) {
				t.Errorf("docker %s: want a denial by %s, got (%v):\n%s", strings.Join(args, " "), h.pluginName, err, out)
			}
			if err == nil {
				restoreGuard(t)
			}
		})
	}
	if !guardHealthy() {
		t.Errorf("after the self-protection cases the guard is not enabled and enforcing")
	}
}

// TestManagedPluginCrash kills the plugin's process: dockerd's plugin
// manager starts it again at once, and a request arriving meanwhile is
// never let through unjudged (dockerd's client retries, then fails).
func TestManagedPluginCrash(t *testing.T) {
	requireManaged(t)
	t.Cleanup(func() { restoreGuard(t) })
	expectEnforcing(t)
	old := pluginPID()
	if old == 0 {
		t.Fatal("plugin process not found")
	}
	var wg sync.WaitGroup
	var privResp *rawResponse
	var privErr error
	var privTook time.Duration
	killed := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := time.Now()
		privResp, privErr = privilegedCreate()
		privTook = time.Since(s)
	}()
	pid := waitPluginPID(t, old, 60*time.Second)
	restarted := time.Since(killed)
	if pid == 0 {
		t.Fatalf("the plugin manager did not restart the plugin within 60s")
	}
	var listening time.Duration
	for time.Since(killed) < 60*time.Second {
		if r, err := pluginCall(h.pluginSock, "/Plugin.Activate", nil); err == nil && r.Status == 200 {
			listening = time.Since(killed)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var served time.Duration
	for time.Since(killed) < 90*time.Second {
		if r, err := h.docker.Do(rawRequest{Method: "GET", Target: api + "/version", Timeout: 40 * time.Second}); err == nil && r.Status == 200 {
			served = time.Since(killed)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("MEASURE crash: new process after %v, plugin socket answering after %v, first GET /version answered 200 after %v",
		restarted.Round(time.Millisecond), listening.Round(time.Millisecond), served.Round(time.Millisecond))
	t.Logf("MEASURE crash: privileged create sent right after the kill: %v %s (took %v)", privErr, privResp, privTook.Round(time.Millisecond))
	if served == 0 {
		t.Errorf("calls did not work again within 90s of the kill")
	}
	if privErr == nil {
		if id := createdID(privResp); id != "" {
			cleanupContainer(t, id)
		}
		if privResp.Status/100 == 2 {
			t.Errorf("privileged create during the restart was let through: %s", privResp)
		}
	}
	expectEnforcing(t)
}

// TestManagedPluginHung stops the plugin's process (a hung plugin): dockerd
// waits for its managed-plugin client timeout, then fails the call.
func TestManagedPluginHung(t *testing.T) {
	requireManaged(t)
	pid := pluginPID()
	if pid == 0 {
		t.Fatal("plugin process not found")
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(func() { resume(); restoreGuard(t) })
	var wg sync.WaitGroup
	type result struct {
		resp *rawResponse
		err  error
		took time.Duration
	}
	var ver, priv result
	wg.Add(2)
	go func() {
		defer wg.Done()
		s := time.Now()
		ver.resp, ver.err = getVersion()
		ver.took = time.Since(s)
	}()
	go func() {
		defer wg.Done()
		s := time.Now()
		priv.resp, priv.err = privilegedCreate()
		priv.took = time.Since(s)
	}()
	wg.Wait()
	resume()
	t.Logf("MEASURE hung: GET /version took %v; privileged create took %v", ver.took.Round(time.Millisecond), priv.took.Round(time.Millisecond))
	failsClosed(t, "GET /version while the plugin is stopped", ver.resp, ver.err)
	failsClosed(t, "privileged create while the plugin is stopped", priv.resp, priv.err)
	expectEnforcing(t)
}

// usePolicyFiles writes the library as files into the host policy
// directory, reinstalls the plugin pointed at them and checks that a benign
// create passes. It returns the directory; the caller restores the guard.
func usePolicyFiles(t *testing.T) string {
	t.Helper()
	// The library as files in the host policy directory, and the plugin
	// pointed at them.
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	// Written beside, then renamed into place: the watcher loads the
	// whole directory once, not a half-written one.
	dir := filepath.Join(h.configDir, "policies")
	stage := filepath.Join(h.configDir, ".policies-stage")
	t.Cleanup(func() {
		from := pluginLogSize()
		os.RemoveAll(dir)
		os.RemoveAll(stage)
		waitReload(t, from, "policy reloaded", 15*time.Second) // back on the embedded policy
	})
	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(stage, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(mods[n]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	from := pluginLogSize()
	start := time.Now()
	if err := os.Rename(stage, dir); err != nil {
		t.Fatal(err)
	}
	// No reinstall and no signal: the plugin watches its config dir.
	if !waitReload(t, from, "policy reloaded", 15*time.Second) {
		t.Fatalf("the plugin did not reload after policies/ appeared in its config dir:\n%s", tail(h.pluginLog, 10))
	}
	t.Logf("MEASURE policy files picked up by the watcher: %v", time.Since(start).Round(time.Millisecond))
	expectEnforcing(t)
	benign := h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"true"}})
	if id := createdID(benign); id == "" {
		t.Fatalf("benign create on the policy from files: %s", benign)
	} else {
		cleanupContainer(t, id)
	}

	return dir
}

// TestManagedReloadForgetsRememberedOutcomes: the guard answers a repeated
// request from memory, but a policy reloaded on SIGHUP judges it anew.
func TestManagedReloadForgetsRememberedOutcomes(t *testing.T) {
	requireManaged(t)
	t.Cleanup(func() { restoreGuard(t) })
	dir := usePolicyFiles(t)
	body := map[string]any{"Image": image, "Cmd": []string{"true"}, "Labels": map[string]string{"ci.job": "frozen"}}
	for i := range 3 { // the first is evaluated, the others remembered
		r := h.docker.jsonReq(t, "POST", createPath, body)
		id := createdID(r)
		if id == "" {
			t.Fatalf("create %d before the reload: %s", i, r)
		}
		cleanupContainer(t, id)
	}
	rule := filepath.Join(dir, "team", "frozen.rego")
	if err := os.MkdirAll(filepath.Dir(rule), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rule, []byte(`package dood.rules.frozen

violation contains {"id": "TEAM-001", "msg": "job frozen", "path": "Labels"} if {
	input.endpoint == "container.create"
	input.body.Labels["ci.job"] == "frozen"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	from := pluginLogSize()
	if err := syscall.Kill(pluginPID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitPluginLog(t, from, "policy reloaded", 10*time.Second) {
		t.Fatalf("no \"policy reloaded\" in the plugin's log after SIGHUP:\n%s", tail(h.pluginLog, 10))
	}
	r := h.docker.jsonReq(t, "POST", createPath, body)
	if id := createdID(r); id != "" {
		cleanupContainer(t, id)
	}
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: "TEAM-001"}, judge(r, "TEAM-001")); diff != "" {
		t.Errorf("the same create after the reload (-want +got):\n%s\ndaemon said: %s", diff, r)
	}
}

// TestManagedBrokenPolicy: a policy directory that becomes unparsable never
// opens the door. On SIGHUP the last good policy keeps serving; a plugin
// (re)start with it fails, the plugin stays down and every call fails
// (500) until the admin breaks glass — here with install.sh --uninstall,
// which works while the guard is down — and reinstalls.
func TestManagedBrokenPolicy(t *testing.T) {
	requireManaged(t)
	t.Cleanup(func() { restoreGuard(t) })
	dir := usePolicyFiles(t)

	// 1. The directory becomes unparsable and the plugin is told to reload.
	broken := filepath.Join(dir, "broken.rego")
	if err := os.WriteFile(broken, []byte("package dood.rules.broken\n\nthis is not rego (\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := pluginPID()
	if pid == 0 {
		t.Fatal("plugin process not found")
	}
	from := pluginLogSize()
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitPluginLog(t, from, "keeping the last good policy", 10*time.Second) {
		t.Errorf("no \"keeping the last good policy\" in the plugin's log after SIGHUP:\n%s", tail(h.pluginLog, 10))
	}
	expectEnforcing(t)
	if r := h.docker.jsonReq(t, "POST", createPath, map[string]any{"Image": image, "Cmd": []string{"true"}}); createdID(r) == "" {
		t.Errorf("benign create after a failed reload: %s — want the last good policy to keep serving", r)
	} else {
		cleanupContainer(t, createdID(r))
	}

	// 2. The plugin restarts with it (a crash, a daemon or host restart).
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !waitPluginLog(t, from, "dood-guard stopped", 20*time.Second) {
		t.Logf("the restarted plugin's refusal is not in its log:\n%s", tail(h.pluginLog, 10))
	}
	resp, err := getVersion()
	took := time.Since(killed)
	failsClosed(t, "GET /version with a plugin that cannot start", resp, err)
	resp, err = privilegedCreate()
	failsClosed(t, "privileged create with a plugin that cannot start", resp, err)
	if p := pluginPID(); p != 0 {
		t.Errorf("a plugin process %d is running with a broken policy", p)
	}
	t.Logf("MEASURE broken policy: first call after the kill failed after %v; the plugin manager does not retry a plugin that failed to start", took.Round(time.Millisecond))

	// 3. Break glass: fix the policy, take the guard out of daemon.json
	// (install.sh --uninstall does it while every call fails), reinstall.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := h.uninstallGuard(); err != nil {
		t.Fatalf("install.sh --uninstall with the guard down: %v\n%s", err, out)
	}
	t.Logf("MEASURE install.sh --uninstall with the guard down: %v", time.Since(start).Round(time.Millisecond))
	if r, err := getVersion(); err != nil || r.Status != 200 {
		t.Errorf("after uninstall: GET /version %v %s", err, r)
	}
	if r := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/plugins/" + managedName + "/json"}); r.Status != 404 {
		t.Errorf("after uninstall the plugin is still there: %s", r)
	}
	start = time.Now()
	if out, err := h.installGuard(); err != nil {
		t.Fatalf("install.sh after break-glass: %v\n%s", err, out)
	}
	t.Logf("MEASURE install.sh (install + verify): %v", time.Since(start).Round(time.Millisecond))
	expectEnforcing(t)
}

// TestHostAwareBindSources: a bind source is judged by what the host will
// mount, symlinks followed on the host — in managed mode through the
// plugin's read-only host-root mount (/host, DG_HOST_ROOT). A workspace
// symlink to /etc is refused; the same link to a workspace directory is not.
// Runs in both modes.
func TestHostAwareBindSources(t *testing.T) {
	requireImage(t)
	base := filepath.Dir(h.workspace) // .../srv/ci
	links := map[string]string{"link-to-etc": "/etc", "link-to-workspace": h.workspace, "link-to-docker-sock": h.docker.socket}
	for name, target := range links {
		p := filepath.Join(base, name)
		_ = os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(p) })
	}
	for _, c := range []struct {
		link string
		deny bool
	}{
		{"link-to-etc", true},
		{"link-to-docker-sock", true},
		{"link-to-workspace", false},
	} {
		t.Run(c.link, func(t *testing.T) {
			body := map[string]any{"Image": image, "Cmd": []string{"true"},
				"HostConfig": map[string]any{"Binds": []string{filepath.Join(base, c.link) + ":/x:ro"}}}
			resp := h.docker.jsonReq(t, "POST", createPath, body)
			if id := createdID(resp); id != "" {
				cleanupContainer(t, id)
			}
			if !c.deny {
				if resp.Status != 201 {
					t.Errorf("bind of a symlink to the workspace: want 201, got %s", resp)
				}
				return
			}
			got := judge(resp, "DG-MNT-001|DG-MNT-003")
			if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: "DG-MNT-001|DG-MNT-003"}, got); diff != "" {
				t.Errorf("bind of %s (-want +got):\n%s\ndaemon said: %s", c.link, diff, resp)
			}
		})
	}
}

// TestSameBindAfterTheHostChanged: the same create, byte for byte, is
// judged again when the host path behind its bind source changes — the
// guard never answers a host-resolved bind from memory. Runs in both
// modes.
func TestSameBindAfterTheHostChanged(t *testing.T) {
	requireImage(t)
	link := filepath.Join(filepath.Dir(h.workspace), "swapped")
	point := func(target string) {
		t.Helper()
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Remove(link) })
	body := map[string]any{"Image": image, "Cmd": []string{"true"},
		"HostConfig": map[string]any{"Binds": []string{link + ":/x:ro"}}}
	for _, step := range []struct {
		target string
		deny   bool
	}{
		{h.workspace, false}, {h.workspace, false}, {"/etc", true}, {h.workspace, false},
	} {
		point(step.target)
		r := h.docker.jsonReq(t, "POST", createPath, body)
		if id := createdID(r); id != "" {
			cleanupContainer(t, id)
		}
		if !step.deny {
			if r.Status != 201 {
				t.Fatalf("bind while the link points at %s: want 201, got %s", step.target, r)
			}
			continue
		}
		if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: "DG-MNT-001"}, judge(r, "DG-MNT-001")); diff != "" {
			t.Errorf("the same create once the link points at /etc (-want +got):\n%s\ndaemon said: %s", diff, r)
		}
	}
}

// TestManagedSettings: configuration through the plugin's environment
// (docker plugin set, here by install.sh --set) reaches the guard: the
// restricted profile refuses a root container the baseline allows, and the
// log turns to text.
func TestManagedSettings(t *testing.T) {
	requireManaged(t)
	requireImage(t)
	rootCreate := map[string]any{"Image": image, "Cmd": []string{"true"}}
	if r := h.docker.jsonReq(t, "POST", createPath, rootCreate); createdID(r) == "" {
		t.Fatalf("baseline: an ordinary root container: want 201, got %s", r)
	} else {
		cleanupContainer(t, createdID(r))
	}
	withGuardSettings(t, "DG_PROFILE=restricted", "DG_LOG_FORMAT=text")
	resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/plugins/" + managedName + "/json"})
	var p struct{ Settings struct{ Env []string } }
	_ = json.Unmarshal(resp.Body, &p)
	for _, want := range []string{"DG_PROFILE=restricted", "DG_LOG_FORMAT=text"} {
		if !contains(p.Settings.Env, want) {
			t.Errorf("plugin settings lack %s: %v", want, p.Settings.Env)
		}
	}
	from := pluginLogSize()
	r := h.docker.jsonReq(t, "POST", createPath, rootCreate)
	if id := createdID(r); id != "" {
		cleanupContainer(t, id)
	}
	got := judge(r, "")
	got.Rule = ""
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName}, got); diff != "" {
		t.Errorf("restricted: a root container (-want +got):\n%s\ndaemon said: %s", diff, r)
	} else {
		t.Logf("restricted: %s", r.Message())
	}
	if !waitPluginLog(t, from, `msg="request denied"`, 5*time.Second) {
		t.Errorf("DG_LOG_FORMAT=text: no text decision line in the plugin's log:\n%s", tail(h.pluginLog, 5))
	}
}
