//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// image is the busybox test image imported by TestMain.
const image = "dood-guard-busybox"

// api is the /vX.Y prefix the tests' requests carry: the newest version the
// daemon under test speaks (GET /version's ApiVersion: 1.41 on 20.10, 1.56
// on the pinned 29), as a current client of that daemon sends. The harness
// sets it once the daemon answers. Tables built when the package initialises
// (before any daemon runs) hold apiToken in its place, which the client
// replaces with api when it sends the request. apiAt gives another
// version's prefix.
var api = apiToken

// apiToken stands for api in a request target until the daemon's version is
// known (unixClient.Open expands it).
const apiToken = "/v{api}"

// apiAt is the prefix of API version v ("1.44" -> "/v1.44").
func apiAt(v string) string { return "/v" + v }

// Engines the suite runs against (DG_IT_ENGINE; scripts/lib/engine.sh
// builds and pins them).
const (
	engine2010 = "20.10" // Debian's docker.io, dockerd 20.10.24
	engine29   = "29"    // dockerd from github.com/moby/moby/v2, Docker 29
)

func itEngine() (string, error) {
	switch e := os.Getenv("DG_IT_ENGINE"); e {
	case "", engine2010:
		return engine2010, nil
	case engine29:
		return e, nil
	default:
		return "", fmt.Errorf("DG_IT_ENGINE=%q: want %s or %s", e, engine2010, engine29)
	}
}

// daemonVersion is what the daemon under test says of itself (GET /version).
type daemonVersion struct {
	Version       string // "20.10.24", "29.8.0"
	APIVersion    string `json:"ApiVersion"` // newest API version; the default for unprefixed paths
	MinAPIVersion string // below it the daemon refuses the request
}

// harness is the running test environment.
type harness struct {
	// mode is how the plugin under test runs (DG_IT_MODE): modeLegacy, a
	// process serving /run/docker/plugins/NAME.sock, or modeManaged, a
	// `docker plugin` installed by scripts/install.sh (managed_test.go).
	mode string
	// engine is the daemon under test (DG_IT_ENGINE): engine2010 or
	// engine29; daemon is its GET /version, read once it answers.
	engine     string
	daemon     daemonVersion
	root       string // module root
	tmp        string // everything temporary lives here
	bin        string // the dood-guard binary under test
	pluginName string // the name in dockerd's denials, up to the first ':'
	pluginSock string
	pluginLog  string
	managed    managedState // modeManaged only
	pluginCmd  *exec.Cmd
	pluginDone chan error

	dockerdDir  string
	dockerdLog  string // output of start-dockerd.sh run
	dockerdCmd  *exec.Cmd
	dockerdDone chan error
	docker      *unixClient // the guarded daemon's API (in modeFront, the front's socket)
	direct      *unixClient // the daemon's own socket, behind the front in modeFront
	frontSock   string      // modeFront: the socket front's socket
	workspace   string      // a CI workspace directory to bind-mount
	// configDir is the guard's --config-dir (policies/, rules/, data.yaml;
	// watched), in both modes; metricsSock is where its metrics are served
	// (rollout_test.go).
	configDir   string
	metricsSock string
	// policyFlags, when set, replace --config-dir for the guard's next
	// start (fleet_test.go: --config).
	policyFlags []string

	teardownOnce sync.Once
}

var (
	h *harness
	// setupErr is why the environment could not be built; every test
	// fails with it (prerequisites missing is a failure, not a skip).
	setupErr error
	// imageErr is why the test image could not be imported.
	imageErr error
)

func TestMain(m *testing.M) {
	// Children get a parent-death signal; it fires when the thread that
	// started them exits, so keep this goroutine on the main thread.
	runtime.LockOSThread()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	h = &harness{}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "integration: got %v, tearing down\n", s)
		h.teardown(true)
		os.Exit(130)
	}()

	setupErr = h.setup()
	if setupErr != nil {
		fmt.Fprintf(os.Stderr, "\nintegration: SETUP FAILED: %v\n\n", setupErr)
	}
	code := m.Run()
	h.teardown(code != 0 || setupErr != nil)
	return code
}

// requireEnv fails the test when the environment could not be set up.
func requireEnv(t testing.TB) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("integration environment not available: %v", setupErr)
	}
}

// requireImage also needs the imported test image.
func requireImage(t testing.TB) {
	t.Helper()
	requireEnv(t)
	if imageErr != nil {
		t.Fatalf("test image not available: %v", imageErr)
	}
}

