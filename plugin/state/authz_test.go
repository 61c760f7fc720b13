package state

import (
	"context"
	"errors"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/open-policy-agent/opa/v1/ast"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	guardID = "9c1f0e2d3b4a59687706f5e4d3c2b1a0918273645546372819a0b1c2d3e4f5a6"
	otherID = "9c2a11111111111111111111111111111111111111111111111111111111111a"
	sshfsID = "0a1b22222222222222222222222222222222222222222222222222222222222b"
)

var managedList = `[
 {"Id":"` + guardID + `","Name":"localhost:5000/team/guard:1.0","Enabled":true,"Config":{"Interface":{"Types":["docker.authz/1.0"],"Socket":"g.sock"}}},
 {"Id":"` + otherID + `","Name":"late-authz:latest","Enabled":true,"Config":{"Interface":{"Types":["docker.authz/1.0"],"Socket":"a.sock"}}},
 {"Id":"` + sshfsID + `","Name":"vieux/sshfs:latest","Enabled":true,"Config":{"Interface":{"Types":["docker.volumedriver/1.0"],"Socket":"s.sock"}}}
]`

// The chain as the daemon reports it, resolved as its plugin store resolves
// names; every managed authorization plugin (a reload may have put it in
// the chain without /info saying so); the guard's own legacy name.
func TestAuthzPlugins(t *testing.T) {
	d := newFakeDaemon(t)
	d.other["/info"] = `{"Plugins":{"Authorization":["localhost:5000/team/guard:1.0","legacy-authz"]}}`
	d.other["/plugins"] = managedList
	s := newSource(t, d, Options{SelfNames: []string{"dood-guard-it-1"}})
	got, err := s.AuthzPlugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"name": "localhost:5000/team/guard:1.0", "id": guardID, "plugin": "localhost:5000/team/guard:1.0"},
		map[string]any{"name": "legacy-authz", "id": "", "plugin": ""},
		map[string]any{"name": "dood-guard-it-1", "id": "", "plugin": ""},
		map[string]any{"name": "late-authz:latest", "id": otherID, "plugin": "late-authz:latest"},
	}
	plain, err := input.Value(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ast.MustInterfaceToValue(want).String(), plain.String()); diff != "" {
		t.Errorf("chain (-want +got):\n%s", diff)
	}

	// Looked up for the kind the policy declares; an unreadable daemon is
	// an error, never an empty chain.
	st, err := plainLookup(s, context.Background(), &input.Document{Endpoint: "plugin.disable"}, []string{KindAuthzPlugins})
	if err != nil || !cmp.Equal(want, st[KindAuthzPlugins]) {
		t.Errorf("Lookup: %v %v", st, err)
	}
	delete(d.other, "/plugins")
	if _, err := s.AuthzPlugins(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("GET /plugins failing: err = %v, want ErrUnavailable", err)
	}
}

// Each configured name resolves as dockerd's plugin store resolves it.
func TestResolvePlugin(t *testing.T) {
	managed := []managedPlugin{{ID: guardID, Name: "dood-guard:latest"}, {ID: otherID, Name: "registry.corp/sec/authz:2"}}
	for ref, want := range map[string]string{
		"dood-guard":                          guardID,
		"dood-guard:latest":                   guardID,
		"docker.io/library/dood-guard":        guardID,
		guardID:                               guardID,
		"9c1f":                                guardID, // unique prefix
		"9c":                                  "",      // ambiguous
		"registry.corp/sec/authz:2":           otherID,
		"registry.corp/sec/authz":             "", // :latest is another plugin
		"dood-guard@sha256:" + guardID:        "", // canonical references are not resolved
		"Dood-Guard":                          "", // not a reference
		"legacy-authz":                        "",
		"ffff" + guardID[4:]:                  "", // a full ID of no plugin
		"9c1f0e2d3b4a59687706f5e4d3c2b1a0918": guardID,
	} {
		m, ok := resolvePlugin(ref, managed)
		if got := map[bool]string{true: m.ID, false: ""}[ok]; got != want {
			t.Errorf("resolve %q = %q, want %q", ref, got, want)
		}
	}
}
