package check_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/check"
	"github.com/dood-guard/dood-guard/check/compose"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
	"io"
)

// newChecker is check with the embedded policy, as `dood-guard check` runs
// without flags.
func newChecker(t *testing.T) *check.Checker {
	t.Helper()
	src, err := policy.LoadOptions(policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(context.Background(), src.Modules, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	g := guard.New(guard.Options{}, log)
	g.SetEngine(e)
	c, err := check.New(g)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// summary renders a report as sorted lines a table can name:
// "object RULE-ID where" for each finding, "object needs kind name" for
// each dependency on the daemon.
func summary(rep check.Report) []string {
	out := []string{}
	for _, r := range rep.Results {
		for _, f := range r.Findings {
			where := strings.Join(f.Location.Flags, "|")
			if f.Location.Line > 0 {
				where = fmt.Sprintf("%s:%d", filepath.Base(f.Location.File), f.Location.Line)
			}
			out = append(out, fmt.Sprintf("%s %s %s", r.Object, f.RuleID, where))
		}
		for _, n := range r.NeedsDaemon {
			out = append(out, fmt.Sprintf("%s needs %s %s", r.Object, n.Kind, n.Name))
		}
	}
	sort.Strings(out)
	return out
}

// Real docker run lines from CI documentation, each with where it was
// published and what the guard says about it.
var commandLines = []struct {
	name, source string
	line         string
	want         []string
}{
	{"GitLab runner with the host's socket (DooD)", "https://docs.gitlab.com/runner/install/docker.html (as quoted in https://gist.github.com/giannoug/325587d0a48b325795bd59e1fd9c2bf3)",
		"docker run -d --name gitlab-runner --restart always -v /var/run/docker.sock:/var/run/docker.sock -v /srv/gitlab-runner/config:/etc/gitlab-runner gitlab/gitlab-runner:alpine",
		[]string{"container DG-MNT-001 --volume"}},
	{"GitLab runner with a named config volume", "https://gist.github.com/srimaln91/8f8f888fd170351c3d9f7b1c3b001cca",
		"docker run -d --name gitlab-runner --restart always -v /var/run/docker.sock:/var/run/docker.sock -v gitlab-runner-config:/etc/gitlab-runner gitlab/gitlab-runner:latest",
		[]string{"container DG-MNT-001 --volume", "container needs volume gitlab-runner-config"}},
	{"GitLab runner registration (no socket)", "https://gist.github.com/srimaln91/8f8f888fd170351c3d9f7b1c3b001cca",
		"docker run --rm -it -v gitlab-runner-config:/etc/gitlab-runner gitlab/gitlab-runner:latest register",
		[]string{"container needs volume gitlab-runner-config"}},
	{"testcontainers-go Docker wormhole", "https://golang.testcontainers.org/system_requirements/ci/dind_patterns",
		"docker run -it --rm -v /builds/app:/builds/app -w /builds/app -v /var/run/docker.sock:/var/run/docker.sock golang:1.24 go test ./... -v",
		[]string{"container DG-MNT-001 --volume"}},
	{"testcontainers-dotnet wormhole with the raw socket", "https://dotnet.testcontainers.org/dind",
		"docker run -v /var/run/docker.sock.raw:/var/run/docker.sock mcr.microsoft.com/dotnet/sdk:8.0 dotnet test",
		[]string{"container DG-MNT-001 --volume"}},
	{"Jenkins docker:dind per the Jenkins handbook", "https://www.jenkins.io/doc/book/installing/docker/ (as scripted in https://gist.github.com/angstyloop/1778eb51202eb23a44df7541f756402c)",
		"docker run --name jenkins-docker --rm --detach --privileged --network jenkins --network-alias docker --env DOCKER_TLS_CERTDIR=/certs --volume jenkins-docker-certs:/certs/client --volume jenkins-data:/var/jenkins_home --publish 2376:2376 docker:dind --storage-driver overlay2",
		[]string{"container DG-PRIV-001 --privileged", "container needs volume jenkins-data", "container needs volume jenkins-docker-certs"}},
	{"Jenkins controller as root with the socket and the docker binary", "https://blog.csdn.net/iiiiher/article/details/70849314",
		"docker run -d -u root -p 8080:8080 -v /var/run/docker.sock:/var/run/docker.sock -v /usr/bin/docker:/bin/docker -v /var/jenkins_home:/var/jenkins_home jenkins",
		[]string{"container DG-MNT-001 --volume", "container DG-MNT-001 --volume"}},
	{"DooD shell, privileged with the socket", "https://gist.github.com/leoluz/3e35ec4604315cd80b1b2cd9b4d3708e",
		"docker run --rm --privileged -v /var/run/docker.sock:/var/run/docker.sock -it docker /bin/sh",
		[]string{"container DG-MNT-001 --volume", "container DG-PRIV-001 --privileged"}},
	{"Buildkite step testing with the socket", "https://gist.github.com/saurabhthareja90/5615f8336e39e453f65fd5bcd9dd4487",
		"docker run --rm --name test-container -v /var/run/docker.sock:/var/run/docker.sock -v /buildkite/builds/app:/test -w /test saurabhthareja90/test-container spec/",
		[]string{"container DG-MNT-001 --volume"}},
	{"kaniko build with registry credentials from the home directory", "https://gist.github.com/polster/67371be747d4a2984abd58b7cb066c3b",
		"docker run -v /builds/app:/workspace:ro -v /home/ci/.kaniko/config.json:/kaniko/.docker/config.json:ro gcr.io/kaniko-project/executor:latest --context=/workspace --destination=registry.example.com/app:latest --force",
		[]string{"container DG-MNT-001 --volume"}},
	{"golang image build in the workspace", "https://hub.docker.com/_/golang (docker run --rm -v \"$PWD\":/usr/src/myapp -w /usr/src/myapp golang go build -v)",
		"docker run --rm -v /builds/app:/usr/src/myapp -w /usr/src/myapp golang:1.24 go build -v",
		[]string{}},
	{"local registry for CI images", "https://distribution.github.io/distribution/about/deploying/",
		"docker run -d -p 5000:5000 --restart=always --name registry registry:2",
		[]string{}},
	{"Jenkins dind docs as a swarm service", "https://docs.docker.com/reference/cli/docker/service/create/ (--mount type=bind)",
		"docker service create --name ci-agent --mount type=bind,source=/var/run/docker.sock,destination=/var/run/docker.sock jenkins/inbound-agent",
		[]string{"service DG-MNT-001 --mount"}},
	{"plain service", "https://docs.docker.com/reference/cli/docker/service/create/",
		"docker service create --name redis --replicas=5 redis:3.0.6",
		[]string{}},
}

func TestCommandLinesFromCIDocs(t *testing.T) {
	c := newChecker(t)
	for _, tc := range commandLines {
		t.Run(tc.name, func(t *testing.T) {
			items, err := check.FromCommandLine(context.Background(), strings.Fields(tc.line), "1.47", check.Location{})
			if err != nil {
				t.Fatalf("%s (from %s): %v", tc.line, tc.source, err)
			}
			got := summary(c.Judge(context.Background(), items))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n(from %s)\n(-want +got):\n%s", tc.line, tc.source, diff)
			}
		})
	}
}

// Compose files from public projects (testdata/compose, sources in each
// file) and one written for the loader's features.
var composeProjects = []struct {
	name, file string
	want       []string
}{
	{"portainer mounts the daemon socket", "portainer/docker-compose.yaml",
		[]string{"service portainer DG-MNT-001 docker-compose.yaml:11"}},
	{"ordinary web stack with a secret and a named volume", "nginx-golang-postgres/compose.yaml", []string{}},
	{"monitoring stack with two mounts on one target", "prometheus-grafana/compose.yaml", []string{}},
	{"netdata reads the host", "netdata/compose.yaml", []string{
		"service netdata DG-CAP-001 compose.yaml:12", "service netdata DG-MNT-001 compose.yaml:19", "service netdata DG-MNT-001 compose.yaml:20",
		"service netdata DG-MNT-001 compose.yaml:21", "service netdata DG-MNT-001 compose.yaml:22", "service netdata DG-MNT-001 compose.yaml:23",
		"service netdata DG-SEC-002 compose.yaml:14"}},
	{"Jenkins with a privileged docker:dind", "jenkins-dind/docker-compose.yaml",
		[]string{"service docker DG-PRIV-001 docker-compose.yaml:22"}},
	{"a project volume binding the host root, mounted by name", "host-volume/compose.yaml", []string{
		"service app DG-STATE-002 compose.yaml:8",
		"volume hostroot DG-MNT-002 compose.yaml:11"}},
	{"extends, .env interpolation, use_api_socket, external volume", "ci-socket/compose.yaml", []string{
		"service shared needs volume external-cache",
		"service sidecar DG-MNT-001 compose.yaml:16",
		"service tests DG-MNT-001 compose.yaml:13"}},
}

func TestComposeProjects(t *testing.T) {
	c := newChecker(t)
	for _, tc := range composeProjects {
		t.Run(tc.name, func(t *testing.T) {
			items, err := compose.Items(context.Background(), []string{filepath.Join("testdata", "compose", tc.file)}, compose.Options{APIVersion: "1.47"})
			if err != nil {
				t.Fatal(err)
			}
			got := summary(c.Judge(context.Background(), items))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.file, diff)
			}
		})
	}
}

// Profiles are compose's: a service in a profile that is not enabled sends
// nothing.
func TestComposeProfileEnablesService(t *testing.T) {
	c := newChecker(t)
	items, err := compose.Items(context.Background(), []string{"testdata/compose/ci-socket/compose.yaml"}, compose.Options{Profiles: []string{"debug"}})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(c.Judge(context.Background(), items))
	want := "service debug DG-NS-001 compose.yaml:20"
	if !contains(got, want) {
		t.Errorf("with profile debug, want %q in %q", want, got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
