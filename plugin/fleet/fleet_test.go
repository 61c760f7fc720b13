package fleet

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/policies"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

const secret = "fleet-test-secret"

// denyAll is a team's policy: everything refused with its own rule ID, so a
// decision shows which policy is serving.
const denyAll = `package dood

decision := {"allow": false, "violations": [{"id": "TEAM-001", "msg": "from the bundle", "path": ""}]}
`

// bundleServer serves one bundle at /bundles/guard.tar.gz, as OPA's own
// tests serve theirs; the bytes can be replaced while it runs, and it
// counts the requests.
type bundleServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     []byte
	status   int
	requests int
}

func newBundleServer(t *testing.T) *bundleServer {
	s := &bundleServer{status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		if r.URL.Path != "/bundles/guard.tar.gz" || s.body == nil {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(s.status)
		w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *bundleServer) serve(b []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = b, status
}

func (s *bundleServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// build writes a bundle of modules and data, signed with secret when sign.
func build(t *testing.T, modules map[string]string, data map[string]any, rev string, sign bool) []byte {
	t.Helper()
	var b bytes.Buffer
	o := BuildOptions{Revision: rev}
	if sign {
		o.SigningKey, o.SigningAlg, o.KeyID = secret, "HS256", "team"
	}
	if err := Build(&b, modules, data, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func teamData() map[string]any {
	return map[string]any{"guard": map[string]any{"profile": "restricted"}}
}

// installs records what the guard was asked to serve, compiling it as the
// guard does (a bundle that does not compile is refused).
type installs struct {
	mu      sync.Mutex
	engines []*engine.Engine
	origins []string
	refuse  bool
}

func (in *installs) install(ctx context.Context, src *policy.Source) error {
	e, err := engine.New(ctx, src.Modules, src.Data)
	if err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.engines = append(in.engines, e)
	in.origins = append(in.origins, src.Origin)
	return nil
}

func (in *installs) n() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.engines)
}

// decides says whether the last installed policy is the team's deny-all.
func (in *installs) teamPolicy(t *testing.T) bool {
	t.Helper()
	in.mu.Lock()
	e := in.engines[len(in.engines)-1]
	in.mu.Unlock()
	d, err := e.Decide(context.Background(), map[string]any{})
	if err != nil {
		return false
	}
	return len(d.Violations) == 1 && d.Violations[0].ID == "TEAM-001"
}

func config(t *testing.T, server, persist string, signed bool, extra string, services ...string) *Config {
	t.Helper()
	signing := ""
	if signed {
		signing = `
    signing:
      keyid: team`
	}
	raw := fmt.Sprintf(`
services:
  fleet:
    url: %s%s
keys:
  team:
    algorithm: HS256
    key: %s
bundles:
  guard:
    service: fleet
    resource: bundles/guard.tar.gz
    polling:
      min_delay_seconds: 1
      max_delay_seconds: 1%s
persistence_directory: %s
%s`, server, strings.Join(services, ""), secret, signing, persist, extra)
	c, err := ParseConfig([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func start(t *testing.T, c *Config, in *installs) (*Fleet, *test.Hook) {
	t.Helper()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	f, err := Start(context.Background(), Options{Config: c, Install: in.install, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Stop(context.Background()) })
	return f, hook
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSignedBundleActivationSwapsThePolicy(t *testing.T) {
	srv := newBundleServer(t)
	srv.serve(build(t, map[string]string{"team/policy.rego": denyAll}, teamData(), "r1", true), http.StatusOK)
	in := &installs{}
	start(t, config(t, srv.URL, t.TempDir(), true, ""), in)
	waitFor(t, "the bundle to activate", func() bool { return in.n() == 1 })
	if !in.teamPolicy(t) {
		t.Fatal("the installed policy is not the bundle's")
	}
	if diff := cmp.Diff([]string{"bundle:guard@r1"}, in.origins); diff != "" {
		t.Errorf("origin (-want +got):\n%s", diff)
	}
}

func TestDataOnlyBundleKeepsTheEmbeddedLibrary(t *testing.T) {
	srv := newBundleServer(t)
	srv.serve(build(t, nil, teamData(), "data-only", true), http.StatusOK)
	in := &installs{}
	var got *policy.Source
	c := config(t, srv.URL, t.TempDir(), true, "")
	log, _ := test.NewNullLogger()
	f, err := Start(context.Background(), Options{Config: c, Log: log, Install: func(ctx context.Context, src *policy.Source) error {
		got = src
		return in.install(ctx, src)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop(context.Background())
	waitFor(t, "the bundle to activate", func() bool { return in.n() == 1 })
	lib, _ := policies.Modules()
	if diff := cmp.Diff(lib, got.Modules); diff != "" {
		t.Errorf("modules (-embedded +got):\n%s", diff)
	}
	if p := got.Data["guard"].(map[string]any)["profile"]; p != "restricted" {
		t.Errorf("profile = %v, want the bundle's restricted", p)
	}
}

// A bundle that OPA or the guard refuses leaves the current policy
// serving, and is not persisted: a restart does not bring it back.
func TestRefusedBundlesKeepTheCurrentPolicy(t *testing.T) {
	good := build(t, map[string]string{"team/policy.rego": denyAll}, teamData(), "good", true)
	tampered := func() []byte {
		// Signed, then a module changed: the signature no longer matches.
		var b bytes.Buffer
		mods := map[string]string{"team/policy.rego": denyAll}
		bn, err := readBundle(good)
		if err != nil {
			t.Fatal(err)
		}
		_ = mods
		for name, body := range bn {
			if strings.HasSuffix(name, ".rego") {
				bn[name] = []byte(strings.Replace(string(body), `"allow": false`, `"allow": true`, 1))
			}
		}
		writeTarGz(t, &b, bn)
		return b.Bytes()
	}()
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		want   string // in the log
	}{
		{"unsigned bundle", build(t, map[string]string{"team/policy.rego": denyAll}, teamData(), "unsigned", false), 200, "Bundle load failed"},
		{"tampered bundle", tampered, 200, "digest mismatch"},
		{"garbage", []byte("this is not a tarball"), 200, "gzip"},
		{"server error", []byte("oops"), 500, "Bundle load failed"},
		{"invalid guard data", build(t, nil, map[string]any{"guard": map[string]any{"allowed_bind_paths": "/"}}, "bad-data", true), 200, "allowed_bind_paths"},
		{"unknown guard setting", build(t, nil, map[string]any{"guard": map[string]any{"allow_everything": true}}, "bad-key", true), 200, "not a known setting"},
		{"no decision document", build(t, map[string]string{"x.rego": "package other\n\nx := 1\n"}, teamData(), "no-decision", true), 200, "dood.decision"},
		{"policy that does not compile", build(t, map[string]string{"team/policy.rego": denyAll + "\ny := undefined_fn(1)\n"}, teamData(), "broken", true), 200, "undefined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newBundleServer(t)
			srv.serve(good, 200)
			dir := t.TempDir()
			in := &installs{}
			f, hook := start(t, config(t, srv.URL, dir, true, ""), in)
			// Installed, then persisted: OPA writes the file after the
			// activation the install is part of.
			var persisted []byte
			waitFor(t, "the good bundle, persisted", func() bool {
				persisted, _ = os.ReadFile(filepath.Join(dir, "bundles", "guard", "bundle.tar.gz"))
				return in.n() == 1 && len(persisted) > 0
			})
			srv.serve(tc.body, tc.status)
			n := srv.count()
			waitFor(t, "two more polls", func() bool { return srv.count() >= n+2 })
			if in.n() != 1 || !in.teamPolicy(t) {
				t.Fatalf("%d installs; the good bundle's policy must stay", in.n())
			}
			after, _ := os.ReadFile(filepath.Join(dir, "bundles", "guard", "bundle.tar.gz"))
			if !bytes.Equal(persisted, after) {
				t.Error("the refused bundle was persisted")
			}
			if tc.want != "" && !logged(hook, tc.want) {
				t.Errorf("no log line says %q", tc.want)
			}
			f.Stop(context.Background())
		})
	}
}

func logged(h *test.Hook, s string) bool {
	for _, e := range h.AllEntries() {
		if strings.Contains(e.Message, s) {
			return true
		}
		if err, ok := e.Data[logrus.ErrorKey].(error); ok && strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// Never open on the way up: a restart with the server down serves the
// bundle the last run persisted, before Start returns.
func TestPersistedBundleServesOnRestartWithTheServerDown(t *testing.T) {
	srv := newBundleServer(t)
	srv.serve(build(t, map[string]string{"team/policy.rego": denyAll}, teamData(), "r1", true), 200)
	dir := t.TempDir()
	in := &installs{}
	f, _ := start(t, config(t, srv.URL, dir, true, ""), in)
	waitFor(t, "the bundle", func() bool { return in.n() == 1 })
	f.Stop(context.Background())
	url := srv.URL
	srv.Close()

	again := &installs{}
	start(t, config(t, url, dir, true, ""), again)
	if again.n() != 1 || !again.teamPolicy(t) {
		t.Fatalf("after a restart with the server down: %d installs, want the persisted bundle installed before Start returns", again.n())
	}
}

// Without a persisted bundle and with the server down, nothing is
// installed: the guard keeps the embedded library it started with.
func TestNoBundleNoInstall(t *testing.T) {
	srv := newBundleServer(t)
	url := srv.URL
	srv.Close()
	in := &installs{}
	start(t, config(t, url, t.TempDir(), true, ""), in)
	time.Sleep(1500 * time.Millisecond)
	if in.n() != 0 {
		t.Fatalf("%d installs with nothing downloaded or persisted", in.n())
	}
}

// collector is an HTTP decision-log collector: OPA's plugin POSTs gzipped
// JSON arrays of events.
type collector struct {
	*httptest.Server
	mu     sync.Mutex
	events []map[string]any
	raw    [][]byte
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, _ := io.ReadAll(zr)
		var evs []map[string]any
		if err := json.Unmarshal(b, &evs); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		c.mu.Lock()
		c.events = append(c.events, evs...)
		c.raw = append(c.raw, b)
		c.mu.Unlock()
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) got() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.events...)
}

func TestDecisionsUploadedWithTheLocalLinesFields(t *testing.T) {
	srv := newBundleServer(t)
	srv.serve(build(t, map[string]string{"team/policy.rego": denyAll}, teamData(), "r7", true), 200)
	col := newCollector(t)
	c := config(t, srv.URL, t.TempDir(), true, `
labels:
  site: ci-7
decision_logs:
  service: collector
  reporting:
    min_delay_seconds: 1
    max_delay_seconds: 1
`, "\n  collector:\n    url: "+col.URL)
	in := &installs{}
	f, _ := start(t, c, in)
	waitFor(t, "the bundle", func() bool { return in.n() == 1 })
	up := f.Decisions()
	if up == nil {
		t.Fatal("decision_logs configured, no upload sink")
	}
	up.Log(decisionlog.Record{Phase: "request", Method: "POST", Path: "/containers/create", Endpoint: "container.create",
		APIVersion: "1.41", EvalMicros: 42, Denied: true, RuleIDs: []string{"DG-PRIV-001"}})
	up.Log(decisionlog.Record{Phase: "request", Method: "GET", Path: "/_ping", Endpoint: "system.ping", APIVersion: "1.41",
		User: "ci", AuthMethod: "TLS", EvalMicros: 3, WouldDeny: []string{"DG-X-001"}, Enforcement: "dryrun"})
	waitFor(t, "two events at the collector", func() bool { return len(col.got()) == 2 })
	evs := col.got()
	for _, e := range evs {
		if e["decision_id"] == "" || e["timestamp"] == "" {
			t.Errorf("event without decision_id or timestamp: %v", e)
		}
		if e["labels"].(map[string]any)["site"] != "ci-7" {
			t.Errorf("labels = %v, want the configured site", e["labels"])
		}
		if diff := cmp.Diff(map[string]any{"guard": map[string]any{"revision": "r7"}}, e["bundles"]); diff != "" {
			t.Errorf("bundles (-want +got):\n%s", diff)
		}
		delete(e, "decision_id")
		delete(e, "timestamp")
		delete(e, "labels")
		delete(e, "bundles")
		delete(e, "req_id")
		delete(e, "metrics")
	}
	want := []map[string]any{{
		"path": "dood/decision",
		"input": map[string]any{"phase": "request", "method": "POST", "path": "/containers/create", "endpoint": "container.create",
			"api_version": "1.41", "user": "", "auth_method": ""},
		"result": map[string]any{"decision": "deny", "rule_ids": []any{"DG-PRIV-001"}, "eval_us": float64(42)},
	}, {
		"path": "dood/decision",
		"input": map[string]any{"phase": "request", "method": "GET", "path": "/_ping", "endpoint": "system.ping",
			"api_version": "1.41", "user": "ci", "auth_method": "TLS"},
		"result": map[string]any{"decision": "allow", "would_deny": []any{"DG-X-001"}, "enforcement": "dryrun", "eval_us": float64(3)},
	}}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, raw, err string
	}{
		{"typo in a key", "bundle:\n  x: {}\n", `"bundle" is not used`},
		{"discovery", "discovery:\n  name: x\n", `"discovery" is not used`},
		{"bundle on an unknown service", "bundles:\n  g:\n    service: nowhere\n    resource: b.tar.gz\n", "not found"},
		{"signing with an unknown key", "services:\n  s:\n    url: http://127.0.0.1:1\nbundles:\n  g:\n    service: s\n    signing:\n      keyid: nokey\n", "nokey"},
		{"decision logs to nowhere", "decision_logs:\n  reporting:\n    min_delay_seconds: 1\n", "service"},
		{"not YAML", "{{", "parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error = %v, want one saying %q", err, tc.err)
			}
		})
	}
	c, err := ParseConfig([]byte("services:\n  s:\n    url: http://127.0.0.1:1\nbundles:\n  g:\n    service: s\n"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(c.Raw, &m)
	if m["bundles"].(map[string]any)["g"].(map[string]any)["persist"] != true || m["persistence_directory"] != DefaultPersistenceDirectory {
		t.Errorf("defaults not injected: %s", c.Raw)
	}
	c, err = ParseConfig([]byte("services:\n  s:\n    url: http://127.0.0.1:1\ndecision_logs:\n  service: s\n"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(c.Raw, &m)
	if m["decision_logs"].(map[string]any)["reporting"].(map[string]any)["buffer_type"] != "event" {
		t.Errorf("defaults not injected: %s", c.Raw)
	}
}

// OPA's own mask and drop rules, carried in the bundle (package
// system.log), apply to the uploaded events: docs/fleet.md's example.
func TestBundleMaskAndDropRulesApplyToUploads(t *testing.T) {
	srv := newBundleServer(t)
	mods := map[string]string{
		"team/policy.rego": denyAll,
		"system/log.rego": `package system.log

drop if {
	input.result.decision == "allow"
	input.input.method == "GET"
}

mask contains "/input/user"
`,
	}
	srv.serve(build(t, mods, teamData(), "masked", true), 200)
	col := newCollector(t)
	c := config(t, srv.URL, t.TempDir(), true, `
decision_logs:
  service: collector
  reporting: {min_delay_seconds: 1, max_delay_seconds: 1}
`, "\n  collector:\n    url: "+col.URL)
	in := &installs{}
	f, _ := start(t, c, in)
	waitFor(t, "the bundle", func() bool { return in.n() == 1 })
	up := f.Decisions()
	up.Log(decisionlog.Record{Phase: "request", Method: "GET", Path: "/containers/json", Endpoint: "container.list", User: "alice"})
	up.Log(decisionlog.Record{Phase: "request", Method: "POST", Path: "/containers/create", Endpoint: "container.create", User: "alice",
		Denied: true, RuleIDs: []string{"DG-PRIV-001"}})
	waitFor(t, "an event at the collector", func() bool { return len(col.got()) >= 1 })
	time.Sleep(1500 * time.Millisecond) // a dropped event would have come by now
	evs := col.got()
	if len(evs) != 1 {
		t.Fatalf("%d events, want the denial only (the allowed GET dropped): %v", len(evs), evs)
	}
	in0 := evs[0]["input"].(map[string]any)
	if _, ok := in0["user"]; ok || in0["endpoint"] != "container.create" {
		t.Errorf("input = %v, want container.create without user (masked)", in0)
	}
	if e, _ := evs[0]["erased"].([]any); len(e) != 1 || e[0] != "/input/user" {
		t.Errorf("erased = %v, want [/input/user]", evs[0]["erased"])
	}
}

// BenchmarkUpload is what --config's decision upload adds to each decision
// (queued in OPA's buffer; the upload itself is in the background).
func BenchmarkUpload(b *testing.B) {
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer col.Close()
	c, err := ParseConfig([]byte(fmt.Sprintf("services:\n  c:\n    url: %s\ndecision_logs:\n  service: c\n  reporting: {min_delay_seconds: 1, max_delay_seconds: 1}\n", col.URL)))
	if err != nil {
		b.Fatal(err)
	}
	log, _ := test.NewNullLogger()
	f, err := Start(context.Background(), Options{Config: c, Log: log, Install: func(context.Context, *policy.Source) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Stop(context.Background())
	up := f.Decisions()
	r := decisionlog.Record{Phase: "request", Method: "POST", Path: "/containers/create", Endpoint: "container.create",
		APIVersion: "1.41", EvalMicros: 42, Denied: true, RuleIDs: []string{"DG-PRIV-001"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		up.Log(r)
	}
}

// The metrics say what each download did.
func TestBundleUpdatesAreCounted(t *testing.T) {
	srv := newBundleServer(t)
	srv.serve(build(t, map[string]string{"team/policy.rego": denyAll}, teamData(), "r1", true), 200)
	m := metrics.New(metrics.Build{})
	in := &installs{}
	log, _ := test.NewNullLogger()
	f, err := Start(context.Background(), Options{Config: config(t, srv.URL, t.TempDir(), true, ""), Install: in.install, Log: log, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop(context.Background())
	waitFor(t, "the bundle", func() bool { return in.n() == 1 })
	srv.serve([]byte("garbage"), 200)
	count := func(result string) float64 {
		return testutil.ToFloat64(m.BundleUpdates().WithLabelValues("guard", result))
	}
	waitFor(t, "a failed update counted", func() bool { return count(metrics.BundleFailed) >= 1 })
}
