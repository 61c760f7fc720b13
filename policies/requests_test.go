package policies_test

import (
	"context"
	"github.com/dood-guard/dood-guard/internal/emptydaemon"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/hostpath"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/sirupsen/logrus"
)

// These tests send raw AuthZ requests through the whole pipeline (route,
// decode, normalise with host resolution, the embedded library): each rule
// is reached by the request shape an attacker sends, not only by a
// hand-written Rego input.

// hostRoot builds a small host under a temporary root: /run/docker.sock
// and /srv/ci/api.sock are sockets, /var/run -> /run, /work/link ->
// /var/run, /srv/ci/workspace is a directory.
func hostRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"run", "var", "srv/ci/workspace", "work", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"run/docker.sock", "srv/ci/api.sock"} {
		l, err := net.Listen("unix", filepath.Join(root, s))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	for link, target := range map[string]string{"var/run": "/run", "work/link": "/var/run", "srv/ci/workspace/etc": "../../../etc"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newGuard(t *testing.T, root string, o policy.Options) *guard.Guard {
	t.Helper()
	src, err := policy.LoadOptions(o)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(context.Background(), src.Modules, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := hostpath.New(root)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	g := guard.New(guard.Options{Normalize: normalize.Options{Resolve: r.Resolve}}, log)
	g.SetEngine(e)
	g.SetState(emptydaemon.Daemon{})
	return g
}

type req struct {
	name, method, uri, body string
	user                    string // TLS CN
	want                    string // "" allowed, else the rule IDs in the message, comma-separated
}

func (c req) authz() authorization.Request {
	r := authorization.Request{RequestMethod: c.method, RequestURI: c.uri, RequestHeaders: map[string]string{}}
	if c.body != "" {
		r.RequestHeaders["Content-Type"] = "application/json"
		r.RequestBody = []byte(c.body)
	}
	if c.user != "" {
		r.User, r.UserAuthNMethod = c.user, "TLS"
	}
	return r
}

func ids(msg string) string {
	var out []string
	for _, part := range strings.Split(msg, "; ") {
		if strings.HasPrefix(part, "[") {
			if i := strings.Index(part, "]"); i > 0 {
				out = append(out, part[1:i])
			}
		}
	}
	return strings.Join(out, ",")
}

func check(t *testing.T, g *guard.Guard, cases []req) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.method == "" {
				c.method = "POST"
			}
			out := g.Decide(context.Background(), c.authz())
			got := ""
			if !out.Response.Allow {
				got = ids(out.Response.Msg)
				if got == "" {
					got = "?" + out.Response.Msg
				}
			}
			if got != c.want {
				t.Errorf("%s %s: got %q, want %q\nmessage: %s", c.method, c.uri, got, c.want, out.Response.Msg)
			}
		})
	}
}

func create(hostConfig string) string {
	return `{"Image":"busybox","Cmd":["true"],"HostConfig":` + hostConfig + `}`
}

func service(spec string) string { return `{"Name":"s",` + spec + `}` }

func cs(containerSpec string) string {
	return service(`"TaskTemplate":{"ContainerSpec":{"Image":"busybox"` + containerSpec + `}}`)
}

