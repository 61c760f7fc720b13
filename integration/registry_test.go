//go:build integration

package integration

import (
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

	"github.com/google/go-cmp/cmp"
)

// The distribution path (docs/rollout.md): build the plugin, `docker plugin
// create` and `push` it to a real registry (Debian's docker-registry), then
// on a second, fresh daemon where nothing was prepared install it from that
// registry under another name with scripts/install.sh --from (docker plugin
// install --grant-all-permissions, enable, authorization-plugins in
// daemon.json, SIGHUP), and see it refuse a privileged create and allow an
// ordinary one. Both daemons are the test's own (own network namespaces);
// the registry runs on 127.0.0.1:5000 inside the namespace of whichever
// daemon talks to it, on the same storage directory. Runs in both modes.

const registryBin = "/usr/bin/docker-registry"

// extraDaemon is a private dockerd of the test's own.
type extraDaemon struct {
	dir    string
	client *unixClient
	cmd    *exec.Cmd
	done   chan error
	once   bool
}

func startExtraDaemon(t *testing.T, dir string) *extraDaemon {
	t.Helper()
	d := &extraDaemon{dir: dir, client: &unixClient{socket: filepath.Join(dir, "docker.sock")}}
	logf, err := os.Create(dir + ".log")
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d.cmd = exec.Command("bash", h.script(), "run", "--dir", dir)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = childAttr()
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.done = make(chan error, 1)
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(d.stop)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-d.done:
			d.done <- err
			t.Fatalf("dockerd in %s exited during start-up (%v):\n%s", dir, err, tail(filepath.Join(dir, "dockerd.log"), 30))
		default:
		}
		if r, err := d.client.Do(rawRequest{Method: "GET", Target: "/_ping", Timeout: 5 * time.Second}); err == nil && r.Status == 200 {
			return d
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("dockerd in %s did not answer within 90s:\n%s", dir, tail(filepath.Join(dir, "dockerd.log"), 30))
	return nil
}

func (d *extraDaemon) stop() {
	if d.once {
		return
	}
	d.once = true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "bash", h.script(), "stop", d.dir).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: stopping dockerd %s: %v\n%s\n", d.dir, err, out)
	}
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}

