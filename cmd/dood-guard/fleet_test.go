package main

import (
	"bytes"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/config"
)

// A fleet's guard, end to end in the real binary: a bundle built and
// signed by `dood-guard bundle`, served over HTTP, verified and swapped in
// by `serve --config`; kept across a restart with the server down; the
// decisions at a collector.

// signingKeys writes an RSA key pair: the private key signs bundles, the
// public key goes in the guards' configuration.
func signingKeys(t *testing.T, dir string) (private, public string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	private = filepath.Join(dir, "bundle-signing.pem")
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	os.WriteFile(private, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600)
	return private, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
}

func buildBundle(t *testing.T, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	cmd := exec.Command(binary, append([]string{"bundle", "--output", out}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dood-guard bundle: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type events struct {
	mu  sync.Mutex
	evs []map[string]any
	raw bytes.Buffer
}

func (e *events) all() ([]map[string]any, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.evs...), e.raw.String()
}

func TestFleetSignedBundlePersistedAndDecisionsUploaded(t *testing.T) {
	dir := t.TempDir()
	private, public := signingKeys(t, dir)
	data := filepath.Join(dir, "data.yaml")
	os.WriteFile(data, []byte("guard:\n  denied_endpoints: [container.list]\n"), 0o644)
	signed := buildBundle(t, "--data", data, "--revision", "team-1", "--signing-key", private, "--signing-key-id", "security-team")
	unsigned := buildBundle(t, "--revision", "unsigned")

	var mu sync.Mutex
	body := unsigned
	bundles := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Write(body)
	}))
	defer bundles.Close()
	col := &events{}
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

	persist := filepath.Join(dir, "persist")
	writeConfig := func(bundleURL string) string {
		p := filepath.Join(dir, "opa.yaml")
		os.WriteFile(p, []byte(fmt.Sprintf(`services:
  bundles:
    url: %s
  collector:
    url: %s
keys:
  security-team:
    algorithm: RS256
    key: |
%s
bundles:
  dood:
    service: bundles
    resource: dood.tar.gz
    polling: {min_delay_seconds: 1, max_delay_seconds: 1}
    signing: {keyid: security-team}
decision_logs:
  service: collector
  reporting: {min_delay_seconds: 1, max_delay_seconds: 1}
persistence_directory: %s
`, bundleURL, collector.URL, indent(public, "      "), persist)), 0o644)
		return p
	}
	conf := writeConfig(bundles.URL)
	list := authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/json"}
	secretCreate := authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create",
		RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestBody:    []byte(`{"Image":"x","Env":["API_TOKEN=hunter2-fleet"],"HostConfig":{"Privileged":true}}`)}

	s := startServer(t, "--config", conf)
	// The server serves an unsigned bundle: refused, the embedded library serves.
	waitUntil(t, s, "the unsigned bundle refused", func() bool { return strings.Contains(s.logs.String(), "Bundle load failed") })
	if r := s.authz(t, list); !r.Allow {
		t.Fatalf("embedded library: container list refused: %s", r.Msg)
	}
	mu.Lock()
	body = signed
	mu.Unlock()
	waitUntil(t, s, "the signed bundle to activate", func() bool { return !s.authz(t, list).Allow })
	if r := s.authz(t, list); !strings.Contains(r.Msg, "DG-API-001") {
		t.Errorf("bundle's policy: %q, want DG-API-001", r.Msg)
	}
	if r := s.authz(t, secretCreate); r.Allow || !strings.Contains(r.Msg, "DG-PRIV-001") {
		t.Errorf("privileged create: %+v, want DG-PRIV-001", r)
	}
	waitUntil(t, s, "decisions at the collector", func() bool {
		evs, _ := col.all()
		for _, e := range evs {
			if in, _ := e["input"].(map[string]any); in["endpoint"] == "container.create" {
				return true
			}
		}
		return false
	})
	evs, raw := col.all()
	if strings.Contains(raw, "hunter2") || strings.Contains(raw, "API_TOKEN") || strings.Contains(raw, "Privileged") {
		t.Errorf("the request body reached the collector:\n%s", raw)
	}
	var create map[string]any
	for _, e := range evs {
		if in, _ := e["input"].(map[string]any); in["endpoint"] == "container.create" {
			create = e
		}
	}
	res := create["result"].(map[string]any)
	if res["decision"] != "deny" || fmt.Sprint(res["rule_ids"]) != "[DG-PRIV-001]" {
		t.Errorf("uploaded result = %v", res)
	}
	if b, _ := create["bundles"].(map[string]any)["dood"].(map[string]any); b["revision"] != "team-1" {
		t.Errorf("uploaded bundles = %v, want revision team-1", create["bundles"])
	}
	// The local line is still written.
	if !strings.Contains(s.logs.String(), `"rule_ids":["DG-PRIV-001"]`) {
		t.Error("no local decision line")
	}
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()

	// The server is gone; the guard restarts and still enforces the bundle.
	bundles.Close()
	s = startServer(t, "--config", conf)
	if r := s.authz(t, list); r.Allow || !strings.Contains(r.Msg, "DG-API-001") {
		t.Fatalf("after a restart with the server down: %+v, want the persisted bundle's DG-API-001\n%s", r, s.logs)
	}
	if !strings.Contains(s.logs.String(), "serving the bundle persisted by the last run") {
		t.Errorf("start-up does not say it serves the persisted bundle:\n%s", s.logs)
	}
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+by)
}

