//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// authzAnswer is the plugin's answer to /AuthZPlugin.AuthZReq.
type authzAnswer struct {
	Allow bool
	Msg   string
	Err   string
}

// authzReq builds an AuthZReq as dockerd sends it (RequestBody is base64
// through encoding/json's []byte).
func authzReq(method, uri string, headers map[string]string, body []byte) []byte {
	// A target written before the daemon's version was known carries
	// apiToken, as the client's requests do.
	uri = strings.ReplaceAll(uri, apiToken, api)
	req := map[string]any{
		"User": "", "UserAuthNMethod": "",
		"RequestMethod": method, "RequestUri": uri,
		"RequestHeaders": headers,
	}
	if body != nil {
		req["RequestBody"] = body
	}
	b, _ := json.Marshal(req)
	return b
}

// TestPluginDirect posts AuthZ requests straight to the plugin's socket:
// what dockerd sends when something went wrong (a retried call arrives
// with an empty body) and what it never sends (garbage).
func TestPluginDirect(t *testing.T) {
	requirePluginProtocol(t)
	requireEnv(t)
	jsonCT := map[string]string{"Content-Type": "application/json"}
	cases := []struct {
		name string
		body []byte
		// deny is true when the answer must deny (Allow:false with rule,
		// or a non-200 status, which dockerd treats as a denial).
		deny bool
		rule string
	}{
		{"AuthZReq-empty-object", []byte(`{}`), true, "DG-REQ-001"},
		{"AuthZReq-garbage", []byte(`this is not json`), true, "DG-REQ-001"},
		{"AuthZReq-empty-body", []byte{}, true, "DG-REQ-001"},
		{"AuthZReq-json-null", []byte(`null`), true, "DG-REQ-001"},
		{"AuthZReq-no-method", authzReq("", "/v1.41/containers/create", jsonCT, []byte(`{"Image":"x"}`)), true, "DG-REQ-001"},
		{"AuthZReq-retried-create-without-body", authzReq("POST", "/v1.41/containers/create", jsonCT, nil), true, "DG-BODY-001"},
		{"AuthZReq-retried-exec-without-body", authzReq("POST", "/v1.41/containers/abc/exec", jsonCT, nil), true, "DG-BODY-001"},
		{"AuthZReq-unknown-mutating-route", authzReq("POST", "/v1.41/containers/x/frobnicate", nil, nil), true, "DG-ROUTE-001"},
		{"AuthZReq-unknown-DELETE-route", authzReq("DELETE", "/v1.41/frobnicators/x", nil, nil), true, "DG-ROUTE-001"},
		{"AuthZReq-unparsable-target-bad-escape", authzReq("POST", "/v1.41/containers/%zz/start", nil, nil), true, "DG-REQ-002"},
		{"AuthZReq-unparsable-target-bad-host", authzReq("POST", "http://[::1/v1.41/containers/create", jsonCT, []byte(`{"Image":"x"}`)), true, "DG-REQ-002"},
		{"AuthZReq-privileged-create", authzReq("POST", "/v1.41/containers/create", jsonCT, []byte(`{"Image":"x","HostConfig":{"Privileged":true}}`)), true, "DG-PRIV-001"},
		{"AuthZReq-GET-ping-allowed", authzReq("GET", "/_ping", nil, nil), false, ""},
		{"AuthZReq-benign-create-allowed", authzReq("POST", "/v1.41/containers/create", jsonCT, []byte(`{"Image":"x","Cmd":["true"]}`)), false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := pluginCall(h.pluginSock, "/AuthZPlugin.AuthZReq", c.body)
			if err != nil {
				t.Fatalf("POST /AuthZPlugin.AuthZReq: %v", err)
			}
			var a authzAnswer
			decodeErr := json.Unmarshal(resp.Body, &a)
			if !c.deny {
				if resp.Status != 200 || decodeErr != nil || !a.Allow || a.Err != "" {
					t.Errorf("want 200 {\"Allow\":true}, got %s", resp)
				}
				return
			}
			if resp.Status != 200 {
				// dockerd turns a non-200 answer into a denial (500).
				t.Logf("plugin answered %s (non-200: dockerd denies)", resp)
				return
			}
			type verdict struct {
				Allow   bool
				HasRule bool
			}
			got := verdict{Allow: a.Allow, HasRule: strings.Contains(a.Msg, c.rule) || strings.Contains(a.Err, c.rule)}
			if decodeErr != nil {
				t.Fatalf("200 answer that is not JSON (dockerd denies, but the answer is broken): %s", resp)
			}
			if diff := cmp.Diff(verdict{Allow: false, HasRule: true}, got); diff != "" {
				t.Errorf("answer for %.200q (-want +got):\n%s\nplugin said: %s", c.body, diff, resp)
			}
		})
	}
}

