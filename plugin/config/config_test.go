package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultsAreInjected(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Config{Socket: DefaultSocket, LogFormat: "json", LogLevel: "info", LogDecisions: "all", Cgroup: "auto", Enforcement: "enforce"}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestInvalidValuesAreErrors(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		want string
	}{
		{"relative socket", Config{Socket: "dg.sock"}, "must be an absolute path"},
		{"unknown log format", Config{LogFormat: "xml"}, `log-format "xml"`},
		{"unknown log level", Config{LogLevel: "loud"}, `log-level "loud"`},
		{"unknown decision logging", Config{LogDecisions: "some"}, `log-decisions "some"`},
		{"unknown enforcement mode", Config{Enforcement: "audit"}, `enforcement "audit": want one of enforce, dryrun`},
		{"relative config dir", Config{ConfigDir: "etc/dood-guard"}, `config-dir "etc/dood-guard": must be an absolute path`},
		{"metrics on a relative socket", Config{MetricsAddr: "unix://run/m.sock"}, "want unix:// and a clean absolute path"},
		{"metrics without a port", Config{MetricsAddr: "127.0.0.1"}, "want host:port or unix:///path"},
		{"metrics on a port that is not one", Config{MetricsAddr: "127.0.0.1:http"}, `port "http" is not a number`},
		{"bad api version", Config{DefaultAPIVersion: "v1.41"}, "default-api-version"},
		{"bad cgroup", Config{Cgroup: "v3"}, `cgroup "v3"`},
		{"missing policy", Config{PolicyPaths: []string{"/nonexistent/p.rego"}}, "policy:"},
		{"missing data", Config{DataPath: "/nonexistent/d.yaml"}, "data:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestAllErrorsAreReportedAtOnce(t *testing.T) {
	c := Config{LogFormat: "xml", LogLevel: "loud"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "log-format") || !strings.Contains(err.Error(), "log-level") {
		t.Errorf("Validate() = %v, want both problems named", err)
	}
}
