package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func decide(t *testing.T, rego string, input map[string]any) (Decision, error) {
	t.Helper()
	e, err := New(context.Background(), map[string]string{"p.rego": rego}, map[string]any{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return e.Decide(context.Background(), input)
}

func TestDecisionShapes(t *testing.T) {
	cases := []struct {
		name    string
		rego    string
		want    Decision
		wantErr string
	}{
		{"allow without violations", `package dood
decision := {"allow": true, "violations": []}`, Decision{Allow: true}, ""},
		{"violations deny even when allow is true", `package dood
decision := {"allow": true, "violations": [{"id": "X-1", "msg": "no", "path": "P"}]}`,
			Decision{Violations: []Violation{{ID: "X-1", Msg: "no", Path: "P"}}}, ""},
		{"deny without violations", `package dood
decision := {"allow": false}`, Decision{}, ""},
		{"decision undefined", `package dood
other := 1`, Decision{}, "does not define"},
		{"decision is not an object", `package dood
decision := true`, Decision{}, "want an object"},
		{"allow is not a boolean", `package dood
decision := {"allow": "yes"}`, Decision{}, "want a boolean"},
		{"violations is not an array", `package dood
decision := {"allow": false, "violations": {"id": "x"}}`, Decision{}, "want an array"},
		{"violation without id", `package dood
decision := {"allow": false, "violations": [{"msg": "m"}]}`, Decision{}, "lacks an id"},
		{"runtime error in policy", `package dood
decision := {"allow": true, "violations": [x]} if { x := 1 / 0 }`, Decision{}, "does not define"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decide(t, tc.rego, map[string]any{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBrokenPolicyDoesNotCompile(t *testing.T) {
	for name, src := range map[string]string{
		"syntax error":  "package dood\ndecision := {",
		"rego v0 style": "package dood\ndecision = x { x := {} }",
	} {
		if _, err := New(context.Background(), map[string]string{"p.rego": src}, nil); err == nil {
			t.Errorf("%s: compiled, want an error", name)
		}
	}
	if _, err := New(context.Background(), nil, nil); err == nil {
		t.Error("no modules: compiled, want an error")
	}
}

func TestInputReachesThePolicy(t *testing.T) {
	got, err := decide(t, `package dood
decision := {"allow": input.facts.n == 3, "violations": []}`, map[string]any{"facts": map[string]any{"n": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Allow {
		t.Error("policy did not see input.facts.n == 3")
	}
}

func TestOnlyPoliciesWithoutVolatileBuiltinsAreDeterministic(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct {
		src  string
		want bool
	}{
		"input only": {`package dood
decision := {"allow": input.path == "/_ping", "violations": []}`, true},
		"time": {`package dood
decision := {"allow": time.now_ns() > 0, "violations": []}`, false},
		"random": {`package dood
decision := {"allow": x > -1, "violations": []} if { x := rand.intn("k", 10) }`, false},
		"time in a helper": {`package dood
decision := {"allow": f(1), "violations": []}
f(x) if time.now_ns() > x`, false},
	} {
		e, err := New(ctx, map[string]string{"p.rego": c.src}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Deterministic(); got != c.want {
			t.Errorf("%s: Deterministic() = %v, want %v", name, got, c.want)
		}
	}
}