func TestRequestsBaseline(t *testing.T) {
	g := newGuard(t, hostRoot(t), policy.Options{})
	check(t, g, []req{
		// benign
		{name: "cli create with workspace bind", uri: "/v1.41/containers/create", body: create(`{"Binds":["/srv/ci/workspace:/w","cache:/c"],"NetworkMode":"default"}`)},
		{name: "compose network join", uri: "/v1.41/containers/create", body: create(`{"NetworkMode":"container:3f1c2a"}`)},
		{name: "exec as non-root", uri: "/v1.41/containers/web/exec", body: `{"User":"1000","Cmd":["id"],"WorkingDir":"/app"}`},
		{name: "build with default network", uri: "/v1.41/build?t=app&networkmode=default"},
		{name: "buildkit session", uri: "/v1.41/session"},
		{name: "service with named network", uri: "/v1.41/services/create", body: service(`"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"Networks":[{"Target":"ci-net"}]}`)},
		{name: "plugin pull without privileges", uri: "/v1.41/plugins/pull?remote=x/y", body: `[]`},
		{name: "plugin list", method: "GET", uri: "/v1.41/plugins"},
		{name: "swarm init", uri: "/v1.41/swarm/init", body: `{"ListenAddr":"0.0.0.0:2377"}`},

		// host-aware paths
		{name: "symlink to /run", uri: "/v1.41/containers/create", body: create(`{"Binds":["/work/link:/h"]}`), want: "DG-MNT-001"},
		{name: "symlink to /etc in a workspace", uri: "/v1.41/containers/create", body: create(`{"Binds":["/srv/ci/workspace/etc:/h"]}`), want: "DG-MNT-001"},
		{name: "socket under another name", uri: "/v1.41/containers/create", body: create(`{"Binds":["/srv/ci/api.sock:/s"]}`), want: "DG-MNT-003"},
		{name: "docker socket through a symlink", uri: "/v1.41/containers/create", body: create(`{"Mounts":[{"Type":"bind","Source":"/work/link/docker.sock","Target":"/s"}]}`), want: "DG-MNT-001,DG-MNT-003"},
		{name: "CreateMountpoint", uri: "/v1.44/containers/create", body: create(`{"Mounts":[{"Type":"bind","Source":"/srv/ci/new","Target":"/n","BindOptions":{"CreateMountpoint":true}}]}`), want: "DG-MNT-004"},

		// containers
		{name: "pid join", uri: "/v1.41/containers/create", body: create(`{"PidMode":"container:agent"}`), want: "DG-NS-002"},
		{name: "runtime", uri: "/v1.41/containers/create", body: create(`{"Runtime":"sysbox-runc"}`), want: "DG-SEC-005"},
		{name: "cgroup parent", uri: "/v1.41/containers/create", body: create(`{"CgroupParent":"/"}`), want: "DG-CGRP-001"},
		{name: "gpus", uri: "/v1.41/containers/create", body: create(`{"DeviceRequests":[{"Count":-1,"Capabilities":[["gpu"]]}]}`), want: "DG-DEV-003"},
		{name: "workdir /proc/self/fd", uri: "/v1.41/containers/create", body: `{"Image":"busybox","WorkingDir":"/proc/self/fd/7"}`, want: "DG-WD-001"},
		{name: "exec workdir /proc/self/fd", uri: "/v1.41/containers/web/exec", body: `{"Cmd":["sh"],"WorkingDir":"/proc/self/fd/8"}`, want: "DG-WD-001"},
		{name: "legacy start with pid join", uri: "/v1.23/containers/web/start", body: `{"PidMode":"container:x"}`, want: "DG-NS-002"},

		// services
		{name: "service bind of /", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]`), want: "DG-MNT-001"},
		{name: "service local volume bind", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]`), want: "DG-MNT-002"},
		{name: "service cap add", uri: "/v1.41/services/create", body: cs(`,"CapabilityAdd":["sys_admin"]`), want: "DG-CAP-001"},
		{name: "service seccomp unconfined", uri: "/v1.41/services/x/update?version=3", body: cs(`,"Privileges":{"Seccomp":{"Mode":"unconfined"}}`), want: "DG-SEC-001"},
		{name: "service apparmor off", uri: "/v1.41/services/create", body: cs(`,"Privileges":{"AppArmor":{"Mode":"disabled"}}`), want: "DG-SEC-002"},
		{name: "service selinux off", uri: "/v1.41/services/create", body: cs(`,"Privileges":{"SELinuxContext":{"Disable":true}}`), want: "DG-SEC-003"},
		{name: "service host network", uri: "/v1.41/services/create", body: service(`"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"Networks":[{"Target":"host"}]}`), want: "DG-NS-001"},
		{name: "service host network, legacy field", uri: "/v1.41/services/create", body: service(`"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Networks":[{"Target":"host"}]`), want: "DG-NS-001"},
		{name: "service network id prefix", uri: "/v1.41/services/create", body: service(`"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"Networks":[{"Target":"q1w2"}]}`), want: "DG-NS-001"},
		{name: "service workdir", uri: "/v1.41/services/create", body: cs(`,"Dir":"/proc/self/fd/7"`), want: "DG-WD-001"},
		{name: "plugin service", uri: "/v1.41/services/create", body: service(`"TaskTemplate":{"Runtime":"plugin","PluginSpec":{"Name":"p","Remote":"evil/p"}}`), want: "DG-PLUGIN-001"},

		// builds and fetches
		{name: "build host network", uri: "/v1.41/build?networkmode=host", want: "DG-NS-001"},
		{name: "build cgroup parent", uri: "/v1.41/build?cgroupparent=%2F", want: "DG-CGRP-001"},
		{name: "build remote", uri: "/v1.41/build?remote=https%3A%2F%2F169.254.169.254%2F", want: "DG-BUILD-001"},
		{name: "import from url", uri: "/v1.41/images/create?fromSrc=http%3A%2F%2F10.0.0.1%2Fx&repo=x", want: "DG-BUILD-001"},

		// plugins
		{name: "plugin pull with privileges", uri: "/v1.41/plugins/pull?remote=evil%2Fp&name=p", body: `[{"Name":"mount","Description":"","Value":["/"]}]`, want: "DG-PLUGIN-001"},
		{name: "plugin upgrade with privileges", uri: "/v1.41/plugins/p/upgrade?remote=evil%2Fp2", body: `[{"Name":"capabilities","Value":["CAP_SYS_ADMIN"]}]`, want: "DG-PLUGIN-001"},
		{name: "plugin set", uri: "/v1.41/plugins/sshfs/set", body: `["mnt=/"]`, want: "DG-PLUGIN-003"},
		{name: "disable the guard", uri: "/v1.41/plugins/dood-guard:latest/disable", want: "DG-PLUGIN-004"},
		{name: "enable a plugin", uri: "/v1.41/plugins/sshfs/enable?timeout=0", want: "DG-PLUGIN-001"},
		{name: "remove the guard by id prefix", method: "DELETE", uri: "/v1.41/plugins/4f2a?force=1", want: "DG-PLUGIN-004"},
		{name: "upgrade the guard", uri: "/v1.41/plugins/dood-guard/upgrade?remote=evil%2Fdg", body: `[]`, want: "DG-PLUGIN-004"},

		// swarm
		{name: "join an outside manager", uri: "/v1.41/swarm/join", body: `{"RemoteAddrs":["203.0.113.9:2377"],"JoinToken":"SWMTKN-1-x"}`, want: "DG-SWARM-001"},
		{name: "read join tokens", method: "GET", uri: "/v1.41/swarm", want: "DG-SWARM-003"},

		// checkpoints
		{name: "checkpoint to /etc", uri: "/v1.41/containers/web/checkpoints", body: `{"CheckpointID":"c","CheckpointDir":"/etc/cron.d"}`, want: "DG-CKPT-001"},
		{name: "restore from a host dir", uri: "/v1.41/containers/web/start?checkpoint=c&checkpoint-dir=%2Fsrv", want: "DG-CKPT-001"},
	})
}

