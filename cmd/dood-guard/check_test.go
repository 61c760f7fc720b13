//go:build !nocheck

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command's contract: what it prints and how it exits, for the uses
// docs/check.md shows and the mistakes it names.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	socket := write("socket.yaml", "services:\n  web:\n    image: nginx\n  ci:\n    image: docker:cli\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n")
	ordinary := write("ordinary.yaml", "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    volumes:\n      - ./html:/usr/share/nginx/html:ro\n  db:\n    image: postgres:16\n    volumes:\n      - data:/var/lib/postgresql/data\nvolumes:\n  data:\n")
	broken := write("broken.yaml", "services:\n  web:\n    image: [not, a, string\n")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"privileged run is refused naming the rule and the flag", []string{"check", "--", "docker", "run", "--privileged", "busybox"}, 3,
			[]string{"DG-PRIV-001", "--privileged", "allow by:"}},
		{"a service mounting the socket is refused naming the service and line", []string{"check", socket}, 3,
			[]string{"service ci", "DG-MNT-001", "socket.yaml:7", "services.ci.volumes[0]"}},
		{"an ordinary stack passes", []string{"check", ordinary}, 0, []string{"0 refused"}},
		{"an ordinary run passes", []string{"check", "--", "docker", "run", "--rm", "-v", "/builds/app:/src", "golang:1.24", "go", "test"}, 0, []string{"1 allowed"}},
		{"flags after the compose file", []string{"check", ordinary, "--format", "json"}, 0, []string{`"results"`}},
		{"sarif", []string{"check", "--format", "sarif", socket}, 3, []string{`"version": "2.1.0"`, `"startLine": 7`}},
		{"a command line located in a CI file", []string{"check", "--source", ".gitlab-ci.yml:42", "--", "docker", "run", "--privileged", "busybox"}, 3,
			[]string{"--privileged, .gitlab-ci.yml:42"}},
		{"--source with compose files", []string{"check", "--source", "x.yml", socket}, 2, []string{"--source locates a docker command line"}},
		{"help", []string{"check", "-h"}, 0, []string{"usage: dood-guard check"}},
		{"nothing to check", []string{"check"}, 2, []string{"usage: dood-guard check"}},
		{"compose files and a command line", []string{"check", socket, "--", "docker", "run", "busybox"}, 2, []string{"not both"}},
		{"nothing after --", []string{"check", "--"}, 2, []string{"no docker command line"}},
		{"not a create", []string{"check", "--", "docker", "ps"}, 2, []string{"makes no create request"}},
		{"a flag docker does not have", []string{"check", "--", "docker", "run", "--privilegd", "busybox"}, 2, []string{"unknown flag: --privilegd"}},
		{"unknown format", []string{"check", "--format", "xml", socket}, 2, []string{"--format"}},
		{"a compose file that does not parse", []string{"check", broken}, 1, []string{"broken.yaml"}},
		{"a missing compose file", []string{"check", filepath.Join(dir, "nope.yaml")}, 1, []string{"nope.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, all)
			}
			for _, s := range tc.contains {
				if !strings.Contains(all, s) {
					t.Errorf("output lacks %q:\n%s", s, all)
				}
			}
		})
	}
}
