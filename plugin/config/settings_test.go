package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicySettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := []Config{
		{},
		{Profile: "baseline"},
		{Profile: "restricted"},
		{HostRoot: "/"},
		{HostRoot: dir},
		{RulesDirs: []string{dir, dir}},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []struct {
		c    Config
		want string
	}{
		{Config{Profile: "strict"}, `profile "strict": want one of baseline, restricted`},
		{Config{Profile: "Restricted"}, `profile "Restricted"`},
		{Config{HostRoot: "host"}, `host-root "host": must be an absolute path`},
		{Config{HostRoot: "/nonexistent/host"}, "host-root:"},
		{Config{HostRoot: file}, "not a directory"},
		{Config{RulesDirs: []string{"/nonexistent/rules"}}, "rules:"},
		{Config{RulesDirs: []string{file}}, "not a directory"},
	}
	for _, tc := range bad {
		err := tc.c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate() = %v, want an error containing %q", tc.c, err, tc.want)
		}
	}
}
