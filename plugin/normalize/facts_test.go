package normalize

import (
	"testing"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/google/go-cmp/cmp"
)

func TestBindsCarryTheirHostResolution(t *testing.T) {
	resolve := func(src string) (string, string) {
		switch src {
		case "/work/link":
			return "/run", "dir"
		case "/srv/ci/d.sock":
			return "/run/docker.sock", "socket"
		}
		return src, "missing"
	}
	body := `{"HostConfig":{"Binds":["/work/link:/a","cache:/c"],"Mounts":[
		{"Type":"bind","Source":"/srv/ci/d.sock","Target":"/s"},
		{"Type":"bind","Source":"/srv/ci/new","Target":"/n","BindOptions":{"CreateMountpoint":true}}]}}`
	type bind struct {
		Source, Host, Kind string
		Create             bool
	}
	read := func(facts map[string]any) []bind {
		var out []bind
		for _, m := range facts["mounts"].([]any) {
			mm := m.(map[string]any)
			if mm["type"] != "bind" {
				if _, ok := mm["host_source"]; ok {
					t.Errorf("%s mount has host_source", mm["type"])
				}
				continue
			}
			out = append(out, bind{mm["source"].(string), mm["host_source"].(string), mm["host_kind"].(string), mm["create_mountpoint"].(bool)})
		}
		return out
	}
	got := read(createFacts(t, body, "1.41", Options{Resolve: resolve}))
	want := []bind{
		{"/work/link", "/run", "dir", false},
		{"/srv/ci/d.sock", "/run/docker.sock", "socket", false},
		{"/srv/ci/new", "/srv/ci/new", "missing", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("binds with a resolver (-want +got):\n%s", diff)
	}
	got = read(createFacts(t, body, "1.41", Options{}))
	want = []bind{
		{"/work/link", "/work/link", "unknown", false},
		{"/srv/ci/d.sock", "/srv/ci/d.sock", "unknown", false},
		{"/srv/ci/new", "/srv/ci/new", "unknown", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("binds without a resolver (-want +got):\n%s", diff)
	}
}

func TestDeviceRequestsAreFacts(t *testing.T) {
	f := createFacts(t, `{"HostConfig":{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]}}`, "1.41", Options{})
	want := []any{map[string]any{
		"driver": "nvidia", "count": -1, "device_ids": []any{}, "capabilities": []any{[]any{"gpu"}},
		"cdi_devices": []any{}, "path": "HostConfig.DeviceRequests[0]",
	}}
	if diff := cmp.Diff(want, f["device_requests"]); diff != "" {
		t.Errorf("device_requests (-want +got):\n%s", diff)
	}
}

func TestExecFacts(t *testing.T) {
	v, err := decode.Body("exec.create", []byte(`{"User":"1000","WorkingDir":"/proc/self/fd/7","Privileged":false}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "exec.create"}, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"privileged":  map[string]any{"value": false, "path": "Privileged"},
		"user":        map[string]any{"value": "1000", "path": "User", "uid": 1000, "name": ""},
		"working_dir": map[string]any{"value": "/proc/self/fd/7", "path": "WorkingDir"},
	}
	if diff := cmp.Diff(want, in["facts"]); diff != "" {
		t.Errorf("exec facts (-want +got):\n%s", diff)
	}
}

// A service's tasks get containers the daemon creates without asking the
// plugin: the facts must show what the swarm executor will give them.
func TestServiceFacts(t *testing.T) {
	body := `{"Name":"s","Networks":[{"Target":"legacy-net"}],"TaskTemplate":{
		"ContainerSpec":{"Image":"busybox","User":"0","Dir":"/proc/self/fd/7",
			"Mounts":[{"Type":"bind","Source":"//var/run/../run","Target":"/r","BindOptions":{"CreateMountpoint":true}},
			          {"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"o":"bind","device":"/"}}}}],
			"CapabilityAdd":["sys_admin"],"CapabilityDrop":["net_raw"],
			"Privileges":{"SELinuxContext":{"Disable":true,"Type":"spc_t"},"Seccomp":{"Mode":"custom","Profile":"eyJkZWZhdWx0QWN0aW9uIjoiU0NNUF9BQ1RfQUxMT1cifQ=="},
			              "AppArmor":{"Mode":"disabled"},"NoNewPrivileges":true}},
		"Networks":[{"Target":"host"}]}}`
	v, err := decode.Body("service.create", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	// Bind sources resolve on this host, where a single-node swarm runs
	// the tasks.
	in, err := plainInput(Request{Endpoint: "service.create"}, v, Options{Resolve: func(src string) (string, string) {
		if src != "/var/run" {
			t.Errorf("resolved %q, want only the bind source /var/run", src)
		}
		return "/run", "dir"
	}})
	if err != nil {
		t.Fatal(err)
	}
	f := in["facts"].(map[string]any)
	const cs = "TaskTemplate.ContainerSpec"
	want := map[string]any{
		"mounts": []any{
			map[string]any{"type": "bind", "source": "/var/run", "target": "/r", "read_only": false, "driver": "", "driver_options": map[string]any{},
				"path": cs + ".Mounts[0].Source", "host_source": "/run", "host_kind": "dir", "create_mountpoint": true, "read_only_non_recursive": false, "templated": []any{}},
			map[string]any{"type": "volume", "source": "v", "target": "/v", "read_only": false, "driver": "local",
				"driver_options": map[string]any{"o": "bind", "device": "/"}, "path": cs + ".Mounts[1]", "subpath": "", "templated": []any{}},
		},
		"capabilities": map[string]any{
			"add":  []any{map[string]any{"value": "CAP_SYS_ADMIN", "path": cs + ".CapabilityAdd[0]"}},
			"drop": []any{map[string]any{"value": "CAP_NET_RAW", "path": cs + ".CapabilityDrop[0]"}},
		},
		"security_options": []any{
			map[string]any{"key": "label", "value": "disable", "raw": "label=disable", "path": cs + ".Privileges.SELinuxContext.Disable"},
			map[string]any{"key": "label", "value": "type:spc_t", "raw": "label=type:spc_t", "path": cs + ".Privileges.SELinuxContext.Type"},
			map[string]any{"key": "seccomp", "value": `{"defaultAction":"SCMP_ACT_ALLOW"}`, "raw": `seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`, "path": cs + ".Privileges.Seccomp.Profile"},
			map[string]any{"key": "apparmor", "value": "unconfined", "raw": "apparmor=unconfined", "path": cs + ".Privileges.AppArmor.Mode"},
			map[string]any{"key": "no-new-privileges", "value": "true", "raw": "no-new-privileges=true", "path": cs + ".Privileges.NoNewPrivileges"},
		},
		"networks": []any{
			map[string]any{"target": "host", "path": "TaskTemplate.Networks[0].Target"},
			map[string]any{"target": "legacy-net", "path": "Networks[0].Target"},
		},
		"image": map[string]any{"value": "busybox", "path": cs + ".Image"},
		"user":  map[string]any{"value": "0", "path": cs + ".User", "uid": 0, "name": ""},
		"seccomp": map[string]any{"mode": "custom", "path": cs + ".Privileges.Seccomp.Profile", "digest": "sha256:1e91071efd3cec07b4e3e6cb9e0405055162ec9674f62869fe7f1564d5dce24f",
			"error": "", "unconfined": false, "default_action": "SCMP_ACT_ALLOW", "default_allows": true, "allows_refused_syscalls": []any{}},
		"working_dir": map[string]any{"value": "/proc/self/fd/7", "path": cs + ".Dir"},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("service facts (-want +got):\n%s", diff)
	}
}

func TestPluginServiceFacts(t *testing.T) {
	v, err := decode.Body("service.create", []byte(`{"TaskTemplate":{"Runtime":"plugin","PluginSpec":{"name":"p","remote":"evil/p","privileges":[{"name":"mount","value":["/"]}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "service.create"}, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "p", "remote": "evil/p", "privileges": []any{map[string]any{"name": "mount", "value": []any{"/"}}}, "path": "TaskTemplate.PluginSpec"}
	if diff := cmp.Diff(want, in["facts"].(map[string]any)["plugin"]); diff != "" {
		t.Errorf("plugin fact (-want +got):\n%s", diff)
	}
	v, _ = decode.Body("service.update", []byte(`{"TaskTemplate":{"Runtime":"plugin"}}`))
	in, _ = plainInput(Request{Endpoint: "service.update"}, v, Options{})
	if _, ok := in["facts"].(map[string]any)["plugin"]; !ok {
		t.Error("a plugin runtime without a PluginSpec has no plugin fact")
	}
}
