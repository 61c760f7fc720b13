package main

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/google/go-cmp/cmp"
)

// serveFlags builds a flag set shaped like serve's (the flags envFlags
// names, minus the ones a test wants missing).
func serveFlags(t *testing.T, c *config.Config, args ...string) *flag.FlagSet {
	t.Helper()
	fs := newFlagSet("serve", os.Stderr)
	fs.StringVar(&c.LogFormat, "log-format", "json", "")
	fs.StringVar(&c.LogLevel, "log-level", "info", "")
	fs.StringVar(&c.LogDecisions, "log-decisions", "all", "")
	policyFlags(fs, c)
	var sc stateConfig
	stateFlags(fs, &sc)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvSetsUnsetFlags(t *testing.T) {
	var c config.Config
	fs := serveFlags(t, &c)
	err := applyEnv(fs, env(map[string]string{
		"DG_POLICY_DIR":     "/etc/dood-guard/policies",
		"DG_DATA_FILE":      "/etc/dood-guard/data.yaml",
		"DG_LOG_FORMAT":     "text",
		"DG_LOG_LEVEL":      "debug",
		"DG_LOG_DECISIONS":  "deny",
		"DG_RULES_DIR":      "/etc/dood-guard/rules",
		"DG_PROFILE":        "restricted",
		"DG_HOST_ROOT":      "/host",
		"DG_DOCKER_HOST":    "unix:///host/run/docker.sock",
		"DG_STORAGE_DRIVER": "vfs", // not ours: ignored
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{PolicyPaths: []string{"/etc/dood-guard/policies"}, DataPath: "/etc/dood-guard/data.yaml",
		LogFormat: "text", LogLevel: "debug", LogDecisions: "deny",
		RulesDirs: []string{"/etc/dood-guard/rules"}, Profile: "restricted", HostRoot: "/host"}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	var c config.Config
	fs := serveFlags(t, &c, "--log-format", "json", "--policy", "/a.rego", "--policy", "/b.rego")
	err := applyEnv(fs, env(map[string]string{"DG_LOG_FORMAT": "text", "DG_POLICY_DIR": "/etc/dood-guard", "DG_LOG_LEVEL": "warn"}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{PolicyPaths: []string{"/a.rego", "/b.rego"}, LogFormat: "json", LogLevel: "warn", LogDecisions: "all"}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestEmptyVariableIsUnset(t *testing.T) {
	var c config.Config
	fs := serveFlags(t, &c)
	if err := applyEnv(fs, env(map[string]string{"DG_POLICY_DIR": "", "DG_LOG_FORMAT": "", "DG_PROFILE": ""})); err != nil {
		t.Fatal(err)
	}
	if c.PolicyPaths != nil || c.LogFormat != "json" {
		t.Errorf("empty variables changed the config: %+v", c)
	}
}

func TestVariableForAMissingFlagIsAnError(t *testing.T) {
	fs := newFlagSet("serve", os.Stderr)
	fs.String("log-format", "json", "")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	err := applyEnv(fs, env(map[string]string{"DG_PROFILE": "restricted", "DG_HOST_ROOT": "/host"}))
	if err == nil || !strings.Contains(err.Error(), "DG_PROFILE") || !strings.Contains(err.Error(), "DG_HOST_ROOT") {
		t.Errorf("applyEnv = %v, want both variables named", err)
	}
}

func TestEveryVariableIsDeclaredInConfigJSON(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Env []struct{ Name string } }
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	declared := map[string]bool{}
	for _, e := range cfg.Env {
		declared[e.Name] = true
	}
	known := map[string]bool{}
	for _, m := range envFlags {
		known[m.env] = true
	}
	for name := range declared {
		if !known[name] {
			t.Errorf("config.json declares %s, which serve does not read", name)
		}
	}
}

// TestConfigJSONDefaultsStart: the managed plugin starts with the
// environment config.json gives it by default.
func TestConfigJSONDefaultsStart(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Env []struct{ Name, Value string }
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "s.sock")
	cmd := exec.Command(binary, "serve", "--socket", sock)
	cmd.Env = os.Environ()
	for _, e := range cfg.Env {
		v := e.Value
		if e.Name == "DG_HOST_ROOT" && v != "" {
			v = "/" // the plugin's /host is the host's /
		}
		cmd.Env = append(cmd.Env, e.Name+"="+v)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for i := 0; i < 400; i++ {
		select {
		case err := <-done:
			t.Fatalf("serve with config.json's environment exited (%v):\n%s", err, out.String())
		default:
		}
		if _, err := os.Stat(sock); err == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			<-done
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-done
	t.Fatalf("serve with config.json's environment did not listen:\n%s", out.String())
}

// The binary: an invalid value stops it; a valid one is used.
func TestServeReadsTheEnvironment(t *testing.T) {
	run := func(env ...string) (*exec.Cmd, *strings.Builder, string) {
		sock := filepath.Join(t.TempDir(), "s.sock")
		cmd := exec.Command(binary, "serve", "--socket", sock)
		cmd.Env = append(os.Environ(), env...)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out, sock
	}
	for name, tc := range map[string]struct{ env, want string }{
		"bad log format": {"DG_LOG_FORMAT=xml", `log-format "xml"`},
		"missing data":   {"DG_DATA_FILE=/nonexistent/data.yaml", "/nonexistent/data.yaml"},
		"missing policy": {"DG_POLICY_DIR=/nonexistent/policies", "/nonexistent/policies"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd, out, _ := run(tc.env)
			if err := cmd.Run(); err == nil {
				t.Fatalf("serve started with %s", tc.env)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("output %q, want it to mention %q", out, tc.want)
			}
		})
	}
	t.Run("text log format", func(t *testing.T) {
		cmd, out, sock := run("DG_LOG_FORMAT=text")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if !strings.Contains(out.String(), `msg="dood-guard serving"`) {
			t.Errorf("DG_LOG_FORMAT=text: want text log lines, got:\n%s", out)
		}
	})
}
