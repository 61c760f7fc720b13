package guard

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// enforcedGuard is the embedded policy under mode, with rules apart.
func enforcedGuard(t testing.TB, mode enforce.Mode, rules map[string]enforce.Mode) *Guard {
	t.Helper()
	return embeddedGuard(t, Options{Enforcement: mode}, rules)
}

const (
	privCreate     = `{"Image":"x","HostConfig":{"Privileged":true}}`
	privRootCreate = `{"Image":"x","HostConfig":{"Privileged":true,"Binds":["/:/host"]}}`
	rootBind       = `{"Image":"x","HostConfig":{"Binds":["/:/host"]}}`
)

func TestEnforcementModes(t *testing.T) {
	dry := enforce.DryRun
	cases := []struct {
		name  string
		mode  enforce.Mode
		rules map[string]enforce.Mode
		req   authorization.Request
		want  decisionlog.Record // EvalMicros and request fields ignored
	}{
		{"enforce: a privileged create is refused", enforce.Enforce, nil, jsonReq("POST", "/v1.41/containers/create", privCreate),
			decisionlog.Record{Denied: true, RuleIDs: []string{"DG-PRIV-001"}}},
		{"guard in dry-run: the privileged create passes, would_deny names DG-PRIV-001", dry, nil, jsonReq("POST", "/v1.41/containers/create", privCreate),
			decisionlog.Record{WouldDeny: []string{"DG-PRIV-001"}, Enforcement: "dryrun"}},
		{"guard in dry-run: an ordinary line says dry-run too", dry, nil, jsonReq("GET", "/v1.41/containers/json", ""),
			decisionlog.Record{Enforcement: "dryrun"}},
		{"one rule in dry-run: a root bind passes", enforce.Enforce, map[string]enforce.Mode{"DG-MNT-001": dry},
			jsonReq("POST", "/v1.41/containers/create", rootBind),
			decisionlog.Record{WouldDeny: []string{"DG-MNT-001"}, Enforcement: "dryrun"}},
		{"one rule in dry-run leaves the others enforcing", enforce.Enforce, map[string]enforce.Mode{"DG-MNT-001": dry},
			jsonReq("POST", "/v1.41/containers/create", privCreate),
			decisionlog.Record{Denied: true, RuleIDs: []string{"DG-PRIV-001"}}},
		{"refused by an enforced rule, a dry-run one beside it", enforce.Enforce, map[string]enforce.Mode{"DG-MNT-001": dry},
			jsonReq("POST", "/v1.41/containers/create", privRootCreate),
			decisionlog.Record{Denied: true, RuleIDs: []string{"DG-PRIV-001"}, WouldDeny: []string{"DG-MNT-001"}}},
		{"guard in dry-run with one rule enforced", dry, map[string]enforce.Mode{"DG-PRIV-001": enforce.Enforce},
			jsonReq("POST", "/v1.41/containers/create", privRootCreate),
			decisionlog.Record{Denied: true, RuleIDs: []string{"DG-PRIV-001"}, WouldDeny: []string{"DG-MNT-001"}}},
		{"dry-run covers the pipeline's own refusals: malformed request", dry, nil, authorization.Request{},
			decisionlog.Record{WouldDeny: []string{"DG-REQ-001"}, Enforcement: "dryrun"}},
		{"dry-run covers the pipeline's own refusals: body not visible", dry, nil, jsonReq("POST", "/v1.41/containers/create", ""),
			decisionlog.Record{WouldDeny: []string{"DG-BODY-001"}, Enforcement: "dryrun"}},
		{"a pipeline refusal set to dry-run alone", enforce.Enforce, map[string]enforce.Mode{"DG-ROUTE-001": dry},
			jsonReq("POST", "/v1.41/nosuch/thing", "{}"),
			decisionlog.Record{WouldDeny: []string{"DG-ROUTE-001"}, Enforcement: "dryrun"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := enforcedGuard(t, tc.mode, tc.rules)
			var got recordSink
			g.SetDecisionLog(&got)
			for i := range 2 { // the second answer is remembered: the same
				resp := g.AuthZReq(tc.req)
				if resp.Allow == tc.want.Denied {
					t.Errorf("call %d: answer %+v, want allow=%v", i, resp, !tc.want.Denied)
				}
				if tc.want.Denied && !strings.Contains(resp.Msg, tc.want.RuleIDs[0]) {
					t.Errorf("call %d: message %q does not name %s", i, resp.Msg, tc.want.RuleIDs[0])
				}
				for _, id := range tc.want.WouldDeny {
					if strings.Contains(resp.Msg, id) {
						t.Errorf("call %d: message %q names %s, which is in dry-run", i, resp.Msg, id)
					}
				}
			}
			for i, r := range got {
				w := tc.want
				w.Phase, w.Method, w.Path, w.Endpoint, w.APIVersion, w.EvalMicros = r.Phase, r.Method, r.Path, r.Endpoint, r.APIVersion, 0
				r.EvalMicros = 0
				if diff := cmp.Diff(w, r); diff != "" {
					t.Errorf("record %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestRememberedOutcomesFollowTheirLoad: the same request remembered under
// one enforcement is judged again when a load changes it.
func TestRememberedOutcomesFollowTheirLoad(t *testing.T) {
	g := enforcedGuard(t, enforce.Enforce, map[string]enforce.Mode{"DG-PRIV-001": enforce.DryRun})
	req := jsonReq("POST", "/v1.41/containers/create", privCreate)
	for range 2 {
		if !g.Decide(context.Background(), req).Response.Allow {
			t.Fatal("DG-PRIV-001 in dry-run: want allowed")
		}
	}
	e := g.policy.Load().engine
	g.Install(e, nil)
	if g.Decide(context.Background(), req).Response.Allow {
		t.Error("after a load that enforces DG-PRIV-001 the remembered dry-run outcome was given again")
	}
}

func TestMetricsAfterKnownRequests(t *testing.T) {
	g := enforcedGuard(t, enforce.Enforce, map[string]enforce.Mode{"DG-MNT-001": enforce.DryRun})
	m := metrics.New(metrics.Build{Version: "v-test", Commit: "c0ffee", OPA: "1.x"})
	g.SetMetrics(m)
	g.SetDecisionLog(&recordSink{})
	reqs := []authorization.Request{
		jsonReq("POST", "/v1.41/containers/create", privCreate), // deny, evaluated
		jsonReq("POST", "/v1.41/containers/create", privCreate), // deny, remembered
		jsonReq("POST", "/v1.41/containers/create", rootBind),   // allowed by dry-run
		jsonReq("GET", "/v1.41/containers/json", ""),            // allow
		jsonReq("GET", "/v1.41/images/json", ""),                // allow
		jsonReq("POST", "/v1.41/nosuch", "{}"),                  // unknown route: deny
	}
	for _, r := range reqs {
		g.AuthZReq(r)
	}
	want := `
# HELP dood_guard_decisions_total AuthZ decisions by outcome (allow, deny), the enforcement that decided (enforce; dryrun when rules in dry-run objected and the request was let through, or the guard is wholly in dry-run) and endpoint group.
# TYPE dood_guard_decisions_total counter
dood_guard_decisions_total{endpoint_group="container",enforcement="dryrun",outcome="allow"} 1
dood_guard_decisions_total{endpoint_group="container",enforcement="enforce",outcome="allow"} 1
dood_guard_decisions_total{endpoint_group="container",enforcement="enforce",outcome="deny"} 2
dood_guard_decisions_total{endpoint_group="image",enforcement="enforce",outcome="allow"} 1
dood_guard_decisions_total{endpoint_group="unknown",enforcement="enforce",outcome="deny"} 1
# HELP dood_guard_rule_violations_total Violations by rule ID, its enforcement (enforce: refused; dryrun: would have refused) and endpoint group.
# TYPE dood_guard_rule_violations_total counter
dood_guard_rule_violations_total{endpoint_group="container",enforcement="dryrun",rule_id="DG-MNT-001"} 1
dood_guard_rule_violations_total{endpoint_group="container",enforcement="enforce",rule_id="DG-PRIV-001"} 2
dood_guard_rule_violations_total{endpoint_group="unknown",enforcement="enforce",rule_id="DG-ROUTE-001"} 1
# HELP dood_guard_remembered_outcomes_total Decisions answered from the outcomes remembered for the current policy load.
# TYPE dood_guard_remembered_outcomes_total counter
dood_guard_remembered_outcomes_total 1
`
	names := []string{"dood_guard_decisions_total", "dood_guard_rule_violations_total", "dood_guard_remembered_outcomes_total"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "dood_guard_decision_duration_seconds"); n != 1 {
		t.Errorf("latency histogram: %d series, want 1", n)
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "dood_guard_decision_duration_seconds":
			if c := mf.GetMetric()[0].GetHistogram().GetSampleCount(); c != uint64(len(reqs)) {
				t.Errorf("latency samples %d, want %d", c, len(reqs))
			}
		case "dood_guard_build_info":
			labels := map[string]string{}
			for _, l := range mf.GetMetric()[0].GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["version"] != "v-test" || labels["commit"] != "c0ffee" || labels["opa_version"] != "1.x" {
				t.Errorf("build info labels %v", labels)
			}
		}
	}
}
