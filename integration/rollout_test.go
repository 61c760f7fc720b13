//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Rollout (docs/rollout.md), in both modes: dry-run, per-rule dry-run,
// metrics, and a policy that reloads itself when its files change. The
// guard under test has a config dir (h.configDir) and serves metrics
// (h.metricsSock) all suite long.

// pluginLines are the plugin's JSON log lines after offset from.
func pluginLines(from int64) []map[string]any {
	b, err := os.ReadFile(h.pluginLog)
	if err != nil || int64(len(b)) < from {
		return nil
	}
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(string(b[from:])))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// waitLine waits for a plugin log line after from that match accepts.
func waitLine(t *testing.T, from int64, d time.Duration, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		for _, l := range pluginLines(from) {
			if match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReload waits for a reload line (msg) the watcher triggered.
func waitReload(t *testing.T, from int64, msg string, d time.Duration) bool {
	t.Helper()
	return waitLine(t, from, d, func(l map[string]any) bool { return l["msg"] == msg && l["trigger"] == "watch" }) != nil
}

// decisionLine waits for the decision line of a request to path whose
// fields include want.
func decisionLine(t *testing.T, from int64, path string, want map[string]any) map[string]any {
	t.Helper()
	return waitLine(t, from, 5*time.Second, func(l map[string]any) bool {
		if l["path"] != path || l["phase"] != "request" {
			return false
		}
		for k, v := range want {
			if !cmp.Equal(l[k], v) {
				return false
			}
		}
		return true
	})
}

// writeConfig writes a file into the guard's config dir, atomically (as an
// editor does), and waits for the watcher's reload; the file is removed
// (and the reload awaited) when the test ends.
func writeConfig(t *testing.T, rel, content string, wantMsg string) {
	t.Helper()
	p := filepath.Join(h.configDir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		from := pluginLogSize()
		if err := os.Remove(p); err == nil {
			waitReload(t, from, "policy reloaded", 15*time.Second)
		}
		os.Remove(filepath.Dir(p)) // rules/, when empty
	})
	from := pluginLogSize()
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	if !waitReload(t, from, wantMsg, 15*time.Second) {
		t.Fatalf("no %q (trigger watch) in the plugin's log after writing %s:\n%s", wantMsg, rel, tail(h.pluginLog, 10))
	}
	t.Logf("MEASURE %s written → %q: %v", rel, wantMsg, time.Since(start).Round(time.Millisecond))
}

func mustCreate(t *testing.T, body map[string]any) {
	t.Helper()
	r := h.docker.jsonReq(t, "POST", createPath, body)
	if id := createdID(r); id == "" {
		t.Fatalf("create %v: want 201, got %s", body, r)
	} else {
		cleanupContainer(t, id)
	}
}

func mustRefuse(t *testing.T, body map[string]any, rule string) {
	t.Helper()
	r := h.docker.jsonReq(t, "POST", createPath, body)
	if id := createdID(r); id != "" {
		cleanupContainer(t, id)
	}
	if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: rule}, judge(r, rule)); diff != "" {
		t.Errorf("create %v (-want +got):\n%s\ndaemon said: %s", body, diff, r)
	}
}

var (
	privileged = map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"Privileged": true}}
	rootBind   = map[string]any{"Image": image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"Binds": []string{"/:/host"}}}
	ordinary   = map[string]any{"Image": image, "Cmd": []string{"true"}}
)

// TestPerRuleDryRun: data.guard.enforcement puts DG-MNT-001 in dry-run
// (written into the config dir; no signal, no restart): a root bind passes
// with would_deny, every other rule still refuses.
func TestPerRuleDryRun(t *testing.T) {
	requireImage(t)
	mustRefuse(t, rootBind, "DG-MNT-001")
	writeConfig(t, "data.yaml", "guard:\n  enforcement:\n    DG-MNT-001: dryrun\n", "policy reloaded")
	from := pluginLogSize()
	mustCreate(t, rootBind)
	if l := decisionLine(t, from, "/containers/create", map[string]any{"decision": "allow", "enforcement": "dryrun",
		"would_deny": []any{"DG-MNT-001"}}); l == nil {
		t.Errorf("no allowed decision line with would_deny [DG-MNT-001]:\n%s", tail(h.pluginLog, 5))
	}
	mustRefuse(t, privileged, "DG-PRIV-001")
	mustCreate(t, ordinary)
}

