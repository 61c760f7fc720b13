package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPolicyLoads(t *testing.T) {
	m := New(Build{Version: "v", Commit: "c", OPA: "o"})
	m.PolicyLoad("start", nil, time.Unix(1700000000, 0))
	m.PolicyLoad("watch", errors.New("broken"), time.Unix(1700000100, 0))
	m.PolicyLoad("watch", errors.New("broken"), time.Unix(1700000200, 0))
	m.PolicyLoad("sighup", nil, time.Unix(1700000300, 0))
	m.Enforcement(true, 2)
	want := `
# HELP dood_guard_policy_loads_total Policy loads by result (success, failure) and trigger (start, sighup, watch, bundle).
# TYPE dood_guard_policy_loads_total counter
dood_guard_policy_loads_total{result="failure",trigger="watch"} 2
dood_guard_policy_loads_total{result="success",trigger="sighup"} 1
dood_guard_policy_loads_total{result="success",trigger="start"} 1
# HELP dood_guard_policy_last_success_timestamp_seconds When the policy serving now was loaded (Unix time).
# TYPE dood_guard_policy_last_success_timestamp_seconds gauge
dood_guard_policy_last_success_timestamp_seconds 1.7000003e+09
# HELP dood_guard_enforcement_dryrun 1 when the guard is wholly in dry-run: it refuses nothing.
# TYPE dood_guard_enforcement_dryrun gauge
dood_guard_enforcement_dryrun 1
# HELP dood_guard_enforcement_dryrun_rules Rules set to dry-run in data.guard.enforcement.
# TYPE dood_guard_enforcement_dryrun_rules gauge
dood_guard_enforcement_dryrun_rules 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "dood_guard_policy_loads_total",
		"dood_guard_policy_last_success_timestamp_seconds", "dood_guard_enforcement_dryrun", "dood_guard_enforcement_dryrun_rules"); err != nil {
		t.Error(err)
	}
}

func TestStateLookups(t *testing.T) {
	m := New(Build{})
	m.StateLookup(false, nil) // the request pointed at nothing: not a lookup
	m.StateLookup(true, nil)
	m.StateLookup(false, errors.New("daemon away"))
	want := `
# HELP dood_guard_state_lookups_total Reads of the daemon's state for requests pointing at existing objects, by result (ok, error).
# TYPE dood_guard_state_lookups_total counter
dood_guard_state_lookups_total{result="error"} 1
dood_guard_state_lookups_total{result="ok"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "dood_guard_state_lookups_total"); err != nil {
		t.Error(err)
	}
}

func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.Decision("container.create", false, "enforce", []string{"DG-PRIV-001"}, nil, time.Millisecond)
	m.Remembered()
	m.StateLookup(true, nil)
	m.PolicyLoad("start", nil, time.Now())
	m.Enforcement(true, 1)
}

func TestEndpointGroups(t *testing.T) {
	for in, want := range map[string]string{"container.create": "container", "system.ping": "system", "": Unknown, "swarm.join": "swarm"} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestScrapeOverUnixSocket: the path a managed plugin's metrics take.
func TestScrapeOverUnixSocket(t *testing.T) {
	m := New(Build{Version: "v1"})
	m.Decision("container.create", false, "enforce", []string{"DG-PRIV-001"}, nil, time.Millisecond)
	sock := filepath.Join(t.TempDir(), "m.sock")
	l, err := Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, l) }()
	c := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Get("http://metrics/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`dood_guard_decisions_total{endpoint_group="container",enforcement="enforce",outcome="deny"} 1`,
		`dood_guard_build_info{commit="",go_version=`,
		`dood_guard_decision_duration_seconds_count 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if _, err := Listen("unix", sock); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second listener on a live socket: %v, want 'in use'", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
