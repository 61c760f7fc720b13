//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dood-guard/dood-guard/policies"
)

// stateEnv is a second private daemon, seeded with dangerous objects before
// any guard judges it, then switched to a guard of its own (issue 6).
type stateEnv struct {
	dir      string
	docker   *unixClient
	plugin   string // plugin name
	dataFile string
	sockID   string // the socket-holding container
	rootID   string // the container binding /
}

const (
	stSock   = "dg-st-sock"
	stRoot   = "dg-st-root"
	stVolume = "dg-st-hostroot"
	// a host-network container, and one that joins its network
	stHostNet = "dg-st-hostnet"
	stSidecar = "dg-st-sidecar"
)

func startStateEnv(t *testing.T) *stateEnv {
	t.Helper()
	e := &stateEnv{dir: filepath.Join(h.tmp, "sd")}
	e.docker = &unixClient{socket: filepath.Join(e.dir, "docker.sock")}

	// 1. The daemon, with no authorization plugin.
	logf, err := os.Create(filepath.Join(h.tmp, "state-dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	dcmd := exec.Command("bash", h.script(), "run", "--dir", e.dir)
	dcmd.Stdout, dcmd.Stderr = logf, logf
	dcmd.SysProcAttr = childAttr()
	if err := dcmd.Start(); err != nil {
		t.Fatal(err)
	}
	ddone := make(chan error, 1)
	go func() { ddone <- dcmd.Wait() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "bash", h.script(), "stop", e.dir).CombinedOutput(); err != nil {
			t.Errorf("stopping the state test's dockerd: %v\n%s", err, out)
		}
		select {
		case <-ddone:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-dcmd.Process.Pid, syscall.SIGKILL)
			<-ddone
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := e.docker.Do(rawRequest{Method: "GET", Target: "/_ping", Timeout: 5 * time.Second}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state test dockerd did not answer:\n%s", tail(filepath.Join(e.dir, "dockerd.log"), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "bash", h.script(), "image", e.dir, image+":latest").CombinedOutput(); err != nil {
		t.Fatalf("import image: %v\n%s", err, out)
	}

	// 2. Seed what a guard would refuse: a socket holder, a / bind, and a
	// local volume that binds /.
	e.sockID = e.seedContainer(t, stSock, map[string]any{"Binds": []string{e.docker.socket + ":/var/run/docker.sock"}})
	e.rootID = e.seedContainer(t, stRoot, map[string]any{"Binds": []string{"/:/host:ro"}})
	// And a sidecar that joins a host-network container: harmless on its
	// own, the host's network namespace through its join.
	e.seedContainer(t, stHostNet, map[string]any{"NetworkMode": "host"})
	e.seedContainer(t, stSidecar, map[string]any{"NetworkMode": "container:" + stHostNet})
	resp := e.docker.jsonReq(t, "POST", api+"/volumes/create", map[string]any{
		"Name": stVolume, "Driver": "local", "DriverOpts": map[string]string{"type": "none", "o": "bind", "device": "/"},
	})
	expectStatus(t, "seed volume", resp, 201)

	// 3. The guard. This daemon's socket is its docker socket: protect it
	// as /var/run/docker.sock is protected on a real host.
	def, err := policies.DefaultData()
	if err != nil {
		t.Fatal(err)
	}
	protected := append([]any{}, def["guard"].(map[string]any)["protected_paths"].([]any)...)
	protected = append(protected, e.docker.socket)
	e.dataFile = filepath.Join(h.tmp, "state-data.json")
	b, _ := json.Marshal(map[string]any{"guard": map[string]any{"protected_paths": protected}})
	if err := os.WriteFile(e.dataFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e.plugin = fmt.Sprintf("dood-guard-st-%d", os.Getpid())
	psock := filepath.Join("/run/docker/plugins", e.plugin+".sock")
	plog := filepath.Join(h.tmp, "state-plugin.log")
	pl, err := os.Create(plog)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	pcmd := exec.Command(h.bin, "serve", "--socket", psock, "--data", e.dataFile, "--log-format", "json",
		"--docker-host", "unix://"+e.docker.socket)
	pcmd.Stdout, pcmd.Stderr = pl, pl
	pcmd.SysProcAttr = childAttr()
	if err := pcmd.Start(); err != nil {
		t.Fatal(err)
	}
	pdone := make(chan error, 1)
	go func() { pdone <- pcmd.Wait() }()
	// Cleanups run last-registered first: the plugin stops before the
	// daemon, after every subtest has removed what it created.
	t.Cleanup(func() {
		_ = pcmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-pdone:
		case <-time.After(10 * time.Second):
			_ = pcmd.Process.Kill()
			<-pdone
		}
		_ = os.Remove(psock)
		if t.Failed() {
			t.Logf("state plugin log:\n%s", tail(plog, 40))
		}
	})
	for i := 0; ; i++ {
		if resp, err := pluginCall(psock, "/Plugin.Activate", []byte("{}")); err == nil && resp.Status == 200 {
			break
		}
		if i > 300 {
			t.Fatalf("state plugin did not start:\n%s", tail(plog, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// 4. Turn the guard on: daemon.json plus SIGHUP, the way an admin
	// adds a plugin to a running daemon.
	cfgPath := filepath.Join(e.dir, "daemon.json")
	var cfg map[string]any
	if b, err := os.ReadFile(cfgPath); err != nil || json.Unmarshal(b, &cfg) != nil {
		t.Fatalf("daemon.json: %v", err)
	}
	cfg["authorization-plugins"] = []string{e.plugin}
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	pid := dockerdPID(t, e.dir)
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		r := e.docker.jsonReq(t, "POST", api+"/containers/create", map[string]any{"Image": image, "HostConfig": map[string]any{"Privileged": true}})
		if r.Status == 403 {
			break
		}
		if id := createdID(r); id != "" {
			e.remove(id)
		}
		if i > 100 {
			t.Fatalf("the daemon did not start asking %s after SIGHUP: %s\n%s", e.plugin, r, tail(filepath.Join(e.dir, "dockerd.log"), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return e
}

func (e *stateEnv) seedContainer(t *testing.T, name string, hostConfig map[string]any) string {
	t.Helper()
	resp := e.docker.jsonReq(t, "POST", api+"/containers/create?name="+name, map[string]any{
		"Image": image, "Cmd": []string{"sleep", "600"}, "HostConfig": hostConfig,
	})
	id := createdID(resp)
	if id == "" {
		t.Fatalf("seed %s: %s", name, resp)
	}
	expectStatus(t, "seed start "+name, e.docker.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + id + "/start"}), 204)
	return id
}

func (e *stateEnv) remove(id string) {
	_, _ = e.docker.Do(rawRequest{Method: "DELETE", Target: api + "/containers/" + id + "?force=1&v=1", Timeout: 30 * time.Second})
}

// dockerdPID finds the host PID of the dockerd using dir as its data root
// (its pid file holds the PID inside its PID namespace).
func dockerdPID(t *testing.T, dir string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if filepath.Base(args[0]) != "dockerd" {
			continue
		}
		for i := range args[:len(args)-1] {
			if args[i] == "--data-root" && args[i+1] == filepath.Join(dir, "data") {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
				return pid
			}
		}
	}
	t.Fatalf("no dockerd with --data-root %s/data", dir)
	return 0
}

func expectDenied(t *testing.T, what string, resp *rawResponse, rule string) {
	t.Helper()
	if resp.Status != 403 {
		t.Errorf("%s: want 403 naming %s, got %s", what, rule, resp)
		return
	}
	if rule != "" && !contains(resp.RuleIDs(), rule) {
		t.Errorf("%s: want %s in the denial, got %s", what, rule, resp)
	}
}

func TestState(t *testing.T) {
	requireImage(t)
	e := startStateEnv(t)
	d := e.docker
	post := func(target string, body any) *rawResponse { return d.jsonReq(t, "POST", api+target, body) }
	create := func(hostConfig map[string]any) *rawResponse {
		resp := post("/containers/create", map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": hostConfig})
		if id := createdID(resp); id != "" {
			t.Cleanup(func() { e.remove(id) })
		}
		return resp
	}
	tarball := tarOf(t, map[string]string{"dropped.txt": "x\n"})

	t.Run("reach-in-denied", func(t *testing.T) {
		for _, ref := range []string{stSock, stRoot, e.rootID[:12], e.sockID} {
			expectDenied(t, "exec in "+ref, post("/containers/"+ref+"/exec", map[string]any{"Cmd": []string{"cat", "/host/etc/shadow"}, "User": "1000"}), "DG-STATE-005")
		}
		expectDenied(t, "exec in a sidecar of a host-network container", post("/containers/"+stSidecar+"/exec", map[string]any{"Cmd": []string{"true"}}), "DG-STATE-005")
		expectDenied(t, "pid join of the sidecar", create(map[string]any{"PidMode": "container:" + stSidecar}), "DG-STATE-004")
		expectDenied(t, "cp from (GET archive)", d.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + stRoot + "/archive?path=%2Fhost%2Fetc%2Fhostname"}), "DG-STATE-005")
		// A HEAD answer has no body to carry the rule ID.
		expectDenied(t, "cp stat (HEAD archive)", d.do(t, rawRequest{Method: "HEAD", Target: api + "/containers/" + stRoot + "/archive?path=%2Fhost"}), "")
		expectDenied(t, "cp into (PUT archive)", d.do(t, rawRequest{Method: "PUT", Target: api + "/containers/" + stSock + "/archive?path=%2Ftmp", Header: [][2]string{{"Content-Type", "application/x-tar"}}, Body: tarball}), "DG-STATE-005")
		expectDenied(t, "attach", d.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + stSock + "/attach?stream=0&logs=1&stdout=1"}), "DG-STATE-005")
		expectDenied(t, "commit", d.do(t, rawRequest{Method: "POST", Target: api + "/commit?container=" + stRoot + "&repo=dg-st-stolen"}), "DG-STATE-005")
		resp := d.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + stRoot + "/export"})
		expectDenied(t, "export", resp, "DG-STATE-005")
		t.Logf("export of %s: %s", stRoot, resp.Message())
	})

	t.Run("create-through-existing-denied", func(t *testing.T) {
		expectDenied(t, "VolumesFrom the socket holder", create(map[string]any{"VolumesFrom": []string{stSock}}), "DG-STATE-003")
		expectDenied(t, "VolumesFrom the / bind by ID, read-only", create(map[string]any{"VolumesFrom": []string{e.rootID + ":ro"}}), "DG-STATE-003")
		expectDenied(t, "network join", create(map[string]any{"NetworkMode": "container:" + stRoot}), "DG-STATE-004")
		expectDenied(t, "pid join", create(map[string]any{"PidMode": "container:" + e.sockID[:10]}), "DG-STATE-004")
		expectDenied(t, "ipc join", create(map[string]any{"IpcMode": "container:" + stSock}), "DG-STATE-004")
		expectDenied(t, "bind-type volume by name (Binds)", create(map[string]any{"Binds": []string{stVolume + ":/data"}}), "DG-STATE-002")
		expectDenied(t, "bind-type volume by name (Mounts)", create(map[string]any{"Mounts": []map[string]any{{"Type": "volume", "Source": stVolume, "Target": "/data"}}}), "DG-STATE-002")
		// VolumeOptions.Subpath (API 1.45), unprefixed so that a newer daemon
		// reads it: a directory of the host below the volume's bind.
		subpath := d.jsonReq(t, "POST", "/containers/create", map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{
			"Mounts": []map[string]any{{"Type": "volume", "Source": stVolume, "Target": "/data", "VolumeOptions": map[string]any{"Subpath": "etc"}}}}})
		if id := createdID(subpath); id != "" {
			t.Cleanup(func() { e.remove(id) })
		}
		expectDenied(t, "Subpath into a bind-type volume", subpath, "DG-STATE-002")
	})

	t.Run("docker-cli", func(t *testing.T) {
		for _, args := range [][]string{{"exec", stRoot, "ls", "/host"}, {"cp", stRoot + ":/host/etc/hostname", "-"}, {"run", "--rm", "--volumes-from", stSock, image, "true"}} {
			cmd := exec.Command(dockerCLI(), append([]string{"-H", "unix://" + d.socket}, args...)...)
			cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(h.tmp, "cli-config"), "DOCKER_CLI_HINTS=false")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "authorization denied by plugin "+e.plugin) {
				t.Errorf("docker %s: want a denial, got %v:\n%s", strings.Join(args, " "), err, out)
			}
		}
	})

	t.Run("ordinary-container-still-works", func(t *testing.T) {
		resp := post("/containers/create?name=dg-st-web", map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}, "HostConfig": map[string]any{"Binds": []string{"dg-st-cache:/cache"}}})
		id := createdID(resp)
		if id == "" {
			t.Fatalf("create: %s", resp)
		}
		t.Cleanup(func() { e.remove(id) })
		expectStatus(t, "start", d.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + id + "/start"}), 204)

		resp = post("/containers/dg-st-web/exec", map[string]any{"Cmd": []string{"echo", "hello"}, "User": "1000", "AttachStdout": true, "AttachStderr": true})
		expectStatus(t, "exec create", resp, 201)
		var ex struct{ Id string }
		_ = json.Unmarshal(resp.Body, &ex)
		resp = post("/exec/"+ex.Id+"/start", `{"Detach":false,"Tty":false}`)
		expectStatus(t, "exec start", resp, 200)
		if out, _ := demux(resp.Body); out != "hello\n" {
			t.Errorf("exec output %q", out)
		}
		expectStatus(t, "cp into", d.do(t, rawRequest{Method: "PUT", Target: api + "/containers/dg-st-web/archive?path=%2Ftmp", Header: [][2]string{{"Content-Type", "application/x-tar"}}, Body: tarball}), 200)
		expectStatus(t, "cp stat", d.do(t, rawRequest{Method: "HEAD", Target: api + "/containers/" + id[:12] + "/archive?path=%2Ftmp%2Fdropped.txt"}), 200)
		resp = d.do(t, rawRequest{Method: "GET", Target: api + "/containers/dg-st-web/archive?path=%2Ftmp%2Fdropped.txt"})
		expectStatus(t, "cp from", resp, 200)
		if got := untarFile(t, resp.Body, "dropped.txt"); got != "x\n" {
			t.Errorf("copied out %q", got)
		}
		expectStatus(t, "attach", d.do(t, rawRequest{Method: "POST", Target: api + "/containers/dg-st-web/attach?stream=0&logs=1&stdout=1"}), 200)
		expectStatus(t, "VolumesFrom an ordinary container", create(map[string]any{"VolumesFrom": []string{"dg-st-web:ro"}}), 201)
		expectStatus(t, "join its network", create(map[string]any{"NetworkMode": "container:dg-st-web"}), 201)
		expectStatus(t, "an existing ordinary volume", create(map[string]any{"Binds": []string{"dg-st-cache:/c"}}), 201)

		// The objects a reference designates change: the guard must not
		// judge "dg-st-web" on what it was a moment ago.
		expectStatus(t, "rename away", d.do(t, rawRequest{Method: "POST", Target: api + "/containers/dg-st-web/rename?name=dg-st-web2"}), 204)
		expectStatus(t, "rename the / bind", d.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + stRoot + "/rename?name=dg-st-web"}), 204)
		t.Cleanup(func() {
			_, _ = d.Do(rawRequest{Method: "POST", Target: api + "/containers/dg-st-web/rename?name=" + stRoot})
		})
		expectDenied(t, "exec in the renamed / bind", post("/containers/dg-st-web/exec", map[string]any{"Cmd": []string{"true"}}), "DG-STATE-005")
	})

	t.Run("audit", func(t *testing.T) {
		cmd := exec.Command(h.bin, "audit", "--json", "--data", e.dataFile, "--docker-host", "unix://"+d.socket)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("audit: want exit 3, got %v\n%s\n%s", err, out, stderr.String())
		}
		var rep struct {
			Findings []struct {
				Kind    string   `json:"kind"`
				Name    string   `json:"name"`
				RuleIDs []string `json:"rule_ids"`
			}
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("audit output: %v\n%s", err, out)
		}
		got := map[string][]string{}
		for _, f := range rep.Findings {
			got[f.Kind+" "+f.Name] = f.RuleIDs
		}
		want := map[string]string{
			"container " + stSock:    "DG-MNT-001",
			"container " + stRoot:    "DG-MNT-001",
			"container " + stHostNet: "DG-NS-001",
			"container " + stSidecar: "DG-STATE-004",
			"volume " + stVolume:     "DG-MNT-002",
			"volume dg-st-cache":     "",
		}
		for k, rule := range want {
			ids, found := got[k]
			switch {
			case rule == "" && found:
				t.Errorf("audit lists %s (%v); it is harmless", k, ids)
			case rule != "" && !contains(ids, rule):
				t.Errorf("audit: %s: want %s, got %v (all: %v)", k, rule, ids, got)
			}
		}
		// The human-readable table.
		txt, _ := exec.Command(h.bin, "audit", "--data", e.dataFile, "--docker-host", "unix://"+d.socket).Output()
		if !strings.Contains(string(txt), "KIND") || !strings.Contains(string(txt), stVolume) {
			t.Errorf("audit table:\n%s", txt)
		}
		t.Logf("dood-guard audit:\n%s", txt)
	})
}