// TestPolicyFileEditReloads: a team rule dropped into the config dir
// refuses without a signal; a broken edit keeps it (the last good policy)
// serving; removing it lets the request through again.
func TestPolicyFileEditReloads(t *testing.T) {
	requireImage(t)
	frozen := map[string]any{"Image": image, "Cmd": []string{"true"}, "Labels": map[string]string{"ci.job": "frozen-rollout"}}
	mustCreate(t, frozen)
	writeConfig(t, "rules/frozen.rego", `package dood.rules.frozen

violation contains {"id": "TEAM-002", "msg": "job frozen", "path": "Labels"} if {
	input.endpoint == "container.create"
	input.body.Labels["ci.job"] == "frozen-rollout"
}
`, "policy reloaded")
	mustRefuse(t, frozen, "TEAM-002")

	from := pluginLogSize()
	broken := filepath.Join(h.configDir, "rules", "frozen.rego")
	if err := os.WriteFile(broken, []byte("package dood.rules.frozen\n\nthis is not rego (\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !waitReload(t, from, "policy reload failed; keeping the last good policy", 15*time.Second) {
		t.Fatalf("no failed reload after a broken edit:\n%s", tail(h.pluginLog, 10))
	}
	mustRefuse(t, frozen, "TEAM-002")
	mustRefuse(t, privileged, "DG-PRIV-001")
	mustCreate(t, ordinary)
	if got := scrape(t)[`dood_guard_policy_loads_total{result="failure",trigger="watch"}`]; got < 1 {
		t.Errorf("policy_loads_total failure/watch = %v, want ≥ 1", got)
	}

	from = pluginLogSize()
	if err := os.RemoveAll(filepath.Join(h.configDir, "rules")); err != nil {
		t.Fatal(err)
	}
	if !waitReload(t, from, "policy reloaded", 15*time.Second) {
		t.Fatalf("no reload after the rules were removed:\n%s", tail(h.pluginLog, 10))
	}
	mustCreate(t, frozen)
}

// scrape reads the guard's metrics over its unix socket: name{labels} → value.
func scrape(t *testing.T) map[string]float64 {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", h.metricsSock)
	}}}
	resp, err := c.Get("http://guard/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", h.metricsSock, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestMetricsEndpoint: the metrics after known requests — a privileged
// create refused, a list allowed, the same list again (remembered).
func TestMetricsEndpoint(t *testing.T) {
	requireImage(t)
	before := scrape(t)
	mustRefuse(t, privileged, "DG-PRIV-001")
	for range 2 {
		if r := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/images/json"}); r.Status != 200 {
			t.Fatalf("GET /images/json: %s", r)
		}
	}
	after := scrape(t)
	delta := func(k string) float64 { return after[k] - before[k] }
	checks := []struct {
		key  string
		want float64
	}{
		{`dood_guard_rule_violations_total{endpoint_group="container",enforcement="enforce",rule_id="DG-PRIV-001"}`, 1},
		{`dood_guard_decisions_total{endpoint_group="container",enforcement="enforce",outcome="deny"}`, 1},
		{`dood_guard_decisions_total{endpoint_group="image",enforcement="enforce",outcome="allow"}`, 2},
	}
	for _, c := range checks {
		if got := delta(c.key); got != c.want {
			t.Errorf("%s went up by %v, want %v", c.key, got, c.want)
		}
	}
	if delta(`dood_guard_remembered_outcomes_total`) < 1 {
		t.Errorf("remembered_outcomes_total did not go up for a repeated list")
	}
	if delta(`dood_guard_decision_duration_seconds_count`) < 3 {
		t.Errorf("decision_duration_seconds count went up by %v, want ≥ 3", delta(`dood_guard_decision_duration_seconds_count`))
	}
	if after[`dood_guard_policy_loads_total{result="success",trigger="start"}`] != 1 {
		t.Errorf("policy_loads_total success/start = %v, want 1", after[`dood_guard_policy_loads_total{result="success",trigger="start"}`])
	}
	if ts := after[`dood_guard_policy_last_success_timestamp_seconds`]; ts < float64(time.Now().Add(-24*time.Hour).Unix()) {
		t.Errorf("policy_last_success_timestamp_seconds = %v", ts)
	}
	if after[`dood_guard_enforcement_dryrun`] != 0 {
		t.Errorf("enforcement_dryrun = %v on an enforcing guard", after[`dood_guard_enforcement_dryrun`])
	}
	info := false
	for k, v := range after {
		if strings.HasPrefix(k, "dood_guard_build_info{") && v == 1 {
			info = true
		}
	}
	if !info {
		t.Errorf("no dood_guard_build_info")
	}
	for k := range after {
		if strings.Contains(k, `endpoint_group="/`) {
			t.Errorf("a raw path as a label: %s", k)
		}
	}
}

