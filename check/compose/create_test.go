package compose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// load writes a compose file and returns the create bodies of its services
// by service name, and the volume and network creates by object.
func load(t *testing.T, yaml string, files map[string]string) (map[string]container.CreateRequest, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	items, err := Items(context.Background(), []string{f}, Options{ProjectName: "p", APIVersion: "1.47"})
	if err != nil {
		t.Fatal(err)
	}
	bodies, others := map[string]container.CreateRequest{}, map[string]string{}
	for _, it := range items {
		name, ok := strings.CutPrefix(it.Object, "service ")
		if !ok {
			others[it.Object] = string(it.Body)
			continue
		}
		var b container.CreateRequest
		if err := json.Unmarshal(it.Body, &b); err != nil {
			t.Fatal(err)
		}
		bodies[name] = b
	}
	return bodies, others
}

// How docker compose (v5.6.0, pkg/compose/create.go) sends volumes: short
// binds and project volumes as Binds strings, anything needing the Mount
// API in Mounts, one mount per target with the later winning, file
// secrets and configs as read-only binds.
func TestVolumesAsComposeSendsThem(t *testing.T) {
	bodies, _ := load(t, `
services:
  app:
    image: busybox
    volumes:
      - /srv/a:/a
      - data:/data:ro
      - type: bind
        source: /srv/b
        target: /b
        bind:
          create_host_path: false
      - type: volume
        source: data
        target: /nocopy
        volume:
          nocopy: true
      - type: tmpfs
        target: /tmp
      - /srv/first:/same
      - /srv/second:/same
    secrets: [token]
    configs:
      - source: conf
        target: /etc/app.conf
volumes:
  data:
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    file: ./app.conf
`, map[string]string{"token.txt": "x", "app.conf": "y"})
	hc := bodies["app"].HostConfig
	wantBinds := []string{"/srv/a:/a:rw", "p_data:/data:ro", "/srv/second:/same:rw"}
	if diff := cmp.Diff(wantBinds, hc.Binds); diff != "" {
		t.Errorf("Binds (-want +got):\n%s", diff)
	}
	var got []string
	for _, m := range hc.Mounts {
		got = append(got, string(m.Type)+" "+filepathBase(m.Source)+" "+m.Target)
	}
	want := []string{"bind /srv/b /b", "volume p_data /nocopy", "tmpfs  /tmp", "bind token.txt /run/secrets/token", "bind app.conf /etc/app.conf"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Mounts (-want +got):\n%s", diff)
	}
	for _, m := range hc.Mounts {
		if m.Type == mount.TypeBind && strings.HasPrefix(m.Target, "/run/secrets") && !m.ReadOnly {
			t.Errorf("secret mount %v is not read-only", m)
		}
	}
}

func filepathBase(p string) string {
	if strings.HasPrefix(p, "/srv/") || p == "" || !strings.Contains(p, "/") {
		return p
	}
	return filepath.Base(p)
}

// The security-relevant service keys reach the fields the daemon reads.
func TestServiceFieldsAsComposeSendsThem(t *testing.T) {
	bodies, others := load(t, `
services:
  db:
    image: postgres
  app:
    image: busybox
    privileged: true
    user: "0"
    cap_add: [SYS_ADMIN]
    cap_drop: [ALL]
    pid: host
    ipc: "service:db"
    network_mode: "service:db"
    volumes_from: [db, "container:other:ro"]
    userns_mode: host
    uts: host
    cgroup: host
    cgroup_parent: /system.slice
    devices: ["/dev/fuse:/dev/fuse:rwm", "nvidia.com/gpu=all"]
    device_cgroup_rules: ["c 10:229 rwm"]
    security_opt: ["seccomp=unconfined", "systempaths=unconfined", "label:disable"]
    sysctls: {net.ipv4.ip_forward: "1"}
    runtime: runc
    use_api_socket: true
  web:
    image: nginx
    networks: [front, back]
    volumes: [hostroot:/host]
networks:
  front:
  back:
    internal: true
volumes:
  hostroot:
    driver_opts: {type: none, o: bind, device: /}
`, nil)
	hc := bodies["app"].HostConfig
	type fields struct {
		Privileged                           bool
		CapAdd, CapDrop, VolumesFrom         []string
		Pid, Ipc, Net, Userns, Uts, Cgroupns string
		CgroupParent                         string
		Devices                              []container.DeviceMapping
		CDI                                  []string
		Rules, SecurityOpt                   []string
		Masked                               []string
		Sysctls                              map[string]string
		Runtime, User                        string
		Binds                                []string
	}
	var cdi []string
	for _, r := range hc.DeviceRequests {
		if r.Driver == "cdi" {
			cdi = append(cdi, r.DeviceIDs...)
		}
	}
	got := fields{hc.Privileged, hc.CapAdd, hc.CapDrop, hc.VolumesFrom, string(hc.PidMode), string(hc.IpcMode), string(hc.NetworkMode),
		string(hc.UsernsMode), string(hc.UTSMode), string(hc.CgroupnsMode), hc.CgroupParent, hc.Devices, cdi, hc.DeviceCgroupRules,
		hc.SecurityOpt, hc.MaskedPaths, hc.Sysctls, hc.Runtime, bodies["app"].User, hc.Binds}
	want := fields{true, []string{"SYS_ADMIN"}, []string{"ALL"}, []string{"p-db-1", "other"}, "host", "container:p-db-1", "container:p-db-1",
		"host", "host", "host", "/system.slice", []container.DeviceMapping{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"}},
		[]string{"nvidia.com/gpu=all"}, []string{"c 10:229 rwm"}, []string{"seccomp=unconfined", "label:disable"}, []string{},
		map[string]string{"net.ipv4.ip_forward": "1"}, "runc", "0", []string{"/var/run/docker.sock:/var/run/docker.sock:rw"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	web := bodies["web"]
	// Equal priorities: by name, as compose-go's NetworksByPriority orders them.
	if web.HostConfig.NetworkMode != "p_back" || len(web.NetworkingConfig.EndpointsConfig) != 2 {
		t.Errorf("web networks: mode %q, endpoints %v", web.HostConfig.NetworkMode, web.NetworkingConfig.EndpointsConfig)
	}
	if !strings.Contains(others["volume hostroot"], `"device":"/"`) || !strings.Contains(others["network back"], `"Internal":true`) {
		t.Errorf("volume and network creates: %v", others)
	}
}

// A compose file in a pull request is hostile input: whatever compose-go
// accepts maps to requests without a panic.
func FuzzItems(f *testing.F) {
	for _, p := range []string{"portainer/docker-compose.yaml", "netdata/compose.yaml", "ci-socket/compose.yaml", "nginx-golang-postgres/compose.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "compose", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("services:\n  a:\n    image: x\n    ulimits:\n      nofile:\n    network_mode: service:b\n    volumes_from: [\"container:\"]\n  b:\n    image: y\n    security_opt: [\"seccomp=/nonexistent\"]\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(file, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = Items(context.Background(), []string{file}, Options{ProjectName: "fuzz"})
	})
}
