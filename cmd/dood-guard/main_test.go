package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/google/go-cmp/cmp"
)

// These tests run the real binary on a unix socket and speak the plugin
// protocol to it the way dockerd does.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dood-guard-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dood-guard")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type server struct {
	cmd    *exec.Cmd
	socket string
	logs   *bytes.Buffer
	client *http.Client
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "dg.sock")
	s := &server{socket: socket, logs: &bytes.Buffer{}}
	s.cmd = exec.Command(binary, append([]string{"serve", "--socket", socket}, args...)...)
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	s.client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}, Timeout: 10 * time.Second}
	// The socket file exists before the listener accepts: wait until a
	// connection succeeds, not for the file.
	for i := 0; i < 400; i++ {
		if c, err := net.Dial("unix", socket); err == nil {
			c.Close()
			return s
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("socket never accepted a connection; logs:\n%s", s.logs)
	return nil
}

func (s *server) post(t *testing.T, path string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := s.client.Post("http://plugin"+path, "application/vnd.docker.plugins.v1.2+json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func (s *server) authz(t *testing.T, req authorization.Request) authorization.Response {
	t.Helper()
	b, _ := json.Marshal(req)
	code, out := s.post(t, "/AuthZPlugin.AuthZReq", b)
	if code != http.StatusOK {
		t.Fatalf("AuthZReq answered %d: %s", code, out)
	}
	var r authorization.Response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("AuthZReq answer %q: %v", out, err)
	}
	return r
}

func TestProtocol(t *testing.T) {
	s := startServer(t)
	code, out := s.post(t, "/Plugin.Activate", nil)
	if code != 200 || !strings.Contains(string(out), `"authz"`) {
		t.Fatalf("Plugin.Activate = %d %s, want the authz interface", code, out)
	}
	cases := []struct {
		name string
		req  authorization.Request
		want authorization.Response
	}{
		{"ping is allowed", authorization.Request{RequestMethod: "GET", RequestURI: "/_ping"}, authorization.Response{Allow: true}},
		{"privileged create is denied with the rule ID", authorization.Request{
			RequestMethod: "POST", RequestURI: "/v1.41/containers/create",
			RequestHeaders: map[string]string{"Content-Type": "application/json"},
			RequestBody:    []byte(`{"Image":"x","HostConfig":{"Privileged":true}}`),
		}, authorization.Response{Msg: "[DG-PRIV-001] privileged containers are not allowed (HostConfig.Privileged)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, s.authz(t, tc.req)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnreadableRequestsAreNeverApproved: dockerd retries a call with an
// empty body, and a broken client may send garbage; neither may pass.
func TestUnreadableRequestsAreNeverApproved(t *testing.T) {
	s := startServer(t)
	for name, body := range map[string]string{"empty body": "", "garbage": "{not json", "empty object": "{}"} {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/AuthZPlugin.AuthZReq", "/AuthZPlugin.AuthZRes"} {
				code, out := s.post(t, path, []byte(body))
				if code == http.StatusOK && strings.Contains(string(out), `"Allow":true`) {
					t.Errorf("%s with %s: %d %s, want a denial or an error", path, name, code, out)
				}
			}
		})
	}
}

func TestDecisionLogIsJSON(t *testing.T) {
	s := startServer(t)
	s.authz(t, authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/x/exec",
		RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestBody:    []byte(`{"Privileged":true,"Env":["SECRET=s3cr3t"]}`)})
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if entry["endpoint"] == "exec.create" {
			found = true
			if diff := cmp.Diff([]any{"DG-PRIV-002"}, entry["rule_ids"]); diff != "" {
				t.Errorf("rule_ids (-want +got):\n%s", diff)
			}
		}
	}
	if !found {
		t.Errorf("no decision line for exec.create in:\n%s", s.logs)
	}
	if strings.Contains(s.logs.String(), "s3cr3t") {
		t.Error("the log leaks the request body")
	}
}

