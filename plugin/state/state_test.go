package state

import (
	"context"
	"errors"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/open-policy-agent/opa/v1/ast"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dood-guard/dood-guard/plugin/hostpath"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/google/go-cmp/cmp"
)

// fakeDaemon serves inspect answers on a unix socket, as dockerd would.
type fakeDaemon struct {
	mu         sync.Mutex
	containers map[string]string // ref -> inspect JSON
	volumes    map[string]string
	other      map[string]string // path -> body (GET /info, GET /plugins)
	status     int               // when set, every answer has this status
	hits       map[string]int
	sock       string
	events     chan string // lines of GET /events, when set
	root       string      // DockerRootDir in GET /info, when set
	probes     bool        // GET /volumes/{unknown} hangs, as behind a stale plugin
}

func newFakeDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	d := &fakeDaemon{containers: map[string]string{}, volumes: map[string]string{}, other: map[string]string{}, hits: map[string]int{}}
	dir, err := os.MkdirTemp("", "dg-state")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d.sock = filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(d.serve))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return d
}

func (d *fakeDaemon) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/events" && d.events != nil {
		if !strings.Contains(r.URL.Query().Get("filters"), `"rename":true`) {
			http.Error(w, "unfiltered", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case ev := <-d.events:
				io.WriteString(w, ev+"\n")
				w.(http.Flusher).Flush()
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hits[r.URL.Path]++
	if r.Method != http.MethodGet {
		http.Error(w, `{"message":"only GET"}`, http.StatusMethodNotAllowed)
		return
	}
	if d.status != 0 {
		w.WriteHeader(d.status)
		w.Write([]byte(`{"message":"daemon is shutting down"}`))
		return
	}
	var body string
	var ok bool
	if strings.HasPrefix(r.URL.Path, "/volumes/") && d.probes {
		// dockerd probing a stale legacy volume plugin for a name it
		// has no record of: no answer until the client gives up.
		if _, known := d.volumes[strings.TrimPrefix(r.URL.Path, "/volumes/")]; !known {
			d.mu.Unlock()
			<-r.Context().Done()
			d.mu.Lock()
			return
		}
	}
	switch {
	case r.URL.Path == "/info" && d.root != "":
		body, ok = `{"DockerRootDir":"`+d.root+`","Driver":"overlay2"}`, true
	case strings.HasPrefix(r.URL.Path, "/containers/") && strings.HasSuffix(r.URL.Path, "/json"):
		body, ok = d.containers[strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/containers/"), "/json")]
	case strings.HasPrefix(r.URL.Path, "/volumes/"):
		body, ok = d.volumes[strings.TrimPrefix(r.URL.Path, "/volumes/")]
	default:
		body, ok = d.other[r.URL.Path]
	}
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"No such object"}`))
		return
	}
	w.Write([]byte(body))
}

func (d *fakeDaemon) hitCount(p string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits[p]
}

const rootfsInspect = `{"Id":"2222abcd","Name":"/rootfs","Config":{"Labels":{"team":"ops"}},
	"HostConfig":{"Privileged":true,"PidMode":"host","NetworkMode":"bridge","IpcMode":"private","UTSMode":"","UsernsMode":"","CgroupnsMode":"private","CapAdd":["sys_admin","CAP_NET_ADMIN"]},
	"Mounts":[{"Type":"bind","Source":"/","Destination":"/host","Mode":"","RW":true},
		{"Type":"volume","Name":"hostroot","Source":"/var/lib/docker/volumes/hostroot/_data","Destination":"/h","Driver":"local"}]}`

const hostrootVolume = `{"Name":"hostroot","Driver":"local","Options":{"type":"none","o":"bind","device":"/"},"Mountpoint":"/var/lib/docker/volumes/hostroot/_data"}`

func newSource(t *testing.T, d *fakeDaemon, opts Options) *Source {
	t.Helper()
	s, err := New("unix://"+d.sock, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func execInput(ref string) *input.Document {
	return &input.Document{Endpoint: "exec.create", Params: map[string]string{"name": ref}, Query: map[string]string{}}
}

// plainLookup is Source.Lookup with the state read back as the policy sees
// it (input.Value), as plain values.
func plainLookup(s *Source, ctx context.Context, doc *input.Document, kinds []string) (map[string]any, error) {
	st, err := s.Lookup(ctx, doc, kinds)
	if st == nil || err != nil {
		return nil, err
	}
	v, err := input.Value(st)
	if err != nil {
		return nil, err
	}
	j, err := ast.JSON(v)
	if err != nil {
		return nil, err
	}
	return j.(map[string]any), nil
}

var (
	execKinds   = []string{KindParamsName}
	createKinds = []string{KindCreate}
)

func TestLookupReachIn(t *testing.T) {
	d := newFakeDaemon(t)
	d.containers["rootfs"] = rootfsInspect
	d.volumes["hostroot"] = hostrootVolume
	s := newSource(t, d, Options{})
	got, err := plainLookup(s, context.Background(), execInput("rootfs"), execKinds)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"containers": map[string]any{"rootfs": map[string]any{
			"found": true, "id": "2222abcd", "name": "rootfs", "privileged": true, "path": "params.name",
			"mounts": []any{
				map[string]any{"type": "bind", "source": "/", "destination": "/host", "driver": "", "name": "", "host_source": "/", "host_kind": "unknown"},
				map[string]any{"type": "volume", "source": "/var/lib/docker/volumes/hostroot/_data", "destination": "/h", "driver": "local", "name": "hostroot"},
			},
			"namespaces": map[string]any{"pid": "host", "network": "bridge", "ipc": "private", "uts": "", "user": "", "cgroup": "private"},
			"cap_add":    []any{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"},
			"labels":     map[string]any{"team": "ops"},
		}},
		"volumes": map[string]any{"hostroot": map[string]any{
			"found": true, "name": "hostroot", "driver": "local", "path": "params.name",
			"options": map[string]any{"type": "none", "o": "bind", "device": "/"},
		}},
	}
	c := mapOf(mapOf(got["containers"])["rootfs"])
	facts, body := mapOf(c["facts"]), mapOf(c["body"])
	delete(c, "facts")
	delete(c, "body")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	// As a create of it would be read: the create rules judge it.
	if p := mapOf(facts["privileged"]); p["value"] != true || p["path"] != "HostConfig.Privileged" {
		t.Errorf("facts.privileged = %v", p)
	}
	if m := mapOf(mapOf(facts["namespaces"])["pid"]); m["mode"] != "host" {
		t.Errorf("facts.namespaces.pid = %v", m)
	}
	if hc := mapOf(body["HostConfig"]); hc["Privileged"] != true || mapOf(body["Labels"])["team"] != "ops" {
		t.Errorf("body: HostConfig %v, Labels %v", hc, body["Labels"])
	}
}

// TestExistingContainerAsCreate (issue 11, items 1 and 5): an existing
// container is rendered with the facts a create of it would get now —
// devices, device cgroup rules, security options, masked paths, restart
// policy — and its bind sources resolved on the host at every lookup, so a
// source swapped for a symlink since it was created shows where it leads
// now. Binds taken with VolumesFrom are among its mounts.
func TestExistingContainerAsCreate(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(filepath.Join(ws, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := newFakeDaemon(t)
	d.containers["job"] = `{"Id":"9","Name":"/job","Config":{"User":"1000","Labels":{}},
		"HostConfig":{"Binds":["` + ws + `/x:/h"],"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}],
			"DeviceCgroupRules":["b 8:* rwm"],"SecurityOpt":["apparmor=unconfined"],"MaskedPaths":[],"RestartPolicy":{"Name":"always"},
			"VolumesFrom":["other"],"CgroupnsMode":"host"},
		"Mounts":[{"Type":"bind","Source":"` + ws + `/x","Destination":"/h","RW":true},{"Type":"bind","Source":"/srv/other","Destination":"/o","RW":false}]}`
	host := hostResolver(t)
	host.CgroupV1 = true
	s := newSource(t, d, Options{Host: host, TTL: time.Hour})
	facts := func() map[string]any {
		t.Helper()
		st, err := plainLookup(s, context.Background(), &input.Document{Endpoint: "container.start", Params: map[string]string{"name": "job"}}, execKinds)
		if err != nil {
			t.Fatal(err)
		}
		return mapOf(mapOf(mapOf(st["containers"])["job"])["facts"])
	}
	f := facts()
	for key, want := range map[string]int{"devices": 1, "device_cgroup_rules": 1, "security_options": 1, "mounts": 2} {
		if got := len(listOf(f[key])); got != want {
			t.Errorf("facts.%s has %d entries, want %d: %v", key, got, want, f[key])
		}
	}
	if m := mapOf(f["masked_paths"]); m["set"] != true || len(listOf(m["value"])) != 0 {
		t.Errorf("facts.masked_paths = %v, want set and empty", m)
	}
	if r := mapOf(f["restart_policy"]); r["value"] != "always" {
		t.Errorf("facts.restart_policy = %v", r)
	}
	if m := mapOf(mapOf(f["namespaces"])["cgroup"]); m["mode"] != "" {
		t.Errorf("a recorded host cgroup namespace on cgroup v1 is the daemon's default: got %v", m)
	}
	bind := func(f map[string]any, i int) [3]string {
		m := mapOf(listOf(f["mounts"])[i])
		return [3]string{str(m["source"]), str(m["host_source"]), str(m["path"])}
	}
	if got, want := bind(f, 0), [3]string{ws + "/x", ws + "/x", "HostConfig.Binds[0]"}; got != want {
		t.Errorf("bind = %v, want %v", got, want)
	}
	if got, want := bind(f, 1), [3]string{"/srv/other", "/srv/other", "Mounts[1]"}; got != want {
		t.Errorf("bind taken with VolumesFrom = %v, want %v", got, want)
	}

	// The directory is swapped for a symlink to /: the next lookup, from
	// the cache, resolves again.
	if err := os.Remove(filepath.Join(ws, "x")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(ws, "x")); err != nil {
		t.Fatal(err)
	}
	if got, want := bind(facts(), 0), [3]string{ws + "/x", "/", "HostConfig.Binds[0]"}; got != want {
		t.Errorf("after the swap: bind = %v, want %v", got, want)
	}
	if n := d.hitCount("/containers/job/json"); n != 1 {
		t.Errorf("%d inspect calls, want 1 (the cache keeps the container, never the host's answer)", n)
	}
	// Which endpoints look the container up is the policy's table
	// (policies/dood/lookups.rego; plugin/guard's TestLookupTable).
	got, err := Refs(&input.Document{Endpoint: "container.start", Params: map[string]string{"name": "job"}}, []string{KindCreate, KindParamsName})
	if err != nil || !cmp.Equal([]Ref{{"container", "job", "params.name"}}, got) {
		t.Errorf("start refs: %v %v", got, err)
	}
}

func TestMissingObjectsAreReportedNotFailed(t *testing.T) {
	d := newFakeDaemon(t)
	s := newSource(t, d, Options{})
	got, err := plainLookup(s, context.Background(), execInput("nope"), execKinds)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"containers": map[string]any{"nope": map[string]any{"found": false, "path": "params.name"}}, "volumes": map[string]any{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	// A reference no daemon could resolve is not even sent.
	if _, err := s.Lookup(context.Background(), execInput("../../volumes/x"), execKinds); err != nil {
		t.Fatal(err)
	}
	if n := d.hitCount("/volumes/x"); n != 0 {
		t.Errorf("an invalid reference reached the daemon as %d requests", n)
	}
}

func TestUnreadableStateIsAnError(t *testing.T) {
	d := newFakeDaemon(t)
	d.status = http.StatusInternalServerError
	s := newSource(t, d, Options{})
	_, err := s.Lookup(context.Background(), execInput("rootfs"), execKinds)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "status 500: daemon is shutting down") {
		t.Errorf("err = %v, want ErrUnavailable with the daemon's message", err)
	}

	down, err := New("unix://"+filepath.Join(t.TempDir(), "none.sock"), Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.Lookup(context.Background(), execInput("rootfs"), execKinds); !errors.Is(err, ErrUnavailable) {
		t.Errorf("unreachable daemon: err = %v, want ErrUnavailable", err)
	}
	// Requests that point at nothing never need the daemon.
	if st, err := down.Lookup(context.Background(), &input.Document{Endpoint: "container.inspect", Params: map[string]string{"name": "rootfs"}}, nil); st != nil || err != nil {
		t.Errorf("inspect: state %v, err %v; want neither", st, err)
	}
}

func TestRefs(t *testing.T) {
	create := &input.Document{
		Endpoint: "container.create",
		Facts: &input.Facts{
			VolumesFrom: []input.StringFact{{Value: "rootfs:ro", Path: "HostConfig.VolumesFrom[0]"}},
			Namespaces: &input.Namespaces{
				Pid:     input.Namespace{Mode: "container:2222", Path: "HostConfig.PidMode"},
				Network: input.Namespace{Mode: "container:web", Path: "HostConfig.NetworkMode"},
				Ipc:     input.Namespace{Mode: "shareable", Path: "HostConfig.IpcMode"},
				Uts:     input.Namespace{Mode: "host", Path: "HostConfig.UTSMode"},
			},
			Mounts: []input.Mount{
				{Type: "volume", Source: "cache", Path: "HostConfig.Binds[0]"},
				{Type: "volume", Source: "", Path: "HostConfig.Mounts[0]"},
				{Type: "bind", Source: "/srv", Path: "HostConfig.Binds[1]"},
				{Type: "volume", Source: "opts", Path: "HostConfig.Mounts[1]"},
			},
		},
	}
	want := []Ref{
		{"container", "rootfs", "HostConfig.VolumesFrom[0]"},
		{"container", "2222", "HostConfig.PidMode"},
		{"container", "web", "HostConfig.NetworkMode"},
		{"volume", "cache", "HostConfig.Binds[0]"},
		{"volume", "opts", "HostConfig.Mounts[1]"},
	}
	got, err := Refs(create, []string{KindCreate})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create refs (-want +got):\n%s", diff)
	}
	commit := &input.Document{Endpoint: "container.commit", Query: map[string]string{"container": "web"}}
	if got, _ := Refs(commit, []string{KindQueryContainer}); !cmp.Equal([]Ref{{"container", "web", "query.container"}}, got) {
		t.Errorf("commit refs: %v", got)
	}
	if got, _ := Refs(commit, []string{KindAuthzPlugins}); !cmp.Equal([]Ref{{Kind: KindAuthzPlugins}}, got) {
		t.Errorf("chain refs: %v", got)
	}
	if _, err := Refs(commit, []string{"container:body.Name"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("unknown kind: err = %v, want ErrUnavailable", err)
	}
	if err := CheckKinds(map[string][]string{"exec.create": {KindParamsName}, "x": {"nope"}}); err == nil || !strings.Contains(err.Error(), `unknown lookup "nope"`) {
		t.Errorf("CheckKinds: %v", err)
	}
}

func TestCacheTTLAndInvalidation(t *testing.T) {
	d := newFakeDaemon(t)
	d.containers["web"] = `{"Id":"1111","Name":"/web","HostConfig":{}}`
	s := newSource(t, d, Options{TTL: time.Minute})
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	lookup := func() {
		t.Helper()
		if _, err := s.Lookup(context.Background(), execInput("web"), execKinds); err != nil {
			t.Fatal(err)
		}
	}
	lookup()
	lookup()
	if n := d.hitCount("/containers/web/json"); n != 1 {
		t.Fatalf("two lookups within the TTL made %d daemon calls, want 1", n)
	}
	now = now.Add(time.Minute)
	lookup()
	if n := d.hitCount("/containers/web/json"); n != 2 {
		t.Fatalf("a lookup after the TTL made %d calls in all, want 2", n)
	}
	// A handled rename may make "web" another container.
	s.Observe("POST", "/v1.41/containers/web/rename?name=old")
	lookup()
	if n := d.hitCount("/containers/web/json"); n != 3 {
		t.Fatalf("a lookup after a rename made %d calls in all, want 3", n)
	}
	// Reads and unrelated calls keep the cache.
	s.Observe("GET", "/v1.41/containers/web/json")
	s.Observe("POST", "/v1.41/containers/web/kill")
	lookup()
	if n := d.hitCount("/containers/web/json"); n != 3 {
		t.Fatalf("reads invalidated the cache: %d calls, want 3", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	d := newFakeDaemon(t)
	s := newSource(t, d, Options{TTL: time.Hour, MaxEntries: 10})
	for i := range 100 {
		if _, err := s.Lookup(context.Background(), execInput("c"+strings.Repeat("x", i)), execKinds); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.entries); n > 10 {
		t.Errorf("cache holds %d entries, bound is 10", n)
	}
}

func TestSocketPath(t *testing.T) {
	for in, want := range map[string]string{"unix:///var/run/docker.sock": "/var/run/docker.sock", "/run/d.sock": "/run/d.sock"} {
		if got, err := SocketPath(in); err != nil || got != want {
			t.Errorf("SocketPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"tcp://127.0.0.1:2375", "docker.sock", "unix://relative", ""} {
		if _, err := SocketPath(bad); err == nil {
			t.Errorf("SocketPath(%q) accepted", bad)
		}
	}
}

// watching is a source with an hour's TTL following d's event stream
// until the test ends; events feeds the stream.
func watching(t *testing.T, d *fakeDaemon) (*Source, context.Context, chan<- string) {
	t.Helper()
	events := make(chan string)
	d.events = events
	s := newSource(t, d, Options{TTL: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	connected := make(chan struct{}, 1)
	go s.Watch(ctx, func() { connected <- struct{}{} })
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not connect")
	}
	return s, ctx, events
}

func TestWatchInvalidatesOnEvents(t *testing.T) {
	d := newFakeDaemon(t)
	d.containers["web"] = `{"Id":"1111","Name":"/web","HostConfig":{}}`
	s, ctx, events := watching(t, d)
	if _, err := s.Lookup(ctx, execInput("web"), execKinds); err != nil {
		t.Fatal(err)
	}
	events <- `{"Type":"container","Action":"rename","Actor":{"ID":"1111"}}`
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.entries)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an event did not invalidate the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNamespaceJoinsAreFollowed(t *testing.T) {
	d := newFakeDaemon(t)
	d.containers["hostnet"] = `{"Id":"1","Name":"/hostnet","HostConfig":{"NetworkMode":"host","PidMode":""}}`
	d.containers["sidecar"] = `{"Id":"2","Name":"/sidecar","HostConfig":{"NetworkMode":"container:hostnet","PidMode":"container:plain"}}`
	d.containers["plain"] = `{"Id":"3","Name":"/plain","HostConfig":{"NetworkMode":"bridge"}}`
	d.containers["loop"] = `{"Id":"4","Name":"/loop","HostConfig":{"IpcMode":"container:loop"}}`
	s := newSource(t, d, Options{})
	ns := func(ref string) map[string]any {
		t.Helper()
		st, err := plainLookup(s, context.Background(), execInput(ref), execKinds)
		if err != nil {
			t.Fatal(err)
		}
		return mapOf(mapOf(mapOf(st["containers"])[ref])["namespaces"])
	}
	if got := ns("sidecar"); got["network"] != "host" || got["pid"] != "container:plain" {
		t.Errorf("sidecar namespaces %v: want network host (through hostnet), pid as given", got)
	}
	if got := ns("loop"); got["ipc"] != "host" {
		t.Errorf("a join chain past the bound must count as host, got %v", got)
	}
	// The cached entry of sidecar keeps what the daemon said.
	if got := ns("sidecar"); got["network"] != "host" {
		t.Errorf("second lookup: %v", got)
	}
}

// volumeInput is a create that mounts these named volumes.
func volumeInput(names ...string) *input.Document {
	var mounts []input.Mount
	for i, n := range names {
		mounts = append(mounts, input.Mount{Type: "volume", Source: n, Path: "HostConfig.Binds[" + strconv.Itoa(i) + "]"})
	}
	return &input.Document{Endpoint: "container.create", Facts: &input.Facts{Mounts: mounts}}
}

// hostResolver resolves on this machine, as the guard does with
// --host-root /.
func hostResolver(t *testing.T) normalize.Options {
	t.Helper()
	r, err := hostpath.New("/")
	if err != nil {
		t.Fatal(err)
	}
	return normalize.Options{Resolve: r.Resolve}
}

// TestVolumeThatDoesNotExistYet (issue 11, item 8): behind a stale legacy
// plugin socket, dockerd cannot answer GET /volumes/{name} for a name it
// has no record of. The guard sees on the host that the local driver has
// no such volume and never asks; a volume that exists is still read from
// the daemon, with its options.
func TestVolumeThatDoesNotExistYet(t *testing.T) {
	d := newFakeDaemon(t)
	d.probes = true
	d.root = t.TempDir()
	vols := filepath.Join(d.root, "volumes")
	for _, dir := range []string{filepath.Join(vols, "hostroot", "_data")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(vols, "metadata.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d.volumes["hostroot"] = hostrootVolume
	s := newSource(t, d, Options{Host: hostResolver(t), Timeout: 2 * time.Second})

	start := time.Now()
	got, err := plainLookup(s, context.Background(), volumeInput("cache", "hostroot"), createKinds)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("lookup took %v: the daemon was asked about a volume it has no record of", took)
	}
	want := map[string]any{
		"containers": map[string]any{},
		"volumes": map[string]any{
			"cache": map[string]any{"found": false, "path": "HostConfig.Binds[0]"},
			"hostroot": map[string]any{"found": true, "name": "hostroot", "driver": "local", "path": "HostConfig.Binds[1]",
				"options": map[string]any{"type": "none", "o": "bind", "device": "/"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if n := d.hitCount("/volumes/cache"); n != 0 {
		t.Errorf("GET /volumes/cache was sent %d times", n)
	}

	// Where the host cannot tell (no volume store beside the directories,
	// or no resolver), the daemon is asked, and its silence is an error.
	if err := os.Remove(filepath.Join(vols, "metadata.db")); err != nil {
		t.Fatal(err)
	}
	s = newSource(t, d, Options{Host: hostResolver(t), Timeout: 300 * time.Millisecond})
	if _, err := s.Lookup(context.Background(), volumeInput("cache"), createKinds); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no metadata.db: err = %v, want ErrUnavailable from asking the daemon", err)
	}
	s = newSource(t, d, Options{Timeout: 300 * time.Millisecond})
	if _, err := s.Lookup(context.Background(), volumeInput("cache"), createKinds); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no resolver: err = %v, want ErrUnavailable from asking the daemon", err)
	}
}

// Readers of the plain document plainLookup returns.

func str(v any) string {
	s, _ := v.(string)
	return s
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// A CI job's create mounts the same cache volume as the last job's, while
// jobs create and remove containers around it: what a volume that exists
// is cannot change with them, so it is asked about once. A volume found
// missing may be created by the next create, and is asked about again; a
// removal with its volumes (?v=1), or any volume call, forgets everything.
func TestContainerCallsKeepKnownVolumes(t *testing.T) {
	d := newFakeDaemon(t)
	d.volumes["cache"] = `{"Name":"cache","Driver":"local","Options":{},"Mountpoint":"/var/lib/docker/volumes/cache/_data"}`
	d.containers["web"] = `{"Id":"1111","Name":"/web","HostConfig":{}}`
	s := newSource(t, d, Options{TTL: time.Hour})
	lookup := func() {
		t.Helper()
		if _, err := s.Lookup(context.Background(), volumeInput("cache", "later"), createKinds); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lookup(context.Background(), execInput("web"), execKinds); err != nil {
			t.Fatal(err)
		}
	}
	want := func(step string, cache, later, web int) {
		t.Helper()
		got := [3]int{d.hitCount("/volumes/cache"), d.hitCount("/volumes/later"), d.hitCount("/containers/web/json")}
		if got != [3]int{cache, later, web} {
			t.Errorf("after %s: GET cache, later, web sent %v times in all, want %v", step, got, [3]int{cache, later, web})
		}
	}
	lookup()
	want("the first lookups", 1, 1, 1)
	for _, call := range [][2]string{
		{"POST", "/v1.41/containers/create?name=job-2"},
		{"DELETE", "/v1.41/containers/job-1?force=1"},
		{"POST", "/v1.41/containers/web/rename?name=old"},
	} {
		s.Observe(call[0], call[1])
		lookup()
	}
	want("container create, remove and rename", 1, 4, 4)
	s.Observe("DELETE", "/v1.41/containers/job-2?v=1")
	lookup()
	want("a remove with its volumes", 2, 5, 5)
	s.Observe("POST", "/v1.41/volumes/create")
	lookup()
	want("a volume create", 3, 6, 6)
}

// The same through the daemon's events: a container's event, or a
// volume's creation, keeps the volumes that exist; a volume's destruction
// forgets everything.
func TestContainerEventsKeepKnownVolumes(t *testing.T) {
	d := newFakeDaemon(t)
	d.volumes["cache"] = `{"Name":"cache","Driver":"local","Options":{},"Mountpoint":"/x"}`
	s, ctx, events := watching(t, d)
	entries := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.entries)
	}
	waitFor := func(n int, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for entries() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d entries, want %d", what, entries(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := s.Lookup(ctx, volumeInput("cache", "later"), createKinds); err != nil {
		t.Fatal(err)
	}
	waitFor(2, "the lookups")
	events <- `{"Type":"container","Action":"create","Actor":{"ID":"2222"}}`
	// The volume found missing goes (the create may have made it); the
	// one that exists stays.
	waitFor(1, "a container event")
	s.mu.Lock()
	_, kept := s.entries[volumeKey+"cache"]
	s.mu.Unlock()
	if !kept {
		t.Fatal("a container event dropped the volume that exists")
	}
	// dockerd 20.10 announces the volume of every create mounting it.
	if _, err := s.Lookup(ctx, volumeInput("cache", "later"), createKinds); err != nil {
		t.Fatal(err)
	}
	waitFor(2, "the lookups again")
	events <- `{"Type":"volume","Action":"create","Actor":{"ID":"cache"}}`
	waitFor(1, "a volume create event")
	events <- `{"Type":"volume","Action":"destroy","Actor":{"ID":"cache"}}`
	waitFor(0, "a volume destroy event")
}
