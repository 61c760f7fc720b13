package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProxyTakesEveryServeFlag: the front is configured as the plugin is —
// same policy, data, rules, logs, enforcement, metrics and state flags.
func TestProxyTakesEveryServeFlag(t *testing.T) {
	proxyFlags := map[string]bool{}
	for _, f := range flagsOf(t, "proxy") {
		proxyFlags[f] = true
	}
	for _, f := range flagsOf(t, "serve") {
		if !proxyFlags[f] {
			t.Errorf("serve has --%s, proxy does not", f)
		}
	}
}

func TestProxyConfigValidation(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"nowhere to listen", nil, "--socket or --tcp"},
		{"relative socket", []string{"--socket", "front.sock"}, "must be an absolute path"},
		{"tcp without certificates", []string{"--tcp", "127.0.0.1:2376"}, "--tcp needs --tls-cert, --tls-key and --tls-ca"},
		{"tcp address without a port", []string{"--tcp", "127.0.0.1", "--tls-cert", "c", "--tls-key", "k", "--tls-ca", "a"}, "missing port"},
		{"certificates without tcp", []string{"--socket", "/run/f.sock", "--tls-cert", "c"}, "apply to --tcp only"},
		{"empty name", []string{"--socket", "/run/f.sock", "--name", ""}, "name: must not be empty"},
		{"relative fronts dir", []string{"--socket", "/run/f.sock", "--fronts-dir", "fronts"}, "fronts-dir"},
		{"bad docker host", []string{"--socket", "/run/f.sock", "--docker-host", "tcp://1.2.3.4:2375"}, "only unix:// sockets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"proxy"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tc.wantErr)
			}
		})
	}
}