// TestPluginActivate checks the handshake dockerd does first.
func TestPluginActivate(t *testing.T) {
	requirePluginProtocol(t)
	requireEnv(t)
	resp, err := pluginCall(h.pluginSock, "/Plugin.Activate", nil)
	if err != nil {
		t.Fatal(err)
	}
	var a struct{ Implements []string }
	_ = json.Unmarshal(resp.Body, &a)
	if diff := cmp.Diff([]string{"authz"}, a.Implements); resp.Status != 200 || diff != "" {
		t.Errorf("Plugin.Activate: (-want +got):\n%s\nplugin said: %s", diff, resp)
	}
}

// startSecondPlugin runs the binary with args on a fresh socket and reports
// either its exit (with output) or that it listens.
type secondPlugin struct {
	exited   bool
	exitCode int
	output   string
	sock     string
	cmd      *exec.Cmd
	done     chan error
}

func startSecondPlugin(t *testing.T, args ...string) *secondPlugin {
	t.Helper()
	dir := t.TempDir()
	p := &secondPlugin{sock: filepath.Join(dir, "p.sock")}
	logPath := filepath.Join(dir, "out.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(h.bin, append([]string{"serve", "--socket", p.sock}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = childAttr()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.exited {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.exited = true
			p.exitCode = 0
			if ee, ok := err.(*exec.ExitError); ok {
				p.exitCode = ee.ExitCode()
			} else if err != nil {
				p.exitCode = -1
			}
			b, _ := os.ReadFile(logPath)
			p.output = string(b)
			return p
		default:
		}
		if _, err := pluginCall(p.sock, "/Plugin.Activate", nil); err == nil {
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("plugin %v neither exited nor listened within 30s", args)
	return nil
}

// checkRefusesOrDeniesAll: a plugin with an unusable policy must either
// refuse to start (non-zero exit, a message) or deny everything with
// DG-POLICY-001.
func checkRefusesOrDeniesAll(t *testing.T, p *secondPlugin, mention string) {
	t.Helper()
	if p.exited {
		if p.exitCode == 0 {
			t.Errorf("plugin exited with status 0; want non-zero. Output:\n%s", p.output)
		}
		if strings.TrimSpace(p.output) == "" {
			t.Errorf("plugin exited %d without saying why", p.exitCode)
		} else if mention != "" && !strings.Contains(p.output, mention) {
			t.Errorf("plugin's error does not name %q:\n%s", mention, p.output)
		}
		t.Logf("BEHAVIOUR: refused to start, exit %d:\n%s", p.exitCode, strings.TrimSpace(p.output))
		return
	}
	t.Logf("BEHAVIOUR: started; checking that it denies everything with DG-POLICY-001")
	for _, req := range [][]byte{
		authzReq("GET", "/_ping", nil, nil),
		authzReq("POST", "/v1.41/containers/create", map[string]string{"Content-Type": "application/json"}, []byte(`{"Image":"x"}`)),
	} {
		resp, err := pluginCall(p.sock, "/AuthZPlugin.AuthZReq", req)
		if err != nil {
			t.Fatal(err)
		}
		var a authzAnswer
		_ = json.Unmarshal(resp.Body, &a)
		if resp.Status == 200 && (a.Allow || !strings.Contains(a.Msg, "DG-POLICY-001")) {
			t.Errorf("plugin with an unusable policy answered %s; want Allow:false with DG-POLICY-001", resp)
		}
	}
}

func TestBrokenPolicyFile(t *testing.T) {
	requireEnv(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.rego")
	if err := os.WriteFile(broken, []byte("package dood_guard.broken\n\ndeny contains msg if {\n  this is not rego (\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startSecondPlugin(t, "--policy", broken)
	checkRefusesOrDeniesAll(t, p, "broken.rego")
}

func TestMissingPolicyFile(t *testing.T) {
	requireEnv(t)
	missing := filepath.Join(t.TempDir(), "does-not-exist.rego")
	p := startSecondPlugin(t, "--policy", missing)
	checkRefusesOrDeniesAll(t, p, "does-not-exist.rego")
}

func TestVersionCommand(t *testing.T) {
	requireEnv(t)
	out, err := exec.Command(h.bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Errorf("dood-guard version: err=%v output=%q", err, out)
	}
	t.Logf("dood-guard version: %s", strings.TrimSpace(string(out)))
}

// TestDaemonRouting records what dockerd does before any plugin call:
// unknown routes are answered 404 by dockerd's router (the authz
// middleware wraps matched routes only), unclean paths are redirected.
func TestDaemonRouting(t *testing.T) {
	requireEnv(t)
	cases := []struct {
		name, method, target string
		want                 int
	}{
		{"unknown-POST-route-404-plugin-not-called", "POST", api + "/containers/x/" + routingProbe, 404},
		{"unknown-top-level-POST-route", "POST", api + "/frobnicate", 404},
		{"double-slash-path-redirected", "POST", "//v1.41/containers/create", 301},
		{"dotdot-path-redirected", "POST", api + "/containers/x/../create", 301},
		{"percent-encoded-dot-redirected", "POST", api + "/containers/%2e/create", 301},
		{"trailing-slash-404", "POST", api + "/containers/create/", 404},
		{"upper-case-version-prefix-404", "POST", "/V1.41/containers/create", 404},
		{"upper-case-path-404", "POST", api + "/Containers/create", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.docker.do(t, rawRequest{Method: c.method, Target: c.target, Header: [][2]string{{"Content-Type", "application/json"}},
				Body: []byte(`{"Image":"` + image + `","HostConfig":{"Privileged":true}}`)})
			if id := createdID(resp); id != "" {
				cleanupContainer(t, id)
			}
			if h.mode == modeFront && resp.Status == 403 && strings.Contains(resp.Message(), denialLead()) {
				// The front refuses what it cannot route as dockerd
				// does, where dockerd would answer 404 or redirect.
				return
			}
			if diff := cmp.Diff(c.want, resp.Status); diff != "" {
				t.Errorf("%s %s: status (-want +got):\n%s\ndaemon said: %s", c.method, c.target, diff, resp)
			}
		})
	}
	if h.mode == modeFront {
		return // the front judges every request: there is no router before it
	}
	// A routed request with a marker (dockerd calls the plugin, then the
	// handler answers 404 "no such container"): if the plugin's log shows
	// that marker but not the unrouted one, the plugin was not called for
	// the unknown route — dockerd's router answered 404 before authz.
	resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + routedProbe + "/json"})
	if resp.Status != 404 {
		t.Errorf("GET a missing container: want 404, got %s", resp)
	}
	time.Sleep(200 * time.Millisecond)
	b, err := os.ReadFile(h.pluginLog)
	switch {
	case err != nil:
		t.Logf("cannot read the plugin log: %v", err)
	case !strings.Contains(string(b), routedProbe):
		t.Logf("the plugin's log does not record request paths; cannot tell whether unrouted requests reach it")
	case strings.Contains(string(b), routingProbe):
		t.Errorf("the plugin was called for an unrouted request (%s in %s)", routingProbe, h.pluginLog)
	default:
		t.Logf("confirmed from the plugin's log: it was called for the routed probe and not for the unknown route")
	}
}

const (
	routingProbe = "frobnicate-routing-probe"
	routedProbe  = "dg-it-routed-probe"
)
