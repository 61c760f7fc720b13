package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestCommandLineConvention holds every command to the one convention the
// usage text documents: -h exits 0, a stray argument or an unknown flag
// exits 2 and says what was wrong.
func TestCommandLineConvention(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no command prints the usage", nil, exitUsage, "usage: dood-guard"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, ""},
		{"serve -h", []string{"serve", "-h"}, exitOK, "-socket"},
		{"serve --help", []string{"serve", "--help"}, exitOK, "-socket"},
		{"serve stray argument", []string{"serve", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"serve unknown flag", []string{"serve", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{"eval -h", []string{"eval", "-h"}, exitOK, "-policy"},
		{"eval two files", []string{"eval", "a.json", "b.json"}, exitUsage, `unexpected argument "b.json"`},
		{"audit -h", []string{"audit", "-h"}, exitOK, "-json"},
		{"audit stray argument", []string{"audit", "containers"}, exitUsage, `unexpected argument "containers"`},
		{"test -h", []string{"test", "-h"}, exitOK, "--rules DIR"},
		{"test bad profile", []string{"test", "--profile", "lax"}, exitUsage, "invalid configuration"},
		{"bundle -h", []string{"bundle", "-h"}, exitOK, "-signing-key"},
		{"bundle stray argument", []string{"bundle", "--output", "x", "dir"}, exitUsage, `unexpected argument "dir"`},
		{"serve bad --config", []string{"serve", "--config", "/nonexistent/opa.yaml"}, exitUsage, "invalid configuration"},
		{"check -h", []string{"check", "-h"}, exitOK, "-format"},
		{"check with nothing to check", []string{"check"}, exitUsage, "usage: dood-guard check"},
		{"check compose files and a command line", []string{"check", "a.yaml", "--", "docker", "run", "busybox"}, exitUsage, `stray "a.yaml"`},
		{"check unknown flag", []string{"check", "--no-such-flag", "a.yaml"}, exitUsage, "flag provided but not defined"},
		{"version -h", []string{"version", "-h"}, exitOK, ""},
		{"version stray argument", []string{"version", "now"}, exitUsage, `unexpected argument "now"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(tc.args, strings.NewReader(""), &stdout, &stderr)
			if got != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tc.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String()+stdout.String(), tc.wantStderr) {
				t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", tc.wantStderr, stdout.String(), stderr.String())
			}
		})
	}
}

// TestUsageDocumentsExitCodes keeps the help text and the constants in step.
func TestUsageDocumentsExitCodes(t *testing.T) {
	for _, line := range []string{"0  done", "1  error", "2  usage", "3  done, and something was refused"} {
		if !strings.Contains(usage, line) {
			t.Errorf("usage lacks the exit code line %q", line)
		}
	}
}