func waitUntil(t *testing.T, s *server, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; logs:\n%s", what, s.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestFleetConfigRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	bundles := write("bundles.yaml", "services:\n  s:\n    url: http://127.0.0.1:1\nbundles:\n  g:\n    service: s\n    resource: g.tar.gz\n")
	logsOnly := write("logs.yaml", "services:\n  s:\n    url: http://127.0.0.1:1\ndecision_logs:\n  service: s\n")
	typo := write("typo.yaml", "bundle:\n  g: {}\n")
	for _, tc := range []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"missing file", []string{"serve", "--config", filepath.Join(dir, "nope.yaml")}, exitUsage, "no such file"},
		{"unknown key", []string{"serve", "--config", typo}, exitUsage, `"bundle" is not used`},
		{"bundles and a local policy", []string{"serve", "--config", bundles, "--data", write("data.yaml", "guard: {}\n")}, exitUsage, "--data would be a second source"},
		{"bundles and a config dir", []string{"proxy", "--config", bundles, "--config-dir", dir}, exitUsage, "--config-dir would be a second source"},
		{"bundle -h", []string{"bundle", "-h"}, exitOK, "-signing-key"},
		{"bundle without --output", []string{"bundle"}, exitUsage, "--output"},
		{"bundle stray argument", []string{"bundle", "--output", "x", "dir"}, exitUsage, `unexpected argument "dir"`},
		{"bundle bad profile", []string{"bundle", "--output", "x", "--profile", "lax"}, exitUsage, "profile"},
		{"bundle of bad data", []string{"bundle", "--output", filepath.Join(dir, "b.tar.gz"), "--data", write("bad.yaml", "guard:\n  allowed_bind_paths: /\n")}, exitError, "allowed_bind_paths"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, strings.NewReader(""), &stdout, &stderr); code != tc.want {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String()+stderr.String(), tc.msg) {
				t.Errorf("output lacks %q:\n%s%s", tc.msg, stdout.String(), stderr.String())
			}
		})
	}
	// Decision logs alone: the local policy flags stay usable.
	var s fleetSetup
	s.Path = logsOnly
	if err := s.parse(configWithData("x.yaml")); err != nil || s.bundles() {
		t.Errorf("decision_logs only, with --data: %v (bundles %v)", err, s.bundles())
	}
}

func configWithData(p string) config.Config { return config.Config{DataPath: p} }