func (h *harness) setup() error {
	var err error
	if h.mode, err = itMode(); err != nil {
		return err
	}
	if h.engine, err = itEngine(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "integration: mode %s (DG_IT_MODE), engine %s (DG_IT_ENGINE)\n", h.mode, h.engine)
	if err := checkPrereqs(); err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	h.root = filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(h.root, "go.mod")); err != nil {
		return fmt.Errorf("module root not found above %s: %v", wd, err)
	}
	if err := h.buildEngine(); err != nil {
		return err
	}
	// Every daemon the suite starts through scripts/start-dockerd.sh (the
	// state test's second one too) runs this engine.
	os.Setenv("DG_ENGINE", h.engine)
	sweepStale(h.root)
	// Short: unix socket paths under it must stay below 108 bytes.
	h.tmp, err = os.MkdirTemp("", "dg-it.")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(h.tmp, "harness.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	h.workspace = filepath.Join(h.tmp, "srv", "ci", "workspace")
	if err := os.MkdirAll(h.workspace, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(h.workspace, "README"), []byte("workspace file\n"), 0o644); err != nil {
		return err
	}

	h.configDir = filepath.Join(h.tmp, "etc-dood-guard")
	if h.mode == modeManaged {
		// Build, start the daemon unguarded, install the guard into it
		// with scripts/install.sh.
		if err := h.setupManaged(); err != nil {
			return err
		}
	} else if h.mode == modeFront {
		// Build, start the daemon with no plugin, put the front before it.
		if err := h.setupFront(); err != nil {
			return err
		}
	} else {
		if err := h.buildPlugin(); err != nil {
			return err
		}
		if err := h.startPlugin(); err != nil {
			return err
		}
		if err := h.startDockerd(h.pluginName); err != nil {
			return err
		}
	}
	imageErr = h.importImage()
	if imageErr != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", imageErr)
	}
	return nil
}

// sweepStale removes what an earlier run left when its test binary was
// killed (a go test -timeout panic skips TestMain's teardown; the children
// die with it through their parent-death signal, but the plugin socket, the
// temporary directory and the containers' cgroups stay).
//
// A run whose PID is not alive here may still be running where PIDs read
// differently (another PID namespace sharing /tmp and /run): what it serves
// is the proof of life, so a socket that still accepts connections is never
// taken for stale.
func sweepStale(root string) {
	alive := func(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }
	listening := func(sock string) bool {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	socks, _ := filepath.Glob("/run/docker/plugins/dood-guard-it-*.sock")
	for _, s := range socks {
		pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(s), "dood-guard-it-"), ".sock"))
		if err == nil && !alive(pid) && !listening(s) {
			fmt.Fprintf(os.Stderr, "integration: removing stale plugin socket %s\n", s)
			_ = os.Remove(s)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "dg-it.*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "harness.pid"))
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || alive(pid) || listening(filepath.Join(d, "dockerd", "docker.sock")) {
			continue // not ours, or still running (its daemon dies with it)
		}
		fmt.Fprintf(os.Stderr, "integration: cleaning up after an earlier run that died: %s\n", d)
		if _, err := os.Stat(filepath.Join(d, "dockerd", ".dood-guard-dockerd")); err == nil {
			out, err := exec.Command("bash", filepath.Join(root, "scripts", "start-dockerd.sh"), "stop", filepath.Join(d, "dockerd")).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "integration: %v\n%s\n", err, out)
				continue
			}
		}
		sweepManagedRuntime(d)
		if len(mountsUnder(d)) == 0 {
			_ = os.RemoveAll(d)
		}
	}
}

func checkPrereqs() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (run the integration tests as root: sudo scripts/test.sh)")
	}
	for _, c := range []string{"dockerd", "containerd", "containerd-shim-runc-v2", "runc", "unshare", "ip", "bash", "tar", "chroot"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	cli := os.Getenv("DG_DOCKER_CLI")
	if cli == "" {
		cli = "/usr/bin/docker"
	}
	if _, err := os.Stat(cli); err != nil {
		missing = append(missing, "docker CLI "+cli)
	}
	bb := false
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			bb = true
		}
	}
	if !bb {
		missing = append(missing, "busybox (busybox-static)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("prerequisites missing: %s\n  install them with: apt-get install -y docker.io busybox-static iproute2 (or run bash .ci/run)", strings.Join(missing, ", "))
	}
	return nil
}

