package normalize

import (
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/google/go-cmp/cmp"
)

func createFacts(t *testing.T, body, apiVersion string, opts Options) map[string]any {
	t.Helper()
	v, err := decode.Body("container.create", []byte(body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	in, err := plainInput(Request{Phase: "request", Endpoint: "container.create", APIVersion: apiVersion}, v, opts)
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return in["facts"].(map[string]any)
}

type mountView struct{ Type, Source, Driver, Path string }

func mounts(facts map[string]any) []mountView {
	var out []mountView
	for _, m := range facts["mounts"].([]any) {
		mm := m.(map[string]any)
		out = append(out, mountView{mm["type"].(string), mm["source"].(string), mm["driver"].(string), mm["path"].(string)})
	}
	return out
}

func TestMountsAreSeenAsTheHostMountsThem(t *testing.T) {
	cases := []struct {
		name, hostConfig string
		want             []mountView
	}{
		{"bind of root", `{"Binds":["/:/host"]}`, []mountView{{"bind", "/", "", "HostConfig.Binds[0]"}}},
		{"dot-dot is cleaned", `{"Binds":["/etc/../etc:/e:ro"]}`, []mountView{{"bind", "/etc", "", "HostConfig.Binds[0]"}}},
		{"double slash is cleaned", `{"Binds":["//var//run/:/r"]}`, []mountView{{"bind", "/var/run", "", "HostConfig.Binds[0]"}}},
		{"trailing dot is cleaned", `{"Binds":["/var/run/docker.sock/.:/s"]}`, []mountView{{"bind", "/var/run/docker.sock", "", "HostConfig.Binds[0]"}}},
		{"named volume in binds", `{"Binds":["cache:/cache"]}`, []mountView{{"volume", "cache", "local", "HostConfig.Binds[0]"}}},
		{"named volume with volume driver", `{"Binds":["cache:/cache"],"VolumeDriver":"nfs"}`, []mountView{{"volume", "cache", "nfs", "HostConfig.Binds[0]"}}},
		{"bind mount in Mounts", `{"Mounts":[{"Type":"bind","Source":"/proc/1/root/../..","Target":"/p"}]}`, []mountView{{"bind", "/proc", "", "HostConfig.Mounts[0].Source"}}},
		{"local volume with driver options", `{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"o":"bind","device":"/"}}}}]}`,
			[]mountView{{"volume", "", "local", "HostConfig.Mounts[0]"}}},
		{"tmpfs", `{"Tmpfs":{"/run":"rw"}}`, []mountView{{"tmpfs", "", "", "HostConfig.Tmpfs"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mounts(createFacts(t, `{"Image":"x","HostConfig":`+tc.hostConfig+`}`, "1.41", Options{}))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvalidBindSpecsFailClosed(t *testing.T) {
	for _, b := range []string{"/a:/b:/c:ro", ":/b", "/a:ro", "/a:/b:bogus", "/a:/b:ro,rw"} {
		v, err := decode.Body("container.create", []byte(`{"HostConfig":{"Binds":["`+b+`"]}}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plainInput(Request{Endpoint: "container.create"}, v, Options{}); err == nil || !strings.Contains(err.Error(), "HostConfig.Binds[0]") {
			t.Errorf("bind %q: error = %v, want one naming HostConfig.Binds[0]", b, err)
		}
	}
}

func TestCapabilitiesAreNormalisedAsTheDaemonDoes(t *testing.T) {
	f := createFacts(t, `{"HostConfig":{"CapAdd":["sys_admin","CAP_SYS_PTRACE","Cap_Net_Admin","all","\u017fys_module"],"CapDrop":["ALL"]}}`, "1.41", Options{})
	var got []string
	for _, c := range f["capabilities"].(map[string]any)["add"].([]any) {
		got = append(got, c.(map[string]any)["value"].(string))
	}
	want := []string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_NET_ADMIN", "ALL", "CAP_SYS_MODULE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("added capabilities (-want +got):\n%s", diff)
	}
}

func TestSecurityOptionsAreParsedAsTheDaemonDoes(t *testing.T) {
	f := createFacts(t, `{"HostConfig":{"SecurityOpt":["seccomp=unconfined","apparmor:unconfined","disable","label=type:spc_t","no-new-privileges","bogus"]}}`, "1.41", Options{})
	type kv struct{ Key, Value string }
	var got []kv
	for _, o := range f["security_options"].([]any) {
		m := o.(map[string]any)
		got = append(got, kv{m["key"].(string), m["value"].(string)})
	}
	want := []kv{{"seccomp", "unconfined"}, {"apparmor", "unconfined"}, {"label", "disable"}, {"label", "type:spc_t"}, {"no-new-privileges", "true"}, {"", "bogus"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("security options (-want +got):\n%s", diff)
	}
}

func TestNamespaceDefaultsDependOnAPIVersion(t *testing.T) {
	cases := []struct {
		name, version string
		opts          Options
		want          string
	}{
		{"old client on cgroup v1 host gets host cgroupns", "1.40", Options{CgroupV1: true}, "host"},
		{"old client on cgroup v2 host keeps the default", "1.40", Options{}, ""},
		{"current client on cgroup v1 host keeps the default", "1.41", Options{CgroupV1: true}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := createFacts(t, `{"HostConfig":{}}`, tc.version, tc.opts)
			got := f["namespaces"].(map[string]any)["cgroup"].(map[string]any)["mode"]
			if got != tc.want {
				t.Errorf("cgroup namespace = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMaskedPathsKeepNullDistinctFromEmpty(t *testing.T) {
	for body, want := range map[string]bool{`{"MaskedPaths":null}`: false, `{"MaskedPaths":[]}`: true, `{}`: false} {
		f := createFacts(t, `{"HostConfig":`+body+`}`, "1.41", Options{})
		if got := f["masked_paths"].(map[string]any)["set"]; got != want {
			t.Errorf("%s: masked_paths.set = %v, want %v", body, got, want)
		}
	}
}

func TestSecretsNeverReachThePolicy(t *testing.T) {
	v, err := decode.Body("secret.create", []byte(`{"Name":"s","Data":"c2VjcmV0"}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "secret.create"}, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in["body"].(map[string]any)["Data"]; ok {
		t.Error("secret Data reached the policy input")
	}
}
