//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// logLines are the plugin's JSON log lines, from offset from, that satisfy
// match.
func logLines(from int64, match func(map[string]any) bool) []map[string]any {
	b, err := os.ReadFile(h.pluginLog)
	if err != nil || int64(len(b)) < from {
		return nil
	}
	var out []map[string]any
	for _, l := range strings.Split(string(b[from:]), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && match(m) {
			out = append(out, m)
		}
	}
	return out
}

// waitLogLine waits up to d for a plugin log line that satisfies match.
func waitLogLine(from int64, d time.Duration, match func(map[string]any) bool) map[string]any {
	deadline := time.Now().Add(d)
	for {
		if l := logLines(from, match); len(l) > 0 {
			return l[len(l)-1]
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The guard reads a request without /vX.Y as the daemon in front of it
// does: under that daemon's newest API version, learned from its GET
// /version (1.41 on 20.10, 1.56 on 29), and says so in its log.
func TestDaemonVersionLearned(t *testing.T) {
	requireEnv(t)
	// The guard follows the daemon's events; it learns the versions when it
	// connects (its reconnect back-off is at most 30s).
	learned := waitLogLine(0, 45*time.Second, func(m map[string]any) bool {
		return m["msg"] == "the daemon's API versions learned"
	})
	if learned == nil {
		t.Fatalf("no \"the daemon's API versions learned\" line in the plugin's log:\n%s", tail(h.pluginLog, 20))
	}
	want := map[string]string{
		"daemon_version":             h.daemon.Version,
		"daemon_api_version":         h.daemon.APIVersion,
		"daemon_min_api_version":     h.daemon.MinAPIVersion,
		"default_api_version":        h.daemon.APIVersion,
		"default_api_version_source": "daemon",
	}
	for k, v := range want {
		if learned[k] != v {
			t.Errorf("log field %s = %v, want %q (line: %v)", k, learned[k], v, learned)
		}
	}

	// An unprefixed request is judged under the daemon's version.
	from := pluginLogSize()
	probe := "/images/dg-it-version-probe/json"
	resp := h.docker.do(t, rawRequest{Method: "GET", Target: probe})
	expectStatus(t, "GET "+probe+" (unprefixed)", resp, 404)
	line := waitLogLine(from, 10*time.Second, func(m map[string]any) bool { return m["path"] == probe })
	if line == nil {
		t.Fatalf("no decision line for %s in the plugin's log:\n%s", probe, tail(h.pluginLog, 10))
	}
	if line["api_version"] != h.daemon.APIVersion {
		t.Errorf("unprefixed %s judged under API %v, want the daemon's %s", probe, line["api_version"], h.daemon.APIVersion)
	}

	// Below the daemon's minimum, the daemon refuses what the guard let
	// through (the authorization middleware runs before the version check).
	if h.engine == engine29 {
		resp := h.docker.do(t, rawRequest{Method: "GET", Target: apiAt("1.24") + "/containers/json"})
		if resp.Status != 400 || !strings.Contains(resp.Message(), "too old") {
			t.Errorf("GET /v1.24/containers/json on %s (minimum %s): want 400 too old, got %s", h.daemon.Version, h.daemon.MinAPIVersion, resp)
		}
	}
}
