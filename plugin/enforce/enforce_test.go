package enforce

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMode(t *testing.T) {
	for in, ok := range map[string]bool{"enforce": true, "dryrun": true, "": false, "dry-run": false, "Enforce": false, "audit": false} {
		if _, err := ParseMode(in); (err == nil) != ok {
			t.Errorf("ParseMode(%q): err = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestSplit(t *testing.T) {
	type v struct{ id string }
	id := func(x v) string { return x.id }
	all := []v{{"DG-PRIV-001"}, {"DG-MNT-001"}, {"DG-REQ-001"}}
	cases := []struct {
		name          string
		p             Policy
		enforced, dry []v
		applied       Mode
		wholly        bool
		dryRunRules   []string
	}{
		{"zero value enforces everything", Policy{}, all, nil, Enforce, false, nil},
		{"guard in dry-run", Policy{Default: DryRun}, nil, all, DryRun, true, nil},
		{"one rule in dry-run", Policy{Default: Enforce, Rules: map[string]Mode{"DG-MNT-001": DryRun}},
			[]v{{"DG-PRIV-001"}, {"DG-REQ-001"}}, []v{{"DG-MNT-001"}}, Enforce, false, []string{"DG-MNT-001"}},
		{"dry-run guard, one rule enforced", Policy{Default: DryRun, Rules: map[string]Mode{"DG-PRIV-001": Enforce}},
			[]v{{"DG-PRIV-001"}}, []v{{"DG-MNT-001"}, {"DG-REQ-001"}}, Enforce, false, nil},
		{"pipeline refusal in dry-run", Policy{Rules: map[string]Mode{"DG-REQ-001": DryRun, "DG-PRIV-001": DryRun, "DG-MNT-001": DryRun}},
			nil, all, DryRun, false, []string{"DG-MNT-001", "DG-PRIV-001", "DG-REQ-001"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, d := Split(tc.p, all, id)
			if diff := cmp.Diff([2][]v{tc.enforced, tc.dry}, [2][]v{e, d}, cmp.AllowUnexported(v{})); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
			if got := tc.p.Applied(len(e), len(d)); got != tc.applied {
				t.Errorf("applied %q, want %q", got, tc.applied)
			}
			if got := tc.p.WhollyDryRun(); got != tc.wholly {
				t.Errorf("wholly dry-run %v, want %v", got, tc.wholly)
			}
			if diff := cmp.Diff(tc.dryRunRules, tc.p.DryRunRules()); diff != "" {
				t.Errorf("dry-run rules (-want +got):\n%s", diff)
			}
		})
	}
	if got := (Policy{Default: DryRun}).Applied(0, 0); got != DryRun {
		t.Errorf("nothing objected under a dry-run guard: %q, want dryrun", got)
	}
	if got := (Policy{}).Applied(0, 0); got != Enforce {
		t.Errorf("nothing objected under the zero value: %q, want enforce", got)
	}
}

func TestRulesFromData(t *testing.T) {
	got, err := RulesFromData(map[string]any{"guard": map[string]any{"enforcement": map[string]any{"DG-MNT-001": "dryrun"}}})
	if err != nil || !cmp.Equal(got, map[string]Mode{"DG-MNT-001": DryRun}) {
		t.Errorf("got %v, %v", got, err)
	}
	if got, err := RulesFromData(map[string]any{"guard": map[string]any{"enforcement": map[string]any{}}}); err != nil || got != nil {
		t.Errorf("empty: %v, %v", got, err)
	}
	if _, err := RulesFromData(map[string]any{"guard": map[string]any{"enforcement": map[string]any{"X-1": "loud"}}}); err == nil {
		t.Error("an unknown mode: want an error")
	}
}
