//go:build integration

package integration

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The guard protects every authorization plugin the daemon's chain names
// (GET /info Plugins.Authorization), whatever the name it was installed or
// started under, with no configuration (DG-PLUGIN-004): these tests run the
// guard under a name that is not dood-guard in both modes.

type chainCase struct {
	name, method, target, contentType string
	body                              func() []byte
	rule                              string // "" when the guard must let it reach the daemon
}

func runChainCases(t *testing.T, cases []chainCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := rawRequest{Method: c.method, Target: c.target}
			if c.body != nil {
				req.Body = c.body()
			}
			if c.contentType != "" {
				req.Header = [][2]string{{"Content-Type", c.contentType}}
			}
			resp := h.docker.do(t, req)
			got := judge(resp, c.rule)
			if c.rule == "" {
				if got.DeniedBy != "" {
					t.Errorf("%s %s: refused by the guard, want it to reach the daemon: %s", c.method, c.target, resp)
				}
				return
			}
			if diff := cmp.Diff(verdict{Status: 403, DeniedBy: h.pluginName, Rule: c.rule}, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s\ndaemon said: %s", c.method, c.target, diff, resp)
			}
			if resp.Status/100 == 2 && h.mode == modeManaged && !guardHealthy() {
				t.Fatalf("the guard was switched off by %s %s", c.method, c.target)
			}
		})
	}
}

// otherPrefix is an ID prefix that is not the guard's.
func otherPrefix(id string) string {
	if strings.HasPrefix(id, "0") {
		return "1a2b3c4d"
	}
	return "0a1b2c3d"
}

// TestLegacyChainName: the legacy guard answers to its socket's name
// (dood-guard-it-PID); no managed plugin may be installed under it, since
// dockerd prefers a managed plugin of that name at its next lookup.
func TestLegacyChainName(t *testing.T) {
	requireEnv(t)
	if h.mode != modeLegacy {
		t.Skip("legacy plugin only (the managed guard is covered by TestManagedChainAnyName)")
	}
	json := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	runChainCases(t, []chainCase{
		{"pull-over-the-legacy-name", "POST", api + "/plugins/pull?remote=localhost%3A1%2Fevil%3Alatest&name=" + url.QueryEscape(h.pluginName), "application/json", json(`[]`), "DG-PLUGIN-004"},
		{"pull-over-the-legacy-name-tagged", "POST", api + "/plugins/pull?remote=localhost%3A1%2Fevil%3Alatest&name=" + url.QueryEscape(h.pluginName+":latest"), "application/json", json(`[]`), "DG-PLUGIN-004"},
		{"pull-named-by-remote", "POST", api + "/plugins/pull?remote=" + url.QueryEscape(h.pluginName), "application/json", json(`[]`), "DG-PLUGIN-004"},
		{"create-over-the-legacy-name", "POST", api + "/plugins/create?name=" + url.QueryEscape(h.pluginName), "application/x-tar", pluginTar, "DG-PLUGIN-004"},
		// the benign use beside them: other names, other plugins' IDs
		{"benign/pull-under-another-name", "POST", api + "/plugins/pull?remote=localhost%3A1%2Fdg-it-none%3Alatest&name=dg-it-other", "application/json", json(`[]`), ""},
		{"benign/remove-a-plugin-by-id-prefix", "DELETE", api + "/plugins/0a1b2c3d?force=1", "", nil, ""},
		{"benign/plugin-list", "GET", api + "/plugins", "", nil, ""},
	})
}