// TestDryRunEnforcement: the whole guard in dry-run (serve --enforcement
// dryrun; DG_ENFORCEMENT for the managed plugin) lets a privileged create
// through and its decision line names DG-PRIV-001 under would_deny; it says
// so at start and in its metrics.
func TestDryRunEnforcement(t *testing.T) {
	requireImage(t)
	from := pluginLogSize()
	withEnforcement(t, "dryrun")
	if l := waitLine(t, from, 30*time.Second, func(l map[string]any) bool {
		return strings.HasPrefix(fmt.Sprint(l["msg"]), "DRY-RUN: the guard refuses nothing")
	}); l == nil {
		t.Errorf("no DRY-RUN start-up line:\n%s", tail(h.pluginLog, 10))
	}
	from = pluginLogSize()
	mustCreate(t, privileged)
	if l := decisionLine(t, from, "/containers/create", map[string]any{"decision": "allow", "enforcement": "dryrun",
		"would_deny": []any{"DG-PRIV-001"}}); l == nil {
		t.Errorf("no allowed decision line with would_deny [DG-PRIV-001]:\n%s", tail(h.pluginLog, 5))
	}
	m := scrape(t)
	if m[`dood_guard_enforcement_dryrun`] != 1 {
		t.Errorf("enforcement_dryrun = %v, want 1", m[`dood_guard_enforcement_dryrun`])
	}
	if m[`dood_guard_rule_violations_total{endpoint_group="container",enforcement="dryrun",rule_id="DG-PRIV-001"}`] < 1 {
		t.Errorf("no dry-run DG-PRIV-001 violation counted")
	}
}

// withEnforcement restarts the guard in mode for the rest of the test and
// puts the suite's guard back after it.
func withEnforcement(t *testing.T, mode string) {
	t.Helper()
	if h.mode == modeManaged {
		// install.sh's probe expects a refusal: not in dry-run.
		t.Cleanup(func() {
			if out, err := h.installGuard("--force"); err != nil {
				t.Errorf("restoring the suite's guard: %v\n%s", err, out)
			}
		})
		if out, err := h.installGuard("--force", "--no-verify", "--set", "DG_ENFORCEMENT="+mode); err != nil {
			t.Fatalf("install.sh --set DG_ENFORCEMENT=%s: %v\n%s", mode, err, out)
		}
		return
	}
	restart := func(env ...string) {
		_ = h.pluginCmd.Process.Signal(syscall.SIGTERM)
		<-h.pluginDone
		if err := h.runPlugin(env...); err != nil {
			t.Fatalf("restarting the plugin: %v", err)
		}
	}
	t.Cleanup(func() { restart() })
	restart("DG_ENFORCEMENT=" + mode)
}
