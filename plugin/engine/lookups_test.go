package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const decisionModule = "package dood\ndecision := {\"allow\": true, \"violations\": []}\n"

func TestLookupsTable(t *testing.T) {
	for _, tc := range []struct {
		name, module string
		want         map[string][]string
		wantErr      string
	}{
		{"none declared", "", map[string][]string{}, ""},
		{"a set per endpoint", "package dood.lookups\nendpoints := {\"exec.create\": {\"container:params.name\"}, \"container.start\": {\"create\", \"container:params.name\"}}\n",
			map[string][]string{"exec.create": {"container:params.name"}, "container.start": {"container:params.name", "create"}}, ""},
		{"not an object", "package dood.lookups\nendpoints := [\"exec.create\"]\n", nil, "want an object"},
		{"not strings", "package dood.lookups\nendpoints := {\"exec.create\": {1}}\n", nil, "want strings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mods := map[string]string{"d.rego": decisionModule}
			if tc.module != "" {
				mods["l.rego"] = tc.module
			}
			e, err := New(context.Background(), mods, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, e.Lookups()); diff != "" {
				t.Errorf("lookups (-want +got):\n%s", diff)
			}
		})
	}
}
