//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The benign corpus: what a CI job does through the socket. Every request
// must be allowed, and where it matters the effect is checked.

// expectStatus fails the test unless resp has the wanted status.
func expectStatus(t testing.TB, what string, resp *rawResponse, want int) {
	t.Helper()
	if resp.Status != want {
		t.Fatalf("%s: status (-want +got):\n%s\ndaemon said: %s", what, cmp.Diff(want, resp.Status), resp)
	}
}

// runToCompletion starts id, waits for it and returns its exit code and
// output (stdout+stderr).
func runToCompletion(t testing.TB, id string) (int, string) {
	t.Helper()
	startContainer(t, id)
	return waitAndLogs(t, id)
}

func waitAndLogs(t testing.TB, id string) (int, string) {
	t.Helper()
	resp := h.docker.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + id + "/wait", Timeout: 2 * time.Minute})
	expectStatus(t, "wait", resp, 200)
	var w struct{ StatusCode int }
	if err := json.Unmarshal(resp.Body, &w); err != nil {
		t.Fatalf("wait: %v: %s", err, resp)
	}
	return w.StatusCode, logs(t, id)
}

func logs(t testing.TB, id string) string {
	t.Helper()
	resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + id + "/logs?stdout=1&stderr=1"})
	expectStatus(t, "logs", resp, 200)
	o, e := demux(resp.Body)
	return o + e
}

func readTestdata(t testing.TB, name string, repl ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(repl...).Replace(string(b)))
}

func tarOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	b, err := tarBytes(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tarBytes(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func untarFile(t testing.TB, b []byte, name string) string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s not in the archive", name)
		}
		if err != nil {
			t.Fatalf("reading archive: %v", err)
		}
		if strings.TrimPrefix(hd.Name, "./") == name {
			c, _ := io.ReadAll(tr)
			return string(c)
		}
	}
}

func deleteQuietly(target string) {
	_, _ = h.docker.Do(rawRequest{Method: "DELETE", Target: target, Timeout: 30 * time.Second})
}

type benignCase struct {
	name string
	run  func(t *testing.T)
}

