//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// modeFront runs the daemon with no authorization plugin and
// `dood-guard proxy` in front of it: h.docker and the CLI helpers talk to
// the front's socket, h.direct to the daemon's own.
const modeFront = "front"

func (h *harness) setupFront() error {
	if err := h.buildPlugin(); err != nil {
		return err
	}
	if err := h.startDockerd(""); err != nil {
		return err
	}
	return h.startFront()
}

// startFront starts the socket front before the private daemon. Its name
// is what its denials say ("authorization denied by NAME: ..."), so the
// corpus's DeniedBy checks hold as in the plugin modes.
func (h *harness) startFront() error {
	h.pluginName = fmt.Sprintf("dood-guard-it-%d", os.Getpid())
	h.frontSock = filepath.Join(h.tmp, "front.sock")
	h.pluginLog = filepath.Join(h.tmp, "front.log")
	h.metricsSock = filepath.Join(h.tmp, "metrics.sock")
	h.docker = &unixClient{socket: h.frontSock}
	return h.runFront()
}

// runFront starts the front process (again), with the flags the legacy
// plugin gets (config dir, metrics), and waits until a ping passes through
// it; env is added to its environment (DG_* settings).
func (h *harness) runFront(env ...string) error {
	args := append([]string{"proxy", "--socket", h.frontSock, "--name", h.pluginName,
		"--fronts-dir", filepath.Join(h.tmp, "fronts"), "--log-format", "json", "--log-level", "debug",
		"--docker-host", "unix://" + h.direct.socket}, h.policyArgs()...)
	return h.runGuardProcess("socket front", args, env, func() (bool, error) { return guardReady(), nil })
}

// guardReady says whether the guard under test answers: the plugin its
// handshake, the front a ping through to the daemon.
func guardReady() bool {
	if h.mode == modeFront {
		resp, err := h.docker.Do(rawRequest{Method: "GET", Target: "/_ping", Timeout: 5 * time.Second})
		return err == nil && resp.Status == 200
	}
	resp, err := pluginCall(h.pluginSock, "/Plugin.Activate", []byte("{}"))
	return err == nil && resp.Status == 200
}

// denialLead is how a denial by the guard under test begins, up to its
// name: dockerd relays a plugin's as "authorization denied by plugin NAME:
// ...", the front writes its own as "authorization denied by NAME: ...".
func denialLead() string {
	if h.mode == modeFront {
		return "authorization denied by "
	}
	return "authorization denied by plugin "
}

func requirePluginProtocol(t *testing.T) {
	t.Helper()
	if h != nil && h.mode == modeFront {
		t.Skip("the plugin protocol itself: the socket front does not serve it (DG_IT_MODE=legacy and managed test it)")
	}
}

func requireFront(t *testing.T) {
	t.Helper()
	requireEnv(t)
	if h.mode != modeFront {
		t.Skip("socket front only (DG_IT_MODE=front)")
	}
}