// plugin.create streams a tar the guard cannot read; a body-less check of
// the route alone must still refuse it.
func TestPluginCreateRefused(t *testing.T) {
	g := newGuard(t, hostRoot(t), policy.Options{})
	r := authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/plugins/create?name=evil", RequestHeaders: map[string]string{"Content-Type": "application/x-tar"}}
	out := g.Decide(context.Background(), r)
	if out.Response.Allow || ids(out.Response.Msg) != "DG-PLUGIN-002" {
		t.Errorf("plugin create: %+v", out.Response)
	}
}

func TestRequestsRestricted(t *testing.T) {
	g := newGuard(t, hostRoot(t), policy.Options{Profile: "restricted"})
	ok := create(`{"Binds":["cache:/c"]}`)
	check(t, g, []req{
		{name: "non-root create with a named volume", uri: "/v1.41/containers/create", body: `{"Image":"busybox","User":"1000:1000","HostConfig":{"Binds":["cache:/c"]}}`},
		{name: "non-root exec", uri: "/v1.41/containers/web/exec", body: `{"User":"1000","Cmd":["id"]}`},
		{name: "classic build", uri: "/v1.41/build?t=app"},
		{name: "root create", uri: "/v1.41/containers/create", body: ok, want: "DG-USER-001"},
		{name: "root exec", uri: "/v1.41/containers/web/exec", body: `{"User":"0","Cmd":["id"]}`, want: "DG-USER-001"},
		{name: "exec with the container's user", uri: "/v1.41/containers/web/exec", body: `{"Cmd":["id"]}`, want: "DG-USER-001"},
		{name: "workspace bind not listed", uri: "/v1.41/containers/create", body: `{"Image":"busybox","User":"1000","HostConfig":{"Binds":["/srv/ci/workspace:/w"]}}`, want: "DG-MNT-006"},
		{name: "volumes from", uri: "/v1.41/containers/create", body: `{"Image":"busybox","User":"1000","HostConfig":{"VolumesFrom":["data"]}}`, want: "DG-MNT-005"},
		{name: "benign capability", uri: "/v1.41/containers/create", body: `{"Image":"busybox","User":"1000","HostConfig":{"CapAdd":["NET_BIND_SERVICE"]}}`, want: "DG-CAP-002"},
		{name: "network join", uri: "/v1.41/containers/create", body: `{"Image":"busybox","User":"1000","HostConfig":{"NetworkMode":"container:db"}}`, want: "DG-NS-002"},
		{name: "buildkit session", uri: "/v1.41/session", want: "DG-BUILD-002"},
		{name: "buildkit grpc", uri: "/v1.41/grpc", want: "DG-BUILD-002"},
		{name: "buildkit build", uri: "/v1.41/build?version=2&remote=client-session", want: "DG-BUILD-002"},
		{name: "plugin enable", uri: "/v1.41/plugins/sshfs/enable?timeout=0", want: "DG-PLUGIN-001,DG-PLUGIN-005"},
		{name: "plugin disable", uri: "/v1.41/plugins/sshfs/disable", want: "DG-PLUGIN-005"},
		{name: "swarm init", uri: "/v1.41/swarm/init", body: `{"ListenAddr":"0.0.0.0:2377"}`, want: "DG-SWARM-002"},
		{name: "service create", uri: "/v1.41/services/create", body: cs(``), want: "DG-SWARM-002"},
	})
}