func (h *harness) buildPlugin() error {
	if b := os.Getenv("DOOD_GUARD_BIN"); b != "" {
		abs, err := filepath.Abs(b)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("DOOD_GUARD_BIN: %v", err)
		}
		h.bin = abs
		return nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	h.bin = filepath.Join(h.tmp, "dood-guard")
	cmd := exec.Command(goBin, "build", "-o", h.bin, "./cmd/dood-guard")
	cmd.Dir = h.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/dood-guard: %v\n%s", err, out)
	}
	return nil
}

func childAttr() *syscall.SysProcAttr {
	// Own process group (a terminal's ^C reaches only the test binary,
	// which tears down in order); killed if the test binary dies.
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func (h *harness) startPlugin() error {
	h.pluginName = fmt.Sprintf("dood-guard-it-%d", os.Getpid())
	if err := os.MkdirAll("/run/docker/plugins", 0o755); err != nil {
		return err
	}
	h.pluginSock = filepath.Join("/run/docker/plugins", h.pluginName+".sock")
	h.pluginLog = filepath.Join(h.tmp, "plugin.log")
	h.metricsSock = filepath.Join(h.tmp, "metrics.sock")
	return h.runPlugin()
}

// runPlugin starts the legacy plugin process (again) and waits until it
// answers; env is added to its environment (DG_* settings).
func (h *harness) runPlugin(env ...string) error {
	if h.mode == modeFront {
		return h.runFront(env...)
	}
	// The daemon the plugin looks state up in is the private one (started next).
	args := append([]string{"serve", "--socket", h.pluginSock, "--log-format", "json", "--log-level", "debug",
		"--docker-host", "unix://" + filepath.Join(h.tmp, "dockerd", "docker.sock")}, h.policyArgs()...)
	return h.runGuardProcess("plugin", args, env, func() (bool, error) {
		resp, err := pluginCall(h.pluginSock, "/Plugin.Activate", []byte("{}"))
		if err != nil {
			return false, nil
		}
		var a struct{ Implements []string }
		if resp.Status == 200 && json.Unmarshal(resp.Body, &a) == nil && contains(a.Implements, "authz") {
			return true, nil
		}
		return false, fmt.Errorf("plugin answered /Plugin.Activate with %s, want 200 {\"Implements\":[\"authz\"]}", resp)
	})
}

// runGuardProcess starts the guard under test (the legacy plugin or the
// socket front: what) with args, its metrics on h.metricsSock and env
// added to its environment, logging to h.pluginLog, and waits up to 30s
// until ready says it answers (an error from ready ends the wait).
func (h *harness) runGuardProcess(what string, args, env []string, ready func() (bool, error)) error {
	logf, err := os.OpenFile(h.pluginLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	h.pluginCmd = exec.Command(h.bin, append(args, "--metrics-addr", "unix://"+h.metricsSock)...)
	h.pluginCmd.Env = append(os.Environ(), env...)
	h.pluginCmd.Stdout, h.pluginCmd.Stderr = logf, logf
	h.pluginCmd.SysProcAttr = childAttr()
	if err := h.pluginCmd.Start(); err != nil {
		return fmt.Errorf("start the %s: %v", what, err)
	}
	h.pluginDone = make(chan error, 1)
	go func() { h.pluginDone <- h.pluginCmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.pluginDone:
			h.pluginDone <- err
			return fmt.Errorf("%s exited during start-up (%v):\n%s", what, err, tail(h.pluginLog, 30))
		default:
		}
		ok, err := ready()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within 30s:\n%s", what, tail(h.pluginLog, 30))
}

// policyArgs say where the guard under test takes its policy from: the
// config dir, or what a test set in h.policyFlags.
func (h *harness) policyArgs() []string {
	if h.policyFlags != nil {
		return h.policyFlags
	}
	return []string{"--config-dir", h.configDir}
}

// pluginCall POSTs a body straight to a plugin socket.
func pluginCall(sock, path string, body []byte) (*rawResponse, error) {
	c := &unixClient{socket: sock}
	return c.Do(rawRequest{
		Method:  "POST",
		Target:  path,
		Header:  [][2]string{{"Content-Type", "application/vnd.docker.plugins.v1.2+json"}, {"Accept", "application/vnd.docker.plugins.v1.2+json"}},
		Body:    body,
		Timeout: 10 * time.Second,
	})
}

func (h *harness) script() string { return filepath.Join(h.root, "scripts", "start-dockerd.sh") }

// buildEngine makes sure the engine's binaries exist: scripts/build-engine.sh
// builds Docker 29 once into its cache outside the tree (minutes the first
// time, nothing after) and checks that 20.10 is installed.
func (h *harness) buildEngine() error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(h.root, "scripts", "build-engine.sh"), h.engine)
	cmd.Dir = h.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/build-engine.sh %s: %v\n%s", h.engine, err, out)
	}
	fmt.Fprintf(os.Stderr, "integration: engine %s ready in %v\n", h.engine, time.Since(start).Round(time.Millisecond))
	return nil
}

