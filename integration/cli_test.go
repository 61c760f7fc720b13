//go:build integration

package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The docker CLI from Debian's docker.io against the guarded daemon: the
// requests a CI job really sends, bodies and all.

func dockerCLI() string {
	if c := os.Getenv("DG_DOCKER_CLI"); c != "" {
		return c
	}
	return "/usr/bin/docker"
}

// cli runs the docker CLI; it returns combined output and the error.
func cli(t testing.TB, stdin []byte, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI(), append([]string{"-H", "unix://" + h.docker.socket}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(h.tmp, "cli-config"), "DOCKER_BUILDKIT=0", "DOCKER_CLI_HINTS=false")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustCLI fails the test unless the command succeeds.
func mustCLI(t testing.TB, args ...string) string {
	t.Helper()
	out, err := cli(t, nil, args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestDockerCLIBenign(t *testing.T) {
	requireImage(t)
	t.Run("run-rm-echo", func(t *testing.T) {
		if out := mustCLI(t, "run", "--rm", image, "echo", "hello"); out != "hello\n" {
			t.Errorf("output %q", out)
		}
	})
	t.Run("run-as-user-1000", func(t *testing.T) {
		if out := mustCLI(t, "run", "--rm", "-u", "1000", image, "id", "-u"); out != "1000\n" {
			t.Errorf("output %q", out)
		}
	})
	t.Run("run-workspace-bind-and-workdir", func(t *testing.T) {
		out := mustCLI(t, "run", "--rm", "-v", h.workspace+":/workspace", "-w", "/workspace", image, "cat", "README")
		if out != "workspace file\n" {
			t.Errorf("output %q", out)
		}
	})
	t.Run("run-publish-cap-drop-no-new-privileges", func(t *testing.T) {
		mustCLI(t, "run", "--rm", "-p", "8081:80", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", image, "true")
	})
	t.Run("run-tmpfs-and-read-only", func(t *testing.T) {
		mustCLI(t, "run", "--rm", "--read-only", "--tmpfs", "/scratch", image, "sh", "-c", "echo x > /scratch/x")
	})
	t.Run("volume-create-use-rm", func(t *testing.T) {
		t.Cleanup(func() { _, _ = cli(t, nil, "volume", "rm", "-f", "dg-it-cli-vol") })
		mustCLI(t, "volume", "create", "dg-it-cli-vol")
		mustCLI(t, "run", "--rm", "-v", "dg-it-cli-vol:/data", image, "sh", "-c", "echo v > /data/v")
		if out := mustCLI(t, "run", "--rm", "--mount", "type=volume,source=dg-it-cli-vol,target=/d,readonly", image, "cat", "/d/v"); out != "v\n" {
			t.Errorf("output %q", out)
		}
		mustCLI(t, "volume", "rm", "dg-it-cli-vol")
	})
	t.Run("network-create-run-connect-rm", func(t *testing.T) {
		t.Cleanup(func() {
			_, _ = cli(t, nil, "rm", "-f", "dg-it-cli-net-c")
			_, _ = cli(t, nil, "network", "rm", "dg-it-cli-net")
		})
		mustCLI(t, "network", "create", "dg-it-cli-net")
		mustCLI(t, "run", "--rm", "--network", "dg-it-cli-net", image, "true")
		mustCLI(t, "run", "-d", "--name", "dg-it-cli-net-c", image, "sleep", "600")
		mustCLI(t, "network", "connect", "dg-it-cli-net", "dg-it-cli-net-c")
		mustCLI(t, "network", "disconnect", "dg-it-cli-net", "dg-it-cli-net-c")
		mustCLI(t, "rm", "-f", "dg-it-cli-net-c")
		mustCLI(t, "network", "rm", "dg-it-cli-net")
	})
	t.Run("build-legacy-builder", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\nRUN echo hi\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = cli(t, nil, "rmi", "-f", "dg-it-cli-build") })
		out := mustCLI(t, "build", "-t", "dg-it-cli-build", dir)
		if !strings.Contains(out, "hi\n") || !strings.Contains(out, "Successfully tagged dg-it-cli-build:latest") {
			t.Errorf("build output:\n%s", out)
		}
		mustCLI(t, "rmi", "dg-it-cli-build")
	})
	t.Run("cp-in-and-out-exec-as-1000", func(t *testing.T) {
		t.Cleanup(func() { _, _ = cli(t, nil, "rm", "-f", "dg-it-cli-cp") })
		mustCLI(t, "run", "-d", "--name", "dg-it-cli-cp", image, "sleep", "600")
		src := filepath.Join(t.TempDir(), "in.txt")
		if err := os.WriteFile(src, []byte("copied in\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mustCLI(t, "cp", src, "dg-it-cli-cp:/tmp/in.txt")
		if out := mustCLI(t, "exec", "-u", "1000", "dg-it-cli-cp", "cat", "/tmp/in.txt"); out != "copied in\n" {
			t.Errorf("exec output %q", out)
		}
		dst := filepath.Join(t.TempDir(), "out.txt")
		mustCLI(t, "cp", "dg-it-cli-cp:/tmp/in.txt", dst)
		if b, err := os.ReadFile(dst); err != nil || string(b) != "copied in\n" {
			t.Errorf("copied out %q %v", b, err)
		}
		mustCLI(t, "stop", "-t", "1", "dg-it-cli-cp")
		mustCLI(t, "rm", "dg-it-cli-cp")
	})
	t.Run("image-tag-inspect-rmi", func(t *testing.T) {
		t.Cleanup(func() { _, _ = cli(t, nil, "rmi", "-f", "dg-it-cli-tag:v1") })
		mustCLI(t, "tag", image, "dg-it-cli-tag:v1")
		mustCLI(t, "image", "inspect", "dg-it-cli-tag:v1")
		mustCLI(t, "rmi", "dg-it-cli-tag:v1")
	})
	t.Run("ps-images-info-version", func(t *testing.T) {
		mustCLI(t, "ps", "-a")
		mustCLI(t, "images")
		mustCLI(t, "info")
		mustCLI(t, "version")
	})
}

func TestDockerCLIAttacks(t *testing.T) {
	requireImage(t)
	cases := []struct {
		name string
		args []string
		rule string
	}{
		{"run-privileged", []string{"run", "--rm", "--privileged", image, "true"}, "DG-PRIV-001"},
		{"run-bind-root", []string{"run", "--rm", "-v", "/:/host", image, "true"}, "DG-MNT-001"},
		{"run-bind-docker-sock", []string{"run", "--rm", "-v", "/var/run/docker.sock:/var/run/docker.sock", image, "true"}, "DG-MNT-001"},
		{"run-mount-bind-etc", []string{"run", "--rm", "--mount", "type=bind,source=/etc,target=/h", image, "true"}, "DG-MNT-001"},
		{"run-cap-add-sys-admin", []string{"run", "--rm", "--cap-add", "sys_admin", image, "true"}, "DG-CAP-001"},
		{"run-pid-host", []string{"run", "--rm", "--pid", "host", image, "true"}, "DG-NS-001"},
		{"run-net-host", []string{"run", "--rm", "--net", "host", image, "true"}, "DG-NS-001"},
		{"run-seccomp-unconfined", []string{"run", "--rm", "--security-opt", "seccomp=unconfined", image, "true"}, "DG-SEC-001"},
		{"run-device", []string{"run", "--rm", "--device", "/dev/null:/dev/xnull", image, "true"}, "DG-DEV-001"},
		{"volume-create-bind-root", []string{"volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=/", "dg-it-cli-evil"}, "DG-MNT-002"},
		{"build-network-host", []string{"build", "--network", "host", "-t", "dg-it-cli-evil-build", "-"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdin []byte
			if c.args[0] == "build" {
				stdin = []byte("FROM " + image + "\nRUN true\n")
			}
			t.Cleanup(func() {
				_, _ = cli(t, nil, "volume", "rm", "-f", "dg-it-cli-evil")
				_, _ = cli(t, nil, "rmi", "-f", "dg-it-cli-evil-build")
			})
			out, err := cli(t, stdin, c.args...)
			if err == nil {
				t.Errorf("docker %s succeeded; want it refused by the plugin. Output:\n%s", strings.Join(c.args, " "), out)
				return
			}
			if !strings.Contains(out, denialLead()+h.pluginName+":") || (c.rule != "" && !strings.Contains(out, c.rule)) {
				t.Errorf("docker %s: want a denial by %s naming %q, got:\n%s", strings.Join(c.args, " "), h.pluginName, c.rule, out)
			}
		})
	}
}
