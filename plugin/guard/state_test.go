package guard

import (
	"context"
	"errors"
	"github.com/dood-guard/dood-guard/plugin/input"
	"strings"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/moby/moby/api/types/container"
)

// testGuardID is the ID of the managed guard in emptyDaemon's chain.
const testGuardID = "4f2a9c0e7b1d3a5f6e8c0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a"

// emptyDaemon is a daemon where nothing the requests name exists, with the
// guard installed as the managed plugin dood-guard:latest as its only
// authorization plugin.
func emptyDaemon() *fakeState {
	return &fakeState{chain: []input.AuthzPlugin{{Name: "dood-guard:latest", ID: testGuardID, Plugin: "dood-guard:latest"}}}
}

// fakeState answers lookups from a table, as plugin/state would. Safe for
// concurrent use, as the guard calls it (TestConcurrentDecisionsWhilePoliciesSwap).
type fakeState struct {
	containers map[string]*input.Existing
	chain      []input.AuthzPlugin // input.state.authz_plugins
	err        error
	mu         sync.Mutex // guards lookups and observed
	lookups    int
	observed   []string
}

func (f *fakeState) Lookup(_ context.Context, doc *input.Document, kinds []string) (*input.State, error) {
	refs, err := state.Refs(doc, kinds)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	f.mu.Lock()
	f.lookups++
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := &input.State{Containers: map[string]*input.Container{}, Volumes: map[string]*input.Volume{}}
	for _, r := range refs {
		if r.Kind == state.KindAuthzPlugins {
			out.AuthzPlugins = append([]input.AuthzPlugin{}, f.chain...)
			continue
		}
		if r.Kind == "volume" {
			out.Volumes[r.Name] = &input.Volume{Path: r.Path}
			continue
		}
		c := f.containers[r.Name]
		out.Containers[r.Name] = &input.Container{Found: c != nil, Existing: c, Path: r.Path}
	}
	return out, nil
}

func (f *fakeState) Observe(method, uri string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observed = append(f.observed, method+" "+uri)
}

// stateContainer is a container as plugin/state renders it: what it is,
// and the body and facts a create of it would have (normalize.Existing).
func stateContainer(name string, privileged bool) *input.Existing {
	body, facts, err := normalize.Existing(&container.Config{Image: "x"}, &container.HostConfig{Privileged: privileged}, normalize.Options{})
	if err != nil {
		panic(err)
	}
	return &input.Existing{
		ID: name + "-id", Name: name, Privileged: privileged,
		Mounts: []input.ContainerMount{}, Namespaces: map[string]string{}, CapAdd: []string{}, Labels: map[string]string{},
		Body: body, Facts: facts,
	}
}