var benignCases = []benignCase{
	{"api/ping-GET", func(t *testing.T) {
		resp := h.docker.do(t, rawRequest{Method: "GET", Target: "/_ping"})
		expectStatus(t, "GET /_ping", resp, 200)
		if diff := cmp.Diff("OK", string(resp.Body)); diff != "" {
			t.Errorf("GET /_ping body (-want +got):\n%s", diff)
		}
	}},
	{"api/ping-HEAD", func(t *testing.T) {
		expectStatus(t, "HEAD /_ping", h.docker.do(t, rawRequest{Method: "HEAD", Target: "/_ping"}), 200)
	}},
	{"api/ping-versioned", func(t *testing.T) {
		expectStatus(t, "GET /v1.41/_ping", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/_ping"}), 200)
	}},
	{"api/version", func(t *testing.T) {
		resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/version"})
		expectStatus(t, "version", resp, 200)
		var v struct{ APIVersion string }
		_ = json.Unmarshal(resp.Body, &v)
		if v.APIVersion == "" {
			t.Errorf("version: no ApiVersion in %s", resp)
		}
	}},
	{"api/version-unversioned", func(t *testing.T) {
		expectStatus(t, "GET /version", h.docker.do(t, rawRequest{Method: "GET", Target: "/version"}), 200)
	}},
	{"api/info", func(t *testing.T) {
		expectStatus(t, "info", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/info"}), 200)
	}},
	{"containers/list", func(t *testing.T) {
		expectStatus(t, "containers/json", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/json?all=1"}), 200)
	}},
	{"images/list", func(t *testing.T) {
		resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/images/json"})
		expectStatus(t, "images/json", resp, 200)
		if !strings.Contains(string(resp.Body), image+":latest") {
			t.Errorf("images/json does not list %s: %s", image, resp)
		}
	}},
	{"images/inspect-and-history", func(t *testing.T) {
		expectStatus(t, "image inspect", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/images/" + image + "/json"}), 200)
		expectStatus(t, "image history", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/images/" + image + "/history"}), 200)
	}},
	{"container/docker-cli-create-body-start-wait-rm", func(t *testing.T) {
		// The exact body `docker create dood-guard-busybox true` sends:
		// explicit zero values everywhere ("Privileged":false,
		// "CapAdd":null, "Devices":[], "MaskedPaths":null...).
		body := readTestdata(t, "cli-create-body.json")
		resp := h.docker.jsonReq(t, "POST", createPath, body)
		id := createdID(resp)
		if id == "" {
			t.Fatalf("create with the docker CLI's body: want 201, got %s", resp)
		}
		cleanupContainer(t, id)
		if got := field(inspect(t, id), "HostConfig", "Privileged"); got != false {
			t.Errorf("HostConfig.Privileged = %v, want false", got)
		}
	}},
	{"container/docker-run-sequence-as-the-cli-sends-it", func(t *testing.T) {
		// docker run: create, wait?condition=next-exit (sent before
		// start), start — both with Content-Type text/plain and an empty
		// body — then rm.
		id := createContainer(t, readTestdata(t, "cli-create-body.json"))
		plain := [][2]string{{"Content-Type", "text/plain"}}
		// dockerd registers the wait, then sends the 200 header at once:
		// once the header is in, start.
		wresp, wconn, err := h.docker.Open(rawRequest{Method: "POST", Target: api + "/containers/" + id + "/wait?condition=next-exit", Header: plain, Body: []byte{}, Timeout: 2 * time.Minute})
		if err != nil {
			t.Fatalf("wait?condition=next-exit: %v", err)
		}
		defer wconn.Close()
		if wresp.StatusCode != 200 {
			b, _ := io.ReadAll(wresp.Body)
			t.Fatalf("wait?condition=next-exit: want 200, got %d %s", wresp.StatusCode, b)
		}
		resp := h.docker.do(t, rawRequest{Method: "POST", Target: api + "/containers/" + id + "/start", Header: plain, Body: []byte{}})
		expectStatus(t, "start (Content-Type text/plain, Content-Length 0)", resp, 204)
		wb, err := io.ReadAll(wresp.Body)
		if err != nil || !strings.Contains(string(wb), `"StatusCode":0`) {
			t.Errorf("wait result: %q %v", wb, err)
		}
		expectStatus(t, "rm", h.docker.do(t, rawRequest{Method: "DELETE", Target: api + "/containers/" + id}), 204)
	}},
	{"container/docker-cli-ci-body-workspace-volume-ports-user", func(t *testing.T) {
		// `docker create -p 8080:80 --cap-drop ALL -v WS:/workspace
		//  -v VOL:/cache -u 1000 -w /workspace -e CI=true
		//  --security-opt no-new-privileges dood-guard-busybox sh -c id`
		body := readTestdata(t, "cli-create-ci-body.json", "__WORKSPACE__", h.workspace, "__VOLUME__", "dg-it-cli-cache")
		t.Cleanup(func() { deleteQuietly(api + "/volumes/dg-it-cli-cache?force=1") })
		id := createContainer(t, body)
		code, out := runToCompletion(t, id)
		if code != 0 || !strings.Contains(out, "uid=1000") {
			t.Errorf("exit %d, output %q; want 0 and uid=1000", code, out)
		}
	}},
	{"container/run-logs", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"echo", "hello from busybox"}})
		code, out := runToCompletion(t, id)
		if diff := cmp.Diff("0 hello from busybox\n", fmt.Sprintf("%d %s", code, out)); diff != "" {
			t.Errorf("exit code and logs (-want +got):\n%s", diff)
		}
	}},
	{"container/create-with-name-and-stop-rm", func(t *testing.T) {
		resp := h.docker.jsonReq(t, "POST", createPath+"?name=dg-it-named", map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}})
		id := createdID(resp)
		if id == "" {
			t.Fatalf("create ?name=: want 201, got %s", resp)
		}
		cleanupContainer(t, id)
		startContainer(t, id)
		expectStatus(t, "stop", h.docker.do(t, rawRequest{Method: "POST", Target: api + "/containers/dg-it-named/stop?t=1"}), 204)
		if got := field(inspect(t, id), "State", "Running"); got != false {
			t.Errorf("State.Running after stop = %v", got)
		}
		expectStatus(t, "rm", h.docker.do(t, rawRequest{Method: "DELETE", Target: api + "/containers/dg-it-named"}), 204)
	}},
	{"container/update-resources", func(t *testing.T) {
		id := runningContainer(t)
		resp := h.docker.jsonReq(t, "POST", api+"/containers/"+id+"/update", map[string]any{"CpuShares": 512})
		expectStatus(t, "update", resp, 200)
	}},
	{"exec/as-user-1000", func(t *testing.T) {
		id := runningContainer(t)
		resp := h.docker.jsonReq(t, "POST", api+"/containers/"+id+"/exec", map[string]any{
			"User": "1000", "Cmd": []string{"id", "-u"}, "AttachStdout": true, "AttachStderr": true,
			"Privileged": false, "Tty": false, "Env": nil, "WorkingDir": "", "DetachKeys": "",
		})
		expectStatus(t, "exec create", resp, 201)
		var e struct{ Id string }
		_ = json.Unmarshal(resp.Body, &e)
		resp = h.docker.jsonReq(t, "POST", api+"/exec/"+e.Id+"/start", `{"Detach":false,"Tty":false}`)
		expectStatus(t, "exec start", resp, 200)
		o, _ := demux(resp.Body)
		if diff := cmp.Diff("1000\n", o); diff != "" {
			t.Errorf("exec output (-want +got):\n%s", diff)
		}
		resp = h.docker.do(t, rawRequest{Method: "GET", Target: api + "/exec/" + e.Id + "/json"})
		expectStatus(t, "exec inspect", resp, 200)
	}},
	{"volume/named-create-use-remove", func(t *testing.T) {
		t.Cleanup(func() { deleteQuietly(api + "/volumes/dg-it-vol?force=1") })
		resp := h.docker.jsonReq(t, "POST", api+"/volumes/create", map[string]any{"Name": "dg-it-vol", "Driver": "local", "DriverOpts": map[string]string{}, "Labels": map[string]string{}})
		expectStatus(t, "volume create", resp, 201)
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"sh", "-c", "echo cached > /data/f && cat /data/f"},
			"HostConfig": map[string]any{"Binds": []string{"dg-it-vol:/data"}}})
		code, out := runToCompletion(t, id)
		if code != 0 || out != "cached\n" {
			t.Errorf("exit %d output %q", code, out)
		}
		// and through HostConfig.Mounts type volume
		id2 := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"cat", "/v/f"},
			"HostConfig": map[string]any{"Mounts": []map[string]any{{"Type": "volume", "Source": "dg-it-vol", "Target": "/v", "ReadOnly": true}}}})
		code, out = runToCompletion(t, id2)
		if code != 0 || out != "cached\n" {
			t.Errorf("mounts type volume: exit %d output %q", code, out)
		}
		deleteQuietly(api + "/containers/" + id + "?force=1")
		deleteQuietly(api + "/containers/" + id2 + "?force=1")
		expectStatus(t, "volume rm", h.docker.do(t, rawRequest{Method: "DELETE", Target: api + "/volumes/dg-it-vol"}), 204)
	}},
	{"volume/local-tmpfs-driver-opts", func(t *testing.T) {
		// docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=8m
		t.Cleanup(func() { deleteQuietly(api + "/volumes/dg-it-tmpfs-vol?force=1") })
		resp := h.docker.jsonReq(t, "POST", api+"/volumes/create", map[string]any{"Name": "dg-it-tmpfs-vol", "Driver": "local",
			"DriverOpts": map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=8m"}})
		expectStatus(t, "volume create (tmpfs)", resp, 201)
	}},
	{"bind/ci-workspace", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"cat", "/workspace/README"}, "User": "1000",
			"HostConfig": map[string]any{"Binds": []string{h.workspace + ":/workspace:ro"}}})
		code, out := runToCompletion(t, id)
		if code != 0 || out != "workspace file\n" {
			t.Errorf("exit %d output %q", code, out)
		}
	}},
	{"bind/ci-workspace-via-mounts", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"sh", "-c", "echo built > /workspace/out.txt"},
			"HostConfig": map[string]any{"Mounts": []map[string]any{{"Type": "bind", "Source": h.workspace, "Target": "/workspace"}}}})
		code, out := runToCompletion(t, id)
		if code != 0 {
			t.Errorf("exit %d output %q", code, out)
		}
		b, err := os.ReadFile(filepath.Join(h.workspace, "out.txt"))
		if err != nil || string(b) != "built\n" {
			t.Errorf("file written through the bind: %q %v", b, err)
		}
	}},
	{"mounts/tmpfs", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"sh", "-c", "echo x > /scratch/x"},
			"HostConfig": map[string]any{"Mounts": []map[string]any{{"Type": "tmpfs", "Target": "/scratch"}}}})
		if code, out := runToCompletion(t, id); code != 0 {
			t.Errorf("exit %d output %q", code, out)
		}
	}},
	{"caps/drop-all", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"CapDrop": []string{"ALL"}}})
		if code, out := runToCompletion(t, id); code != 0 {
			t.Errorf("exit %d output %q", code, out)
		}
	}},
	{"caps/drop-all-add-back-CHOWN", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"CapDrop": []string{"ALL"}, "CapAdd": []string{"CHOWN"}}})
		if code, out := runToCompletion(t, id); code != 0 {
			t.Errorf("exit %d output %q", code, out)
		}
	}},
	{"secopt/no-new-privileges", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"SecurityOpt": []string{"no-new-privileges"}}})
		if code, out := runToCompletion(t, id); code != 0 {
			t.Errorf("exit %d output %q", code, out)
		}
	}},
	{"ports/publish-8080-to-80", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"sleep", "600"},
			"ExposedPorts": map[string]any{"80/tcp": map[string]any{}},
			"HostConfig":   map[string]any{"PortBindings": map[string]any{"80/tcp": []map[string]string{{"HostIp": "", "HostPort": "8080"}}}}})
		startContainer(t, id)
		got := field(inspect(t, id), "NetworkSettings", "Ports", "80/tcp")
		if !strings.Contains(fmt.Sprint(got), "8080") {
			t.Errorf("NetworkSettings.Ports[80/tcp] = %v, want HostPort 8080", got)
		}
	}},
	{"network/create-connect-disconnect-rm", func(t *testing.T) {
		t.Cleanup(func() { deleteQuietly(api + "/networks/dg-it-net") })
		resp := h.docker.jsonReq(t, "POST", api+"/networks/create", map[string]any{"Name": "dg-it-net", "CheckDuplicate": true, "Driver": "bridge",
			"IPAM": map[string]any{"Driver": "default", "Options": map[string]any{}, "Config": []any{}}, "Options": map[string]any{}, "Labels": map[string]any{}})
		expectStatus(t, "network create", resp, 201)
		id := runningContainer(t)
		expectStatus(t, "network connect", h.docker.jsonReq(t, "POST", api+"/networks/dg-it-net/connect", map[string]any{"Container": id, "EndpointConfig": map[string]any{}}), 200)
		if got := field(inspect(t, id), "NetworkSettings", "Networks", "dg-it-net"); got == nil {
			t.Errorf("container not on dg-it-net after connect")
		}
		expectStatus(t, "network disconnect", h.docker.jsonReq(t, "POST", api+"/networks/dg-it-net/disconnect", map[string]any{"Container": id, "Force": false}), 200)
		expectStatus(t, "network inspect", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/networks/dg-it-net"}), 200)
		expectStatus(t, "network rm", h.docker.do(t, rawRequest{Method: "DELETE", Target: api + "/networks/dg-it-net"}), 204)
	}},
	{"build/legacy-builder-tar-context", func(t *testing.T) {
		t.Cleanup(func() { deleteQuietly(api + "/images/dg-it-built:latest?force=1") })
		ctx := tarOf(t, map[string]string{"Dockerfile": "FROM " + image + "\nRUN echo hi\n"})
		// The query the docker CLI's legacy builder sends.
		q := "buildargs=%7B%7D&cachefrom=%5B%5D&cgroupparent=&cpuperiod=0&cpuquota=0&cpusetcpus=&cpusetmems=&cpushares=0&dockerfile=Dockerfile&labels=%7B%7D&memory=0&memswap=0&networkmode=default&rm=1&shmsize=0&t=dg-it-built%3Alatest&target=&ulimits=null&version=1"
		resp := h.docker.do(t, rawRequest{Method: "POST", Target: api + "/build?" + q, Header: [][2]string{{"Content-Type", "application/x-tar"}}, Body: ctx, Timeout: 3 * time.Minute})
		expectStatus(t, "build", resp, 200)
		out := string(resp.Body)
		if strings.Contains(out, "errorDetail") || !strings.Contains(out, `hi\n`) || !strings.Contains(out, "Successfully tagged dg-it-built:latest") {
			t.Errorf("build output lacks the RUN output or failed:\n%s", out)
		}
		expectStatus(t, "image rm", h.docker.do(t, rawRequest{Method: "DELETE", Target: api + "/images/dg-it-built:latest"}), 200)
	}},
	{"cp/archive-put-head-get", func(t *testing.T) {
		id := runningContainer(t)
		for _, ct := range []string{"application/x-tar", "text/plain" /* what the docker CLI sends */} {
			name := "from-" + strings.ReplaceAll(ct, "/", "-") + ".txt"
			arch := tarOf(t, map[string]string{name: "copied " + ct + "\n"})
			resp := h.docker.do(t, rawRequest{Method: "PUT", Target: api + "/containers/" + id + "/archive?noOverwriteDirNonDir=true&path=%2Ftmp", Header: [][2]string{{"Content-Type", ct}}, Body: arch})
			expectStatus(t, "PUT archive ("+ct+")", resp, 200)
			expectStatus(t, "HEAD archive", h.docker.do(t, rawRequest{Method: "HEAD", Target: api + "/containers/" + id + "/archive?path=%2Ftmp%2F" + name}), 200)
			resp = h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/" + id + "/archive?path=%2Ftmp%2F" + name})
			expectStatus(t, "GET archive", resp, 200)
			if diff := cmp.Diff("copied "+ct+"\n", untarFile(t, resp.Body, name)); diff != "" {
				t.Errorf("file copied in and out (-want +got):\n%s", diff)
			}
		}
	}},
	{"image/tag-inspect-delete", func(t *testing.T) {
		t.Cleanup(func() { deleteQuietly(api + "/images/dg-it-tagged:v1?force=1") })
		expectStatus(t, "tag", h.docker.do(t, rawRequest{Method: "POST", Target: api + "/images/" + image + "/tag?repo=dg-it-tagged&tag=v1"}), 201)
		expectStatus(t, "inspect tag", h.docker.do(t, rawRequest{Method: "GET", Target: api + "/images/dg-it-tagged:v1/json"}), 200)
		expectStatus(t, "delete tag", h.docker.do(t, rawRequest{Method: "DELETE", Target: api + "/images/dg-it-tagged:v1"}), 200)
	}},
	{"container/trailing-data-after-json", func(t *testing.T) {
		// dockerd 20.10 decodes only the first JSON value: the second
		// object never takes effect, so this is benign. From 23.0 dockerd
		// refuses the request itself (400), whatever the guard said.
		resp := h.docker.jsonReq(t, "POST", createPath, `{"Image":"`+image+`","Cmd":["true"]}{"HostConfig":{"Privileged":true}}`)
		if h.engine != engine2010 {
			if resp.Status != 400 || !strings.Contains(resp.Message(), "unexpected content after JSON") {
				t.Fatalf("create with trailing data on engine %s: want 400 unexpected content after JSON, got %s", h.engine, resp)
			}
			return
		}
		id := createdID(resp)
		if id == "" {
			t.Fatalf("create with trailing data: want 201, got %s", resp)
		}
		cleanupContainer(t, id)
		if got := field(inspect(t, id), "HostConfig", "Privileged"); got != false {
			t.Errorf("HostConfig.Privileged = %v: the trailing object took effect", got)
		}
	}},
	{"container/explicit-safe-values", func(t *testing.T) {
		// Explicit values equal to the defaults must not be mistaken for
		// escapes.
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{
			"Privileged": false, "NetworkMode": "bridge", "IpcMode": "private", "PidMode": "", "UTSMode": "",
			"UsernsMode": "", "CapAdd": []string{}, "Devices": []any{}, "DeviceCgroupRules": []string{}, "SecurityOpt": []string{},
			"ReadonlyRootfs": true,
		}})
		if code, out := runToCompletion(t, id); code != 0 {
			t.Errorf("exit %d output %q", code, out)
		}
	}},
}

func TestBenign(t *testing.T) {
	requireImage(t)
	for _, c := range benignCases {
		t.Run(c.name, c.run)
	}
}