func TestRequestsWithData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.yaml")
	if err := os.WriteFile(data, []byte(`guard:
  exempt_users: [ops-admin]
  denied_endpoints: [container.export, image.load]
  allowed_images: [registry.corp/ci/*, busybox]
  allowed_bind_paths: [/srv/ci]
  allowed_sockets: [/srv/ci/api.sock]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, hostRoot(t), policy.Options{Data: data})
	check(t, g, []req{
		{name: "allowed image", uri: "/v1.41/containers/create", body: create(`{}`)},
		{name: "image not listed", uri: "/v1.41/containers/create", body: `{"Image":"evil/miner"}`, want: "DG-IMG-001"},
		{name: "pull not listed", uri: "/v1.41/images/create?fromImage=evil%2Fminer&tag=latest", want: "DG-IMG-001"},
		{name: "pull listed", uri: "/v1.41/images/create?fromImage=registry.corp%2Fci%2Fapp&tag=1"},
		{name: "denied endpoint", method: "GET", uri: "/v1.41/containers/web/export", want: "DG-API-001"},
		{name: "allowed socket", uri: "/v1.41/containers/create", body: create(`{"Binds":["/srv/ci/api.sock:/s"]}`)},
		{name: "symlink out of the allowed tree", uri: "/v1.41/containers/create", body: create(`{"Binds":["/srv/ci/workspace/etc:/e"]}`), want: "DG-MNT-001"},
		{name: "exempt admin", uri: "/v1.41/containers/create", body: create(`{"Privileged":true,"Binds":["/:/h"]}`), user: "ops-admin"},
		{name: "exempt admin disables the guard", uri: "/v1.41/plugins/dood-guard/disable", user: "ops-admin"},
		{name: "other identity", uri: "/v1.41/containers/create", body: create(`{"Privileged":true}`), user: "ci-runner", want: "DG-PRIV-001"},
	})
}

func TestRulesDirThroughThePipeline(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "acme.rego"), []byte(`package dood.rules.acme

violation contains {"id": "ACME-LBL-001", "msg": "label containers with an owner", "path": "Labels"} if {
	input.endpoint == "container.create"
	not input.body.Labels.owner
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, hostRoot(t), policy.Options{Rules: []string{dir}})
	check(t, g, []req{
		{name: "team rule", uri: "/v1.41/containers/create", body: create(`{}`), want: "ACME-LBL-001"},
		{name: "team rule and library", uri: "/v1.41/containers/create", body: create(`{"Privileged":true}`), want: "ACME-LBL-001,DG-PRIV-001"},
		{name: "team rule satisfied", uri: "/v1.41/containers/create", body: `{"Image":"busybox","Labels":{"owner":"ci"}}`},
	})
}
