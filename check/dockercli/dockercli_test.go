package dockercli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
)

// What docker/cli does to a line before it sends it is in the request:
// relative -v sources made absolute, --env-file read, global flags
// accepted, -it lines built as at a terminal.
func TestRunBuildsTheRequestDockerSends(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("ci.env", []byte("CI=true\nTOKEN\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOKEN", "from-the-environment")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	res, err := Run(context.Background(), strings.Fields("docker -H unix:///elsewhere.sock --debug run -it --env-file ci.env -v ./src:/src busybox sh"), "1.47")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Creates) != 1 || res.Creates[0].URI != "/v1.47/containers/create" {
		t.Fatalf("creates: %+v", res.Creates)
	}
	var body container.CreateRequest
	if err := json.Unmarshal(res.Creates[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	got := []any{body.HostConfig.Binds, body.Env, body.Tty, body.OpenStdin, res.Changed["volume"]}
	want := []any{[]string{filepath.Join(dir, "src") + ":/src"}, []string{"CI=true", "TOKEN=from-the-environment"}, true, true, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRunRefusesWhatIsNotACreate(t *testing.T) {
	for _, line := range []string{"docker ps", "docker", "docker run", "docker run --privileged", "docker run --nope busybox", "docker image rm busybox"} {
		if _, err := Run(context.Background(), strings.Fields(line), "1.47"); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: err %v, want a usage error", line, err)
		}
	}
}
