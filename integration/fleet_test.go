//go:build integration

package integration

import (
	"bufio"
	"compress/gzip"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Fleet (docs/fleet.md): the guard under test, started with nothing but
// --config, takes a signed bundle from a real HTTP server process (Python's
// http.server) on loopback in the guard's own network namespace — the
// legacy plugin and the front run in the test's; the daemon never talks to
// it — and enforces it on the real daemon; the server stopped and the guard
// restarted, the bundle it persisted still enforces; its decisions arrive at
// a collector.

const fleetRule = `package dood.rules.fleet

violation contains {"id": "TEAM-FLEET-001", "msg": "this job is frozen by the security team's bundle", "path": "Labels"} if {
	input.endpoint == "container.create"
	input.body.Labels["ci.job"] == "frozen-fleet"
}
`

// httpServer is a python3 -m http.server process serving dir on a free
// loopback port; stop ends it.
type httpServer struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startHTTPServer(t *testing.T, dir string) *httpServer {
	t.Helper()
	cmd := exec.Command("python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir)
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("python3 -m http.server: %v", err)
	}
	s := &httpServer{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	port := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`port (\d+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case p := <-port:
		s.url = "http://127.0.0.1:" + p
	case <-time.After(10 * time.Second):
		t.Fatal("python3 -m http.server did not say its port")
	}
	return s
}

func (s *httpServer) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// restartGuard restarts the guard under test (the plugin process or the
// front) with flags in place of its config dir; the suite's guard comes
// back when the test ends.
func restartGuard(t *testing.T, flags ...string) {
	t.Helper()
	restart := func(flags []string) error {
		_ = h.pluginCmd.Process.Signal(syscall.SIGTERM)
		<-h.pluginDone
		h.policyFlags = flags
		return h.runPlugin()
	}
	if err := restart(flags); err != nil {
		t.Fatalf("restarting the guard with %v: %v", flags, err)
	}
	t.Cleanup(func() {
		if err := restart(nil); err != nil {
			t.Errorf("restoring the suite's guard: %v", err)
		}
	})
}

type collected struct {
	mu  sync.Mutex
	evs []map[string]any
	raw strings.Builder
}

func (c *collected) snapshot() ([]map[string]any, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.evs...), c.raw.String()
}

func TestFleetSignedBundleOnARealDaemon(t *testing.T) {
	requireImage(t)
	if h.mode == modeManaged {
		t.Skip("the managed plugin has no network (docs/fleet.md#limits): DG_IT_MODE=legacy and front run this test")
	}
	dir := t.TempDir()
	// The security team's repository: a rule and a signing key.
	rules := filepath.Join(dir, "repo", "rules", "fleet")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(rules, "frozen.rego"), []byte(fleetRule), 0o644)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "signing.pem")
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))

	// CI builds and signs the bundle into what the server serves.
	srvDir := filepath.Join(dir, "srv")
	os.MkdirAll(srvDir, 0o755)
	if out, err := exec.Command(h.bin, "bundle", "--rules", rules, "--revision", "it-1",
		"--signing-key", key, "--signing-key-id", "security-team",
		"--output", filepath.Join(srvDir, "dood.tar.gz")).CombinedOutput(); err != nil {
		t.Fatalf("dood-guard bundle: %v\n%s", err, out)
	}
	srv := startHTTPServer(t, srvDir)

	col := &collected{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, _ := io.ReadAll(zr)
		var evs []map[string]any
		json.Unmarshal(b, &evs)
		col.mu.Lock()
		col.evs = append(col.evs, evs...)
		col.raw.Write(b)
		col.mu.Unlock()
	}))
	defer collector.Close()

	conf := filepath.Join(dir, "opa.yaml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`services:
  policy:
    url: %s
  collector:
    url: %s
labels:
  suite: integration
keys:
  security-team:
    algorithm: RS256
    key: |
      %s
bundles:
  dood:
    service: policy
    resource: dood.tar.gz
    polling: {min_delay_seconds: 1, max_delay_seconds: 2}
    signing: {keyid: security-team}
decision_logs:
  service: collector
  reporting: {min_delay_seconds: 1, max_delay_seconds: 1}
persistence_directory: %s
`, srv.url, collector.URL, strings.ReplaceAll(strings.TrimSpace(pub), "\n", "\n      "), filepath.Join(dir, "persist"))), 0o644)

	frozen := map[string]any{"Image": image, "Cmd": []string{"true"}, "Labels": map[string]string{"ci.job": "frozen-fleet"}}
	mustCreate(t, frozen) // the suite's policy knows nothing of it

	from := pluginLogSize()
	start := time.Now()
	restartGuard(t, "--config", conf)
	if l := waitLine(t, from, 30*time.Second, func(l map[string]any) bool {
		return l["msg"] == "policy reloaded" && l["trigger"] == "bundle" && l["policy"] == "bundle:dood@it-1"
	}); l == nil {
		t.Fatalf("the bundle never activated:\n%s", tail(h.pluginLog, 20))
	}
	t.Logf("MEASURE guard started with --config → bundle enforcing: %v", time.Since(start).Round(time.Millisecond))
	mustRefuse(t, frozen, "TEAM-FLEET-001")
	mustRefuse(t, privileged, "DG-PRIV-001") // the library is in the bundle too
	mustCreate(t, ordinary)

	// The decisions at the collector: the local line's fields, no body.
	deadline := time.Now().Add(20 * time.Second)
	var create map[string]any
	for create == nil && time.Now().Before(deadline) {
		evs, _ := col.snapshot()
		for _, e := range evs {
			res, _ := e["result"].(map[string]any)
			if fmt.Sprint(res["rule_ids"]) == "[TEAM-FLEET-001]" {
				create = e
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if create == nil {
		t.Fatalf("no TEAM-FLEET-001 decision at the collector:\n%s", tail(h.pluginLog, 20))
	}
	in, _ := create["input"].(map[string]any)
	res, _ := create["result"].(map[string]any)
	if in["method"] != "POST" || in["endpoint"] != "container.create" || !strings.HasSuffix(fmt.Sprint(in["path"]), "/containers/create") ||
		in["phase"] != "request" || res["decision"] != "deny" || create["path"] != "dood/decision" {
		t.Errorf("uploaded event: %v", create)
	}
	if b, _ := create["bundles"].(map[string]any)["dood"].(map[string]any); b["revision"] != "it-1" {
		t.Errorf("uploaded bundles: %v, want dood@it-1", create["bundles"])
	}
	if l, _ := create["labels"].(map[string]any); l["suite"] != "integration" {
		t.Errorf("uploaded labels: %v", create["labels"])
	}
	if _, raw := col.snapshot(); strings.Contains(raw, "frozen-fleet") || strings.Contains(raw, "Labels") || strings.Contains(raw, `"Cmd"`) {
		t.Errorf("a request body reached the collector:\n%s", raw)
	}

	// The server goes away; the guard restarts and enforces the bundle it
	// persisted, before any server answers.
	srv.stop()
	from = pluginLogSize()
	restartGuard(t, "--config", conf)
	if l := waitLine(t, from, 5*time.Second, func(l map[string]any) bool {
		return l["msg"] == "serving the bundle persisted by the last run until the servers answer" && l["policy"] == "bundle:dood@it-1"
	}); l == nil {
		t.Errorf("no start-up line naming the persisted bundle:\n%s", tail(h.pluginLog, 20))
	}
	mustRefuse(t, frozen, "TEAM-FLEET-001")
	mustCreate(t, ordinary)
	deadline = time.Now().Add(10 * time.Second)
	for scrape(t)[`dood_guard_bundle_updates_total{bundle="dood",result="failed"}`] < 1 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := scrape(t)[`dood_guard_bundle_updates_total{bundle="dood",result="failed"}`]; got < 1 {
		t.Errorf("bundle_updates_total failed = %v with the server down, want ≥ 1", got)
	}
}