// readDaemonVersion asks the daemon under test what it is (an unprefixed
// GET /version, which every policy allows), checks it is the engine asked
// for, and points the tests' api prefix at its newest API version.
func (h *harness) readDaemonVersion() error {
	resp, err := h.docker.Do(rawRequest{Method: "GET", Target: "/version", Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("GET /version: %v", err)
	}
	if resp.Status != 200 {
		return fmt.Errorf("GET /version: want 200, got %s", resp)
	}
	var v daemonVersion
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		return fmt.Errorf("GET /version: %v", err)
	}
	if !strings.HasPrefix(v.Version, h.engine+".") || v.APIVersion == "" || v.MinAPIVersion == "" {
		return fmt.Errorf("GET /version: the daemon says %+v; want engine %s (DG_IT_ENGINE)", v, h.engine)
	}
	h.daemon = v
	api = apiAt(v.APIVersion)
	createPath = api + "/containers/create"
	fmt.Fprintf(os.Stderr, "integration: dockerd %s, API %s (minimum %s); requests use %s\n", v.Version, v.APIVersion, v.MinAPIVersion, api)
	return nil
}

// startDockerd starts the private daemon, with plugin as its
// --authorization-plugin unless plugin is "".
func (h *harness) startDockerd(plugin string) error {
	h.dockerdDir = filepath.Join(h.tmp, "dockerd")
	h.dockerdLog = filepath.Join(h.tmp, "start-dockerd.log")
	logf, err := os.Create(h.dockerdLog)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{h.script(), "run", "--dir", h.dockerdDir, "--engine", h.engine}
	if plugin != "" {
		args = append(args, "--authorization-plugin", plugin)
	}
	h.dockerdCmd = exec.Command("bash", args...)
	h.dockerdCmd.Stdout, h.dockerdCmd.Stderr = logf, logf
	h.dockerdCmd.SysProcAttr = childAttr()
	if err := h.dockerdCmd.Start(); err != nil {
		return fmt.Errorf("start dockerd: %v", err)
	}
	h.dockerdDone = make(chan error, 1)
	go func() { h.dockerdDone <- h.dockerdCmd.Wait() }()

	h.docker = &unixClient{socket: filepath.Join(h.dockerdDir, "docker.sock")}
	h.direct = h.docker
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.dockerdDone:
			h.dockerdDone <- err
			return fmt.Errorf("private dockerd exited during start-up (%v):\n%s\n--- dockerd.log:\n%s", err,
				tail(h.dockerdLog, 20), tail(filepath.Join(h.dockerdDir, "dockerd.log"), 30))
		default:
		}
		// Any HTTP answer means the API is up; whether _ping is allowed
		// is asserted by the benign tests.
		if _, err := h.docker.Do(rawRequest{Method: "GET", Target: "/_ping", Timeout: 5 * time.Second}); err == nil {
			return h.readDaemonVersion()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("private dockerd did not answer /_ping within 90s:\n%s", tail(filepath.Join(h.dockerdDir, "dockerd.log"), 30))
}

func (h *harness) importImage() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", h.script(), "image", h.dockerdDir, image+":latest")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("importing %s through the guarded daemon failed (%v) — is POST /images/create?fromSrc=- denied by the default policy?\n%s", image, err, out)
	}
	return nil
}