// TestManagedChainAnyName installs the guard as dg-it-renamed (scripts/
// install.sh --name), which no setting names, into a daemon that started
// without it: install.sh adds it to the chain with a reload, which /info
// does not report (dockerd keeps showing the start-up chain); the guard
// knows it as a managed plugin implementing docker.authz. Every
// way to disable, remove, reconfigure, upgrade or push it is refused, by
// name, full ID and ID prefix; other plugins are managed as before.
func TestManagedChainAnyName(t *testing.T) {
	requireManaged(t)
	const renamed = "dg-it-renamed"
	if out, err := h.uninstallGuard(); err != nil {
		t.Fatalf("install.sh --uninstall: %v\n%s", err, out)
	}
	h.pluginName = renamed
	t.Cleanup(func() {
		if out, err := h.uninstallGuard(); err != nil {
			t.Errorf("install.sh --uninstall %s: %v\n%s", renamed, err, out)
		}
		h.pluginName = managedName
		if out, err := h.installGuard(); err != nil {
			t.Errorf("reinstalling the suite's guard: %v\n%s", err, out)
		}
		expectEnforcing(t)
	})
	if out, err := h.installGuard(); err != nil {
		t.Fatalf("install.sh --name %s: %v\n%s", renamed, err, out)
	}
	expectEnforcing(t)
	id := h.managed.id
	json := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	var cases []chainCase
	for label, n := range map[string]string{"name": renamed, "name-latest": renamed + ":latest", "qualified": "docker.io/library/" + renamed, "full-id": id, "id-prefix-12": id[:12], "id-prefix-5": id[:5]} {
		cases = append(cases,
			chainCase{"disable/" + label, "POST", api + "/plugins/" + n + "/disable", "", nil, "DG-PLUGIN-004"},
			chainCase{"disable-force/" + label, "POST", api + "/plugins/" + n + "/disable?force=1", "", nil, "DG-PLUGIN-004"},
			chainCase{"remove-force/" + label, "DELETE", api + "/plugins/" + n + "?force=1", "", nil, "DG-PLUGIN-004"},
			chainCase{"set/" + label, "POST", api + "/plugins/" + n + "/set", "application/json", json(`["DG_LOG_LEVEL=error"]`), "DG-PLUGIN-004"},
			chainCase{"upgrade/" + label, "POST", api + "/plugins/" + n + "/upgrade?remote=localhost%3A1%2Fevil%3Alatest", "application/json", json(`[]`), "DG-PLUGIN-004"},
			chainCase{"push/" + label, "POST", api + "/plugins/" + n + "/push", "", nil, "DG-PLUGIN-004"},
		)
	}
	cases = append(cases,
		chainCase{"pull-over-the-name", "POST", api + "/plugins/pull?remote=localhost%3A1%2Fevil%3Alatest&name=" + renamed, "application/json", json(`[]`), "DG-PLUGIN-004"},
		// every managed authorization plugin is protected, in the chain or
		// not (a reload can add one without /info saying so)
		chainCase{"disable-another-authz-plugin", "POST", api + "/plugins/" + privFixture + "/disable", "", nil, "DG-PLUGIN-004"},
		// the benign use beside them: plugins that are no authorization plugin
		chainCase{"benign/disable-another-plugin", "POST", api + "/plugins/dg-it-no-such-plugin/disable", "", nil, ""},
		chainCase{"benign/remove-another-plugin-by-id-prefix", "DELETE", api + "/plugins/" + otherPrefix(id) + "?force=1", "", nil, ""},
	)
	runChainCases(t, cases)
	// As an admin would type it: the docker CLI, by ID prefix.
	for _, args := range [][]string{
		{"plugin", "disable", id[:6]},
		{"plugin", "disable", "-f", renamed},
		{"plugin", "rm", "-f", id[:8]},
	} {
		t.Run("cli/"+strings.Join(args, "-"), func(t *testing.T) {
			out, err := cli(t, nil, args...)
			if err == nil || !strings.Contains(out, "authorization denied by plugin "+renamed) || !strings.Contains(out, "DG-PLUGIN-004") {
				t.Errorf("docker %s: want a DG-PLUGIN-004 denial by %s, got (%v):\n%s", strings.Join(args, " "), renamed, err, out)
			}
		})
	}
	if !guardHealthy() {
		t.Errorf("after the cases the renamed guard is not enabled and enforcing")
	}
}