func TestStateReachesThePolicy(t *testing.T) {
	g := newTestGuard(t)
	st := &fakeState{containers: map[string]*input.Existing{"dind": stateContainer("dind", true), "web": stateContainer("web", false)}}
	g.SetState(st)
	exec := func(name string) authorization.Request {
		return jsonReq("POST", "/v1.41/containers/"+name+"/exec", `{"Cmd":["sh"],"User":"1000"}`)
	}
	cases := []struct {
		name   string
		req    authorization.Request
		wantID string // "" for allowed
	}{
		{"exec into a privileged container", exec("dind"), "DG-STATE-005"},
		{"exec into an ordinary container", exec("web"), ""},
		{"exec into a container that does not exist", exec("gone"), ""},
		{"copy out of a privileged container", authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/dind/archive?path=/"}, "DG-STATE-005"},
		{"copy out of an ordinary container", authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/web/archive?path=/"}, ""},
		{"commit a privileged container", authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/commit?container=dind", RequestHeaders: map[string]string{"Content-Length": "0"}}, "DG-STATE-005"},
		{"volumes from a privileged container", jsonReq("POST", "/v1.41/containers/create", `{"Image":"x","HostConfig":{"VolumesFrom":["dind:ro"]}}`), "DG-STATE-003"},
		{"join the network of a privileged container", jsonReq("POST", "/v1.41/containers/create", `{"Image":"x","HostConfig":{"NetworkMode":"container:dind"}}`), "DG-STATE-004"},
		{"start a privileged container", authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/dind/start"}, "DG-STATE-006"},
		{"restart an ordinary container", authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/web/restart"}, ""},
		{"give a privileged container a restart policy", jsonReq("POST", "/v1.41/containers/dind/update", `{"RestartPolicy":{"Name":"always"}}`), "DG-STATE-006"},
		{"the guard's own inspect", authorization.Request{RequestMethod: "GET", RequestURI: "/containers/dind/json"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Twice: the second answer must not come from an outcome
			// remembered for the first.
			for range 2 {
				out := g.Decide(context.Background(), c.req)
				if c.wantID == "" {
					if !out.Response.Allow {
						t.Fatalf("denied: %s", out.Response.Msg)
					}
					continue
				}
				if out.Response.Allow || !strings.Contains(out.Response.Msg, "["+c.wantID+"]") {
					t.Fatalf("got %+v, want a denial with %s", out.Response, c.wantID)
				}
			}
		})
	}
}

func TestStateIsNotServedFromTheDecisionCache(t *testing.T) {
	g := newTestGuard(t)
	st := &fakeState{containers: map[string]*input.Existing{"x": stateContainer("x", false)}}
	g.SetState(st)
	req := authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/x/export"}
	if out := g.Decide(context.Background(), req); !out.Response.Allow {
		t.Fatalf("export of an ordinary container denied: %s", out.Response.Msg)
	}
	// The same request, after "x" came to designate a privileged container.
	st.containers["x"] = stateContainer("x", true)
	if out := g.Decide(context.Background(), req); out.Response.Allow {
		t.Fatal("the second export was answered from a decision made on other state")
	}
	if st.lookups != 2 {
		t.Errorf("%d lookups, want 2", st.lookups)
	}
}

func TestUnreadableStateDenies(t *testing.T) {
	g := newTestGuard(t)
	st := &fakeState{err: errors.New("dial unix /var/run/docker.sock: connect: no such file or directory")}
	g.SetState(st)
	out := g.Decide(context.Background(), jsonReq("POST", "/v1.41/containers/web/exec", `{"Cmd":["sh"]}`))
	if out.Response.Allow || !strings.HasPrefix(out.Response.Msg, "[DG-STATE-001] the state of the objects the request points at could not be read: dial unix") {
		t.Errorf("got %+v, want DG-STATE-001", out.Response)
	}
	// A request refused on its own keeps its own reasons.
	out = g.Decide(context.Background(), jsonReq("POST", "/v1.41/containers/web/exec", `{"Cmd":["sh"],"Privileged":true}`))
	if out.Response.Allow || !strings.HasPrefix(out.Response.Msg, "[DG-PRIV-002]") {
		t.Errorf("got %+v, want DG-PRIV-002", out.Response)
	}
	// Requests that point at nothing never need the daemon.
	if out := g.Decide(context.Background(), authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/json"}); !out.Response.Allow {
		t.Errorf("list denied without state: %s", out.Response.Msg)
	}
}

func TestResponsePhaseIsObserved(t *testing.T) {
	g := newTestGuard(t)
	st := &fakeState{}
	g.SetState(st)
	g.AuthZRes(authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/a/rename?name=b"})
	if len(st.observed) != 1 || st.observed[0] != "POST /v1.41/containers/a/rename?name=b" {
		t.Errorf("observed %v", st.observed)
	}
}

// The embedded policy's lookup table (policies/dood/lookups.rego) names
// known endpoints and lookups the state source knows, and never an endpoint
// the state source itself calls: a lookup must never wait on a lookup.
func TestLookupTable(t *testing.T) {
	table := newTestGuard(t).policy.Load().engine.Lookups()
	if len(table) == 0 {
		t.Fatal("the embedded policy declares no lookups")
	}
	if err := state.CheckKinds(table); err != nil {
		t.Error(err)
	}
	known := map[string]bool{}
	for _, r := range route.Routes() {
		known[r.Endpoint] = true
	}
	for endpoint := range table {
		if !known[endpoint] {
			t.Errorf("lookups for %q, which is no endpoint", endpoint)
		}
	}
	for _, own := range []string{"info", "plugin.list", "container.inspect", "volume.inspect", "events", "container.list", "volume.list"} {
		if kinds, ok := table[own]; ok {
			t.Errorf("%s needs state %v: the state source's own calls must not", own, kinds)
		}
	}
}

// Every authorization plugin in the daemon's chain is protected, whatever
// its name, by any reference the daemon resolves to it; a plugin outside
// the chain is not; without the chain, plugin management is refused.
func TestAuthzChainProtected(t *testing.T) {
	const id = "9c1f0e2d3b4a59687706f5e4d3c2b1a0918273645546372819a0b1c2d3e4f5a6"
	chain := []input.AuthzPlugin{
		{Name: "localhost:5000/team/guard:1.0", ID: id, Plugin: "localhost:5000/team/guard:1.0"},
		{Name: "legacy-authz"},
	}
	g := newTestGuard(t)
	g.SetState(&fakeState{chain: chain})
	post := func(uri string) authorization.Request {
		return authorization.Request{RequestMethod: "POST", RequestURI: uri, RequestHeaders: map[string]string{"Content-Type": "application/json"}, RequestBody: []byte("[]")}
	}
	cases := []struct {
		name   string
		req    authorization.Request
		wantID string
	}{
		{"disable by name", post("/v1.41/plugins/localhost:5000/team/guard:1.0/disable"), "DG-PLUGIN-004"},
		{"disable by full ID", post("/v1.41/plugins/" + id + "/disable"), "DG-PLUGIN-004"},
		{"disable by ID prefix", post("/v1.41/plugins/9c1f/disable?force=1"), "DG-PLUGIN-004"},
		{"remove by ID prefix", authorization.Request{RequestMethod: "DELETE", RequestURI: "/v1.41/plugins/9c1f0e?force=1"}, "DG-PLUGIN-004"},
		{"set", post("/v1.41/plugins/localhost:5000/team/guard:1.0/set"), "DG-PLUGIN-004"},
		{"upgrade", post("/v1.41/plugins/localhost:5000/team/guard:1.0/upgrade?remote=evil/x"), "DG-PLUGIN-004"},
		{"push", post("/v1.41/plugins/localhost:5000/team/guard:1.0/push"), "DG-PLUGIN-004"},
		{"pull over the legacy plugin's name", post("/v1.41/plugins/pull?remote=evil/x&name=legacy-authz"), "DG-PLUGIN-004"},
		{"create over the legacy plugin's name", authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/plugins/create?name=legacy-authz:latest"}, "DG-PLUGIN-004"},
		{"disable another plugin by ID prefix", post("/v1.41/plugins/0a1b/disable"), ""},
		{"disable another plugin by name", post("/v1.41/plugins/sshfs/disable"), ""},
		{"pull under another name", post("/v1.41/plugins/pull?remote=evil/x&name=other"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := g.Decide(context.Background(), tc.req)
			has := strings.Contains(out.Response.Msg, "["+tc.wantID+"]")
			if tc.wantID == "" && strings.Contains(out.Response.Msg, "[DG-PLUGIN-004]") {
				t.Errorf("refused as the guard: %s", out.Response.Msg)
			}
			if tc.wantID != "" && (out.Response.Allow || !has) {
				t.Errorf("got %+v, want %s", out.Response, tc.wantID)
			}
		})
	}

	// No chain: an unreadable daemon, or no state source at all.
	g.SetState(&fakeState{err: errors.New("GET /info: status 500")})
	if out := g.Decide(context.Background(), post("/v1.41/plugins/0a1b/disable")); out.Response.Allow || !strings.HasPrefix(out.Response.Msg, "[DG-STATE-001] the state of the objects the request points at could not be read: GET /info") {
		t.Errorf("unreadable chain: %+v", out.Response)
	}
	g.SetState(nil)
	if out := g.Decide(context.Background(), post("/v1.41/plugins/0a1b/disable")); out.Response.Allow || !strings.Contains(out.Response.Msg, "[DG-STATE-001] the guard has no state for the daemon's authorization plugin chain") {
		t.Errorf("no state source: %+v", out.Response)
	}
}

// BenchmarkDecideWithState measures requests judged on an existing
// container (the state source answering from memory, as its cache does):
// an exec into it, and a start of it, which run the container rules once
// more on the container as a create of it (state.rego), against a start
// of a container that does not exist (no container to judge: the cost of
// the lookup table and the missing-state check alone).
func BenchmarkDecideWithState(b *testing.B) {
	web := stateContainer("web", false)
	ctx := context.Background()
	start := authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/web/start", RequestHeaders: map[string]string{}}
	exec := jsonReq("POST", "/v1.41/containers/web/exec", `{"Cmd":["sh"],"User":"1000"}`)
	for _, c := range []struct {
		name  string
		req   authorization.Request
		state bool
	}{
		{"start-of-nothing", start, false},
		{"start", start, true},
		{"exec-create", exec, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := newTestGuard(b) // emptyDaemon: "web" does not exist
			if c.state {
				g.SetState(&fakeState{containers: map[string]*input.Existing{"web": web}})
			}
			b.ReportAllocs()
			for b.Loop() {
				if out := g.Decide(ctx, c.req); !out.Response.Allow {
					b.Fatal(out.Response.Msg)
				}
			}
		})
	}
}
