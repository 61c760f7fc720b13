package dockercli

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/check/capture"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
)

// realCLI runs the installed docker client (Debian's docker.io) against a
// capture endpoint, with an empty config, and returns the creates it sent.
func realCLI(t *testing.T, docker, apiVersion string, args []string) []capture.Request {
	t.Helper()
	srv, err := capture.Start(apiVersion)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cmd := exec.Command(docker, append([]string{"-H", srv.Host()}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "DOCKER_CONFIG=" + t.TempDir(), "PATH=/usr/bin:/bin"}
	out, _ := cmd.CombinedOutput() // it fails on purpose after the create
	creates := srv.Creates()
	if len(creates) == 0 {
		t.Fatalf("docker %s sent no create; it said:\n%s", strings.Join(args, " "), out)
	}
	return creates
}

// The request docker/cli's code produces in process is, field by field, the
// one the real docker client sends. Both speak to the same endpoint version.
// Empty and absent lists are equated: Debian's client (28.2) sends "Dns": []
// and "Ulimits": [] where docker/cli 29.9 sends null, which the daemon reads
// the same way.
func TestSameRequestAsTheRealDockerCLI(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Fatalf("the docker client is needed for this comparison (apt-get install docker.io): %v", err)
	}
	const apiVersion = "1.47"
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	for _, line := range []string{
		"run --privileged busybox",
		"run -d --name gitlab-runner --restart always -v /var/run/docker.sock:/var/run/docker.sock -v /srv/gitlab-runner/config:/etc/gitlab-runner gitlab/gitlab-runner:alpine",
		"run --rm -v /builds/app:/builds/app -w /builds/app --pid host --network host --cap-add SYS_ADMIN --security-opt seccomp=unconfined --device /dev/fuse golang:1.24 go test ./...",
		"create --mount type=bind,source=/,target=/host,bind-propagation=rshared -e CI=true --user 0:0 --userns host alpine sh",
		"run -d --tmpfs /run:rw,size=64m --ulimit nofile=1024:2048 --group-add docker --sysctl net.ipv4.ip_forward=1 --cgroupns host -p 8080:80 nginx",
		"service create --name agent --mount type=bind,source=/var/run/docker.sock,destination=/var/run/docker.sock --cap-add SYS_ADMIN -e A=b jenkins/inbound-agent",
	} {
		t.Run(line, func(t *testing.T) {
			args := strings.Fields(line)
			real := realCLI(t, docker, apiVersion, args)
			ours, err := Run(context.Background(), args, apiVersion)
			if err != nil {
				t.Fatal(err)
			}
			if len(ours.Creates) != len(real) {
				t.Fatalf("%d creates, the real CLI sent %d", len(ours.Creates), len(real))
			}
			for i := range real {
				if ours.Creates[i].URI != real[i].URI {
					t.Errorf("request target %s, the real CLI sent %s", ours.Creates[i].URI, real[i].URI)
				}
				if diff := cmp.Diff(decode(t, real[i]), decode(t, ours.Creates[i]), cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("body (-real docker CLI +check):\n%s", diff)
				}
			}
		})
	}
}

// decode reads a create body into the API's types, as the daemon does.
func decode(t *testing.T, r capture.Request) any {
	t.Helper()
	var v any
	switch r.Path() {
	case "/containers/create":
		c := &container.CreateRequest{}
		if err := json.Unmarshal(r.Body, c); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		// docker/cli builds Binds by walking a map of the -v values, so
		// their order varies from run to run in both clients.
		if c.HostConfig != nil {
			sort.Strings(c.HostConfig.Binds)
		}
		return c
	case "/services/create":
		v = &swarm.ServiceSpec{}
	default:
		v = &map[string]any{}
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return v
}