// TestDecisionLogFlags: which decisions are logged, and that the allowed
// lines the JSON sink buffers are written by shutdown, before the logrus
// line that follows them.
func TestDecisionLogFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    []string // substrings of the log, in order
		notWant string
	}{
		{"json: allowed line before the shutdown line", nil,
			[]string{`"endpoint":"ping"`, `"msg":"request allowed"`, `"msg":"shutting down"`}, ""},
		{"deny only: no allowed line", []string{"--log-decisions", "deny"}, []string{`"msg":"shutting down"`}, "request allowed"},
		{"level warn: no allowed line", []string{"--log-level", "warn"}, nil, "request allowed"},
		{"text: the logrus line", []string{"--log-format", "text"},
			[]string{`msg="request allowed"`, "endpoint=ping", `msg="shutting down"`}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.args...)
			if r := s.authz(t, authorization.Request{RequestMethod: "GET", RequestURI: "/_ping"}); !r.Allow {
				t.Fatalf("ping denied: %+v", r)
			}
			s.cmd.Process.Signal(syscall.SIGTERM)
			s.cmd.Wait()
			logs := s.logs.String()
			rest := logs
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q missing, or out of order, in:\n%s", w, logs)
				}
				rest = rest[i+len(w):]
			}
			if tc.notWant != "" && strings.Contains(logs, tc.notWant) {
				t.Errorf("%q in:\n%s", tc.notWant, logs)
			}
		})
	}
}

func TestShutdownRemovesSocket(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		s := startServer(t)
		s.cmd.Process.Signal(sig)
		if err := s.cmd.Wait(); err != nil {
			t.Errorf("%v: exit %v, want 0; logs:\n%s", sig, err, s.logs)
		}
		if _, err := os.Stat(s.socket); !os.IsNotExist(err) {
			t.Errorf("%v: socket still there (%v)", sig, err)
		}
	}
}

func TestStaleSocketIsReplacedButALiveOneIsNot(t *testing.T) {
	s := startServer(t)
	// A second server on the same socket must refuse, not steal it.
	out, err := exec.Command(binary, "serve", "--socket", s.socket).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Errorf("second serve on a live socket: err=%v out=%s, want an 'in use' failure", err, out)
	}
	// A crash leaves the socket behind; the next start replaces it.
	s.cmd.Process.Kill()
	s.cmd.Wait()
	cmd := exec.Command(binary, "serve", "--socket", s.socket)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", s.socket); err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Error("serve did not take over a stale socket")
}

func TestBadConfigurationRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.rego")
	os.WriteFile(broken, []byte("package dood\ndecision := {"), 0o644)
	badData := filepath.Join(dir, "data.yaml")
	os.WriteFile(badData, []byte("guard:\n  protected_paths: /etc\n"), 0o644)
	nested := filepath.Join(dir, "nested")
	os.MkdirAll(nested, 0o755)
	os.WriteFile(filepath.Join(nested, "sub.rego"), []byte("package dood.rules.team.sub\nviolation contains {\"id\": \"T-1\", \"msg\": \"m\", \"path\": \"\"} if input.x\n"), 0o644)
	noViolation := filepath.Join(dir, "noviolation")
	os.MkdirAll(noViolation, 0o755)
	os.WriteFile(filepath.Join(noViolation, "deny.rego"), []byte("package dood.rules.team\ndeny contains \"no\" if input.x\n"), 0o644)
	cases := []struct {
		name    string
		args    []string
		wantOut string
	}{
		{"broken policy", []string{"--policy", broken}, "compile policy"},
		{"missing policy", []string{"--policy", filepath.Join(dir, "nope.rego")}, "no such file"},
		{"bad data", []string{"--data", badData}, "data.guard.protected_paths"},
		{"bad log format", []string{"--log-format", "xml"}, `log-format "xml"`},
		{"team package never evaluated", []string{"--rules", nested}, filepath.Join(nested, "sub.rego") + `: package dood.rules.team.sub is never evaluated`},
		{"team package without violation", []string{"--rules", noViolation}, filepath.Join(noViolation, "deny.rego") + `: package dood.rules.team defines no`},
		{"relative socket", []string{"--socket", "x.sock"}, "absolute path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--socket", filepath.Join(t.TempDir(), "s.sock")}, tc.args...)
			out, err := exec.Command(binary, args...).CombinedOutput()
			if err == nil {
				t.Fatalf("serve started with %v", tc.args)
			}
			if !strings.Contains(string(out), tc.wantOut) {
				t.Errorf("output %q, want it to mention %q", out, tc.wantOut)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dood-guard ", "commit: ", "opa: 1."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version output %q lacks %q", out, want)
		}
	}
}

func TestEvalCommand(t *testing.T) {
	req := `{"RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestHeaders":{"Content-Type":"application/json"},"RequestBody":"` +
		b64(`{"HostConfig":{"Binds":["/:/host"]}}`) + `"}`
	cmd := exec.Command(binary, "eval")
	cmd.Stdin = strings.NewReader(req)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("eval of a denied request: err=%v, want exit code 3", err)
	}
	if !strings.Contains(string(out), "DG-MNT-001") {
		t.Errorf("eval output %s lacks DG-MNT-001", out)
	}
}

func b64(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}
