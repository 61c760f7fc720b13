package guard

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/moby/moby/api/types/container"
)

// fakeState answers lookups from a table, as plugin/state would.
type fakeState struct {
	containers map[string]map[string]any
	err        error
	lookups    int
	observed   []string
}

func (f *fakeState) Lookup(_ context.Context, input map[string]any) (map[string]any, error) {
	refs := state.Refs(input)
	if len(refs) == 0 {
		return nil, nil
	}
	f.lookups++
	if f.err != nil {
		return nil, f.err
	}
	cs := map[string]any{}
	for _, r := range refs {
		c, ok := f.containers[r.Name]
		if !ok {
			c = map[string]any{"found": false}
		}
		cs[r.Name] = c
	}
	return map[string]any{"containers": cs, "volumes": map[string]any{}}, nil
}

func (f *fakeState) Observe(method, uri string) { f.observed = append(f.observed, method+" "+uri) }

// stateContainer is a container as plugin/state renders it: what it is,
// and the body and facts a create of it would have (normalize.Existing).
func stateContainer(name string, privileged bool) map[string]any {
	body, facts, err := normalize.Existing(&container.Config{Image: "x"}, &container.HostConfig{Privileged: privileged}, normalize.Options{})
	if err != nil {
		panic(err)
	}
	return map[string]any{
		"found": true, "id": name + "-id", "name": name, "privileged": privileged,
		"mounts": []any{}, "namespaces": map[string]any{}, "cap_add": []any{}, "labels": map[string]any{},
		"body": body, "facts": facts,
	}
}

func TestStateReachesThePolicy(t *testing.T) {
	g := newTestGuard(t)
	st := &fakeState{containers: map[string]map[string]any{"dind": stateContainer("dind", true), "web": stateContainer("web", false)}}
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
	st := &fakeState{containers: map[string]map[string]any{"x": stateContainer("x", false)}}
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

// BenchmarkDecideWithState measures requests judged on an existing
// container (the state source answering from memory, as its cache does):
// an exec into it, and a start of it, which run the container rules once
// more on the container as a create of it (state.rego), against a start
// judged without state (the guard before issue 11).
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
		{"start-without-state", start, false},
		{"start", start, true},
		{"exec-create", exec, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := newTestGuard(b)
			if c.state {
				g.SetState(&fakeState{containers: map[string]map[string]any{"web": web}})
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