// TestDockerCLIStreams drives the CLI's interactive and streaming paths
// through the guard: attach with stdin (run -i), exec with stdin, logs -f
// and a bounded events stream. Runs in every mode; in front mode every byte
// passes through the front.
func TestDockerCLIStreams(t *testing.T) {
	requireImage(t)
	run := func(t *testing.T, stdin string, args ...string) string {
		t.Helper()
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		out, err := cli(t, in, args...)
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	t.Run("run-i-stdin-to-stdout", func(t *testing.T) {
		if out := run(t, "through stdin\n", "run", "--rm", "-i", image, "cat"); out != "through stdin\n" {
			t.Errorf("output %q", out)
		}
	})
	t.Run("exec-i-stdin", func(t *testing.T) {
		t.Cleanup(func() { _, _ = cli(t, nil, "rm", "-f", "dg-it-cli-exec-i") })
		run(t, "", "run", "-d", "--name", "dg-it-cli-exec-i", image, "sleep", "600")
		if out := run(t, "line one\nline two\n", "exec", "-i", "-u", "1000", "dg-it-cli-exec-i", "wc", "-l"); strings.TrimSpace(out) != "2" {
			t.Errorf("output %q", out)
		}
	})
	t.Run("logs-follow-until-exit", func(t *testing.T) {
		t.Cleanup(func() { _, _ = cli(t, nil, "rm", "-f", "dg-it-cli-logs") })
		run(t, "", "run", "-d", "--name", "dg-it-cli-logs", image, "sh", "-c", "echo one; sleep 2; echo two")
		if out := run(t, "", "logs", "-f", "dg-it-cli-logs"); out != "one\ntwo\n" {
			t.Errorf("logs -f output %q", out)
		}
	})
	t.Run("events-stream", func(t *testing.T) {
		since := time.Now().Add(-time.Second).Unix()
		run(t, "", "run", "--rm", "--name", "dg-it-cli-events", image, "true")
		out := run(t, "", "events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(time.Now().Add(2*time.Second).Unix()),
			"--filter", "container=dg-it-cli-events", "--format", "{{.Action}}")
		if !strings.Contains(out, "start") || !strings.Contains(out, "destroy") {
			t.Errorf("events output %q, want start and destroy", out)
		}
	})
	t.Run("stats-no-stream", func(t *testing.T) {
		t.Cleanup(func() { _, _ = cli(t, nil, "rm", "-f", "dg-it-cli-stats") })
		run(t, "", "run", "-d", "--name", "dg-it-cli-stats", image, "sleep", "600")
		if out := run(t, "", "stats", "--no-stream", "--format", "{{.Name}}", "dg-it-cli-stats"); strings.TrimSpace(out) != "dg-it-cli-stats" {
			t.Errorf("stats output %q", out)
		}
	})
}

// TestFrontRefusedNeverReachesTheDaemon: what the front refuses leaves no
// trace in the daemon — no container, no volume.
func TestFrontRefusedNeverReachesTheDaemon(t *testing.T) {
	requireFront(t)
	requireImage(t)
	resp := h.docker.jsonReq(t, "POST", api+"/containers/create?name=dg-it-front-refused",
		map[string]any{"Image": image, "HostConfig": map[string]any{"Privileged": true}})
	if got := judge(resp, "DG-PRIV-001"); got != (verdict{Status: 403, DeniedBy: h.pluginName, Rule: "DG-PRIV-001"}) {
		t.Fatalf("privileged create through the front: got %+v\n%s", got, resp)
	}
	if r := h.direct.do(t, rawRequest{Method: "GET", Target: api + "/containers/dg-it-front-refused/json"}); r.Status != 404 {
		t.Errorf("the daemon has the refused container: %s", r)
	}
	resp = h.docker.jsonReq(t, "POST", api+"/volumes/create",
		map[string]any{"Name": "dg-it-front-refused-vol", "Driver": "local", "DriverOpts": map[string]string{"type": "none", "o": "bind", "device": "/"}})
	if resp.Status != 403 {
		t.Fatalf("bind volume create through the front: want 403, got %s", resp)
	}
	if r := h.direct.do(t, rawRequest{Method: "GET", Target: api + "/volumes/dg-it-front-refused-vol"}); r.Status != 404 {
		t.Errorf("the daemon has the refused volume: %s", r)
	}
	// A JSON body over the front's 4 MiB is refused whole, never forwarded.
	resp = h.docker.jsonReq(t, "POST", api+"/containers/create?name=dg-it-front-too-big",
		`{"Image":"`+image+`","Labels":{"pad":"`+strings.Repeat("x", 4<<20)+`"}}`)
	if got := judge(resp, "DG-BODY-001"); got != (verdict{Status: 403, DeniedBy: h.pluginName, Rule: "DG-BODY-001"}) {
		t.Errorf("create with a body over 4 MiB through the front: got %+v\n%s", got, resp)
	}
	if r := h.direct.do(t, rawRequest{Method: "GET", Target: api + "/containers/dg-it-front-too-big/json"}); r.Status != 404 {
		t.Errorf("the daemon has the container whose body was too large to judge: %s", r)
	}
	// The same create straight to the daemon, which has no plugin: it
	// would have gone through. The front is what refused it.
	r := h.direct.jsonReq(t, "POST", api+"/containers/create?name=dg-it-front-refused",
		map[string]any{"Image": image, "HostConfig": map[string]any{"Privileged": true}})
	if id := createdID(r); id != "" {
		cleanupContainer(t, id)
	} else {
		t.Errorf("the daemon behind the front refused a privileged create itself (%s): the test proves nothing", r)
	}
}

// TestFrontRefusesHTTP2: HTTP/2 with prior knowledge (how BuildKit's gRPC
// reaches Docker 29 past every plugin) gets GOAWAY HTTP_1_1_REQUIRED with
// the reason; an h2c upgrade (BuildKit's /session and /grpc) gets the
// daemon's 403 shape. Neither reaches the daemon.
func TestFrontRefusesHTTP2(t *testing.T) {
	requireFront(t)
	t.Run("prior-knowledge-grpc", func(t *testing.T) {
		// A gRPC client's opening, frame by frame (Go's HTTP/2 client
		// drops GOAWAY's debug data from its error; gRPC's prints it).
		ga, answered := h2ListWorkers(t, h.frontSock)
		if answered || ga == nil || ga.ErrCode != http2.ErrCodeHTTP11Required || !strings.Contains(string(ga.DebugData()), "DG-REQ-003") {
			t.Errorf("HTTP/2 gRPC through the front: answered=%v GOAWAY %v; want GOAWAY HTTP_1_1_REQUIRED naming DG-REQ-003", answered, ga)
		}
		if h.engine == engine29 {
			// The same call on the daemon's own socket is answered: on
			// 29 it is the front, not the daemon, that closes the path.
			if _, answered := h2ListWorkers(t, h.direct.socket); !answered {
				t.Errorf("engine 29: the daemon's own socket did not answer the HTTP/2 gRPC call; the front's refusal proves nothing")
			}
		}
	})
	t.Run("h2c-upgrade-session", func(t *testing.T) {
		resp := h.docker.do(t, rawRequest{Method: "POST", Target: "/session", Header: [][2]string{
			{"Connection", "Upgrade, HTTP2-Settings"}, {"Upgrade", "h2c"}, {"HTTP2-Settings", "AAMAAABkAAQCAAAAAAIAAAAA"}, {"X-Docker-Expose-Session-Uuid", "dg-it"}}})
		if got := judge(resp, "DG-REQ-003"); got != (verdict{Status: 403, DeniedBy: h.pluginName, Rule: "DG-REQ-003"}) {
			t.Errorf("h2c upgrade through the front: got %+v\n%s", got, resp)
		}
	})
}

// TestFrontAudit: `dood-guard audit` lists the running front.
func TestFrontAudit(t *testing.T) {
	requireFront(t)
	cmd := exec.Command(h.bin, "audit", "--json", "--fronts-dir", filepath.Join(h.tmp, "fronts"), "--docker-host", "unix://"+h.direct.socket)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		err = nil // findings: other tests' objects
	}
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	var rep struct {
		Fronts []struct {
			PID    int    `json:"pid"`
			Socket string `json:"socket"`
			Alive  bool   `json:"alive"`
		} `json:"fronts"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("audit --json: %v\n%s", err, out)
	}
	if len(rep.Fronts) != 1 || rep.Fronts[0].PID != h.pluginCmd.Process.Pid || rep.Fronts[0].Socket != h.frontSock || !rep.Fronts[0].Alive {
		t.Errorf("audit fronts %+v, want the one running on %s", rep.Fronts, h.frontSock)
	}
}

// grpcListWorkers opens an HTTP/2 connection with prior knowledge on sock
// and sends BuildKit's ListWorkers call as gRPC does. It returns the GOAWAY
// the server sent, or answered when the server answered the call (HEADERS
// on its stream).
func h2ListWorkers(t *testing.T, sock string) (ga *http2.GoAwayFrame, answered bool) {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/moby.buildkit.v1.Control/ListWorkers"},
		{":authority", "docker"}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	_ = fr.WriteData(1, true, []byte{0, 0, 0, 0, 0})
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the server's frames on %s: %v (neither GOAWAY nor an answer)", sock, err)
		}
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			return f, false
		case *http2.HeadersFrame:
			if f.StreamID == 1 {
				return nil, true
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		}
	}
}