// teardown removes every container, stops dockerd and the plugin, and
// removes the sockets and temporary files. Safe to call more than once.
func (h *harness) teardown(failed bool) {
	h.teardownOnce.Do(func() {
		if h.docker != nil && h.dockerdCmd != nil {
			removeAllContainers()
		}
		if failed && h.tmp != "" {
			h.dumpLogs()
		}
		if h.dockerdCmd != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			out, err := exec.CommandContext(ctx, "bash", h.script(), "stop", h.dockerdDir).CombinedOutput()
			cancel()
			if err != nil {
				fmt.Fprintf(os.Stderr, "integration: stopping dockerd: %v\n%s\n", err, out)
			}
			select {
			case <-h.dockerdDone:
			case <-time.After(30 * time.Second):
				_ = syscall.Kill(-h.dockerdCmd.Process.Pid, syscall.SIGKILL)
				<-h.dockerdDone
			}
		}
		if h.mode == modeManaged {
			h.teardownManaged()
		}
		if h.pluginCmd != nil {
			_ = h.pluginCmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-h.pluginDone:
			case <-time.After(10 * time.Second):
				fmt.Fprintf(os.Stderr, "integration: plugin did not exit on SIGTERM within 10s; killing it\n")
				_ = h.pluginCmd.Process.Kill()
				<-h.pluginDone
			}
		}
		if h.pluginSock != "" && h.mode != modeManaged {
			if _, err := os.Stat(h.pluginSock); err == nil {
				fmt.Fprintf(os.Stderr, "integration: note: plugin left its socket %s behind after SIGTERM; removing it\n", h.pluginSock)
				_ = os.Remove(h.pluginSock)
			}
		}
		if h.tmp != "" {
			if m := mountsUnder(h.tmp); len(m) > 0 {
				fmt.Fprintf(os.Stderr, "integration: NOT removing %s: still mounted: %v\n", h.tmp, m)
			} else if os.Getenv("DG_IT_KEEP") != "" {
				fmt.Fprintf(os.Stderr, "integration: DG_IT_KEEP set: leaving %s\n", h.tmp)
			} else {
				_ = os.RemoveAll(h.tmp)
			}
		}
	})
}

func removeAllContainers() {
	resp, err := h.docker.Do(rawRequest{Method: "GET", Target: api + "/containers/json?all=1", Timeout: 20 * time.Second})
	if err != nil || resp.Status != 200 {
		fmt.Fprintf(os.Stderr, "integration: listing containers for clean-up: %v %s\n", err, resp)
		return
	}
	var list []struct{ ID string }
	_ = json.Unmarshal(resp.Body, &list)
	for _, c := range list {
		r, err := h.docker.Do(rawRequest{Method: "DELETE", Target: api + "/containers/" + c.ID + "?force=1&v=1", Timeout: 30 * time.Second})
		if err != nil || r.Status != 204 {
			fmt.Fprintf(os.Stderr, "integration: removing container %.12s: %v %s\n", c.ID, err, r)
		}
	}
}

func (h *harness) dumpLogs() {
	for _, f := range []string{h.pluginLog, h.dockerdLog, filepath.Join(h.dockerdDir, "dockerd.log")} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "\n--- last lines of %s:\n%s\n", f, tail(f, 40))
	}
}

func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	return out
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 600 {
			lines[i] = l[:600] + "..."
		}
	}
	return strings.Join(lines, "\n")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// --- helpers for tests -------------------------------------------------

// createdID extracts the Id of a 201 container create.
func createdID(resp *rawResponse) string {
	var c struct{ Id string }
	if resp != nil && resp.Status == 201 && json.Unmarshal(resp.Body, &c) == nil {
		return c.Id
	}
	return ""
}

// cleanupContainer force-removes the container when the test ends.
func cleanupContainer(t testing.TB, id string) {
	t.Helper()
	if id == "" {
		return
	}
	t.Cleanup(func() {
		r, err := h.docker.Do(rawRequest{Method: "DELETE", Target: api + "/containers/" + id + "?force=1&v=1", Timeout: 30 * time.Second})
		if err != nil || (r.Status != 204 && r.Status != 404) {
			t.Errorf("clean-up: removing container %.12s: %v %s", id, err, r)
		}
	})
}

// createContainer creates a container from body (201 expected) and
// registers its removal.
func createContainer(t testing.TB, body any) string {
	t.Helper()
	resp := h.docker.jsonReq(t, "POST", api+"/containers/create", body)
	id := createdID(resp)
	if id == "" {
		t.Fatalf("container create: want 201, got %s", resp)
	}
	cleanupContainer(t, id)
	return id
}

func startContainer(t testing.TB, id string) {
	t.Helper()
	resp := h.docker.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + id + "/start"})
	if resp.Status != 204 {
		t.Fatalf("start %.12s: want 204, got %s", id, resp)
	}
}

// runningContainer starts an ordinary long-running container.
func runningContainer(t testing.TB) string {
	t.Helper()
	id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}})
	startContainer(t, id)
	return id
}

// inspect returns GET /containers/{id}/json decoded into a generic map.
func inspect(t testing.TB, id string) map[string]any {
	t.Helper()
	resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + id + "/json"})
	if resp.Status != 200 {
		t.Fatalf("inspect %.12s: want 200, got %s", id, resp)
	}
	var m map[string]any
	if err := json.Unmarshal(resp.Body, &m); err != nil {
		t.Fatalf("inspect %.12s: %v", id, err)
	}
	return m
}

// field walks a decoded JSON document: field(m, "HostConfig", "Privileged").
func field(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}