// netnsPID is a process in the daemon's network namespace: the
// namespace's init, the child of unshare.
func (d *extraDaemon) netnsPID(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "unshare.pid"))
	if err != nil {
		t.Fatal(err)
	}
	upid := strings.TrimSpace(string(b))
	c, err := os.ReadFile(fmt.Sprintf("/proc/%s/task/%s/children", upid, upid))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(c))[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// docker runs the CLI against d.
func (d *extraDaemon) docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI(), append([]string{"-H", "unix://" + d.client.socket}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.dir, "cli"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startRegistry runs docker-registry on 127.0.0.1:5000 in d's network
// namespace, storing in storage, until the returned func stops it.
func startRegistry(t *testing.T, d *extraDaemon, storage string) func() {
	t.Helper()
	cfg := filepath.Join(filepath.Dir(storage), "registry.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:5000\n", storage)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := d.netnsPID(t)
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(storage), "registry.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// nsenter joins only the network namespace: the registry sees the
	// host's files, and the daemon's loopback.
	cmd := exec.Command("nsenter", fmt.Sprintf("--net=/proc/%d/ns/net", pid), registryBin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("nsenter docker-registry: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	// Ask from inside the namespace: GET /v2/ answers 200.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("docker-registry exited (%v):\n%s", err, tail(filepath.Join(filepath.Dir(storage), "registry.log"), 20))
		default:
		}
		out, err := exec.Command("nsenter", fmt.Sprintf("--net=/proc/%d/ns/net", pid), "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:5000/v2/").CombinedOutput()
		if err == nil && strings.TrimSpace(string(out)) == "{}" {
			return stop
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not answer on 127.0.0.1:5000 in the daemon's namespace")
	return nil
}

func TestRegistryInstall(t *testing.T) {
	requireEnv(t)
	if _, err := os.Stat(registryBin); err != nil {
		t.Fatalf("%s: %v (apt-get install docker-registry, or bash .ci/run)", registryBin, err)
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Fatalf("nsenter: %v (util-linux)", err)
	}
	base := filepath.Join(h.tmp, "reg")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	pluginDir := h.managed.pluginDir
	if pluginDir == "" {
		pluginDir = filepath.Join(base, "plugin")
		cmd := exec.Command("bash", filepath.Join(h.root, "scripts", "build-plugin.sh"), pluginDir)
		cmd.Dir = h.root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/build-plugin.sh: %v\n%s", err, out)
		}
	}
	storage := filepath.Join(base, "storage")
	const ref = "127.0.0.1:5000/platform/dood-guard:it"
	const name = "dg-fleet" // not dood-guard

	// 1. Publish, from a daemon of its own.
	start := time.Now()
	pub := startExtraDaemon(t, filepath.Join(base, "publisher"))
	stopReg := startRegistry(t, pub, storage)
	if out, err := pub.docker(t, "plugin", "create", ref, pluginDir); err != nil {
		t.Fatalf("docker plugin create %s: %v\n%s", ref, err, out)
	}
	if out, err := pub.docker(t, "plugin", "push", ref); err != nil {
		t.Fatalf("docker plugin push %s: %v\n%s", ref, err, out)
	} else {
		t.Logf("docker plugin push: %s", strings.TrimSpace(out))
	}
	stopReg()
	pub.stop()
	t.Logf("MEASURE plugin created and pushed: %v", time.Since(start).Round(time.Millisecond))

	// 2. A fresh daemon: no /etc/dood-guard, nothing created for the plugin.
	if _, err := os.Stat("/etc/dood-guard"); err == nil {
		t.Logf("note: this host has /etc/dood-guard; the installed plugin reads it as its config dir")
	}
	fleet := startExtraDaemon(t, filepath.Join(base, "fleet"))
	startRegistry(t, fleet, storage)
	if out, err := exec.Command("bash", h.script(), "image", fleet.dir, image+":latest").CombinedOutput(); err != nil {
		t.Fatalf("importing the test image: %v\n%s", err, out)
	}
	start = time.Now()
	install := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(h.root, "scripts", "install.sh"),
			"--name", name, "--docker-host", "unix://" + fleet.client.socket,
			"--daemon-json", filepath.Join(fleet.dir, "daemon.json"),
			"--pidfile", filepath.Join(fleet.dir, "exec", "dockerd.pid")}, args...)...)
		cmd.Env = append(os.Environ(), "DG_DOCKER_CLI="+dockerCLI(), "DOCKER_CONFIG="+filepath.Join(fleet.dir, "cli"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := install("--from", ref)
	if err != nil {
		t.Fatalf("install.sh --from %s: %v\n%s", ref, err, out)
	}
	t.Logf("MEASURE install.sh --from (install, enable, daemon.json, SIGHUP, verify): %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if out, err := install("--uninstall"); err != nil {
			t.Errorf("install.sh --uninstall: %v\n%s", err, out)
		}
	})

	// What was installed: the registry's plugin under its local name,
	// enabled, with only the host-root mount.
	r, err := fleet.client.Do(rawRequest{Method: "GET", Target: api + "/plugins/" + name + "/json", Timeout: 60 * time.Second})
	if err != nil || r.Status != 200 {
		t.Fatalf("GET /plugins/%s/json: %v %s", name, err, r)
	}
	var p struct {
		Id, Name, PluginReference string
		Enabled                   bool
		Settings                  struct {
			Mounts []struct{ Source, Destination string }
			Env    []string
		}
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	recordPluginID(t, p.Id)
	if diff := cmp.Diff([]string{name + ":latest", ref, "true", "/host"},
		[]string{p.Name, p.PluginReference, strconv.FormatBool(p.Enabled), mountDests(p.Settings.Mounts)}); diff != "" {
		t.Errorf("installed plugin (-want +got):\n%s", diff)
	}
	b, _ := os.ReadFile(filepath.Join(fleet.dir, "daemon.json"))
	if !strings.Contains(string(b), `"`+name+`:latest"`) {
		t.Errorf("daemon.json does not name %s:latest: %s", name, b)
	}

	// 3. It enforces: a privileged create refused, an ordinary one allowed.
	priv := fleet.client.jsonReq(t, "POST", createPath, privileged)
	if id := createdID(priv); id != "" {
		t.Errorf("privileged create allowed on the fleet daemon: %s", priv)
	}
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: name, Rule: "DG-PRIV-001"}, judge(priv, "DG-PRIV-001")); diff != "" {
		t.Errorf("privileged create (-want +got):\n%s\ndaemon said: %s", diff, priv)
	}
	ord := fleet.client.jsonReq(t, "POST", createPath, ordinary)
	if id := createdID(ord); id == "" {
		t.Errorf("ordinary create refused on the fleet daemon: %s", ord)
	} else if r, err := fleet.client.Do(rawRequest{Method: "DELETE", Target: api + "/containers/" + id + "?force=1", Timeout: 30 * time.Second}); err != nil || r.Status != 204 {
		t.Errorf("removing the ordinary container: %v %s", err, r)
	}
}

func mountDests(ms []struct{ Source, Destination string }) string {
	var ds []string
	for _, m := range ms {
		ds = append(ds, m.Destination)
	}
	return strings.Join(ds, ",")
}

// recordPluginID lets teardown (or a later run) remove the plugin's
// runtime directory under /run/docker/plugins.
func recordPluginID(t *testing.T, id string) {
	f, err := os.OpenFile(filepath.Join(h.tmp, "managed-plugin-ids"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, id)
}
