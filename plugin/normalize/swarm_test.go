package normalize

import (
	"testing"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/google/go-cmp/cmp"
)

func serviceFactsOf(t *testing.T, body string) map[string]any {
	t.Helper()
	v, err := decode.Body("service.create", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "service.create"}, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return in["facts"].(map[string]any)
}

// Swarm reads a service mount's Type upper-cased and an empty Type as BIND:
// every spelling must come out as the mount the task's container gets.
func TestServiceMountTypeAsSwarmConvertsIt(t *testing.T) {
	cases := []struct{ name, typ, want string }{
		{"attack/no-type-is-bind", `"Source":"/","Target":"/h"`, "bind"},
		{"attack/empty-type-is-bind", `"Type":"","Source":"/","Target":"/h"`, "bind"},
		{"attack/upper-case-BIND", `"Type":"BIND","Source":"/","Target":"/h"`, "bind"},
		{"attack/mixed-case-Bind", `"Type":"Bind","Source":"/","Target":"/h"`, "bind"},
		{"attack/dotless-i-upper-cases-to-BIND", `"Type":"b\u0131nd","Source":"/","Target":"/h"`, "bind"},
		{"attack/upper-case-VOLUME", `"Type":"VOLUME","Source":"v","Target":"/v"`, "volume"},
		{"attack/long-s-upper-cases-to-TMPFS", `"Type":"tmpf\u017f","Target":"/t"`, "tmpfs"},
		{"benign/lower-case-volume", `"Type":"volume","Source":"v","Target":"/v"`, "volume"},
		{"refused-by-daemon/unknown-type-kept", `"Type":"image","Source":"x","Target":"/i"`, "image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := serviceFactsOf(t, `{"TaskTemplate":{"ContainerSpec":{"Image":"x","Mounts":[{`+c.typ+`}]}}}`)
			m := f["mounts"].([]any)[0].(map[string]any)
			if m["type"] != c.want {
				t.Errorf("type = %v, want %s", m["type"], c.want)
			}
			if c.want == "bind" && (m["source"] != "/" || m["host_kind"] != "unknown") {
				t.Errorf("bind fact = %v", m)
			}
		})
	}
}

// Container creates keep the Type as written: the daemon's mount parser
// matches it exactly and refuses anything else.
func TestContainerMountTypeIsNotFolded(t *testing.T) {
	f := createFacts(t, `{"HostConfig":{"Mounts":[{"Type":"BIND","Source":"/","Target":"/h"}]}}`, "1.41", Options{})
	if got := f["mounts"].([]any)[0].(map[string]any)["type"]; got != "BIND" {
		t.Errorf("container mount type = %v, want BIND as written", got)
	}
}

func TestServiceMountTemplates(t *testing.T) {
	f := serviceFactsOf(t, `{"TaskTemplate":{"ContainerSpec":{"Image":"x","Mounts":[
		{"Type":"bind","Source":"/srv/{{\"../..\"}}","Target":"/h"},
		{"Type":"volume","Source":"data-{{.Task.Slot}}","Target":"/d{{.Task.Slot}}","VolumeOptions":{"Labels":{"l":"{{.Node.ID}}"},"DriverConfig":{"Options":{"o":"{{\"bind\"}}","type":"none"}}}},
		{"Type":"bind","Source":"/srv/ci/ws","Target":"/w"}]}}}`)
	var got [][]any
	for _, m := range f["mounts"].([]any) {
		got = append(got, m.(map[string]any)["templated"].([]any))
	}
	want := [][]any{
		{"Source"},
		{"Source", "Target", "VolumeOptions.DriverConfig.Options.o", "VolumeOptions.Labels.l"},
		{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("templated fields (-want +got):\n%s", diff)
	}
}

// A templated Source names no path yet: it is not resolved.
func TestTemplatedServiceSourceIsNotResolved(t *testing.T) {
	v, err := decode.Body("service.create", []byte(`{"TaskTemplate":{"ContainerSpec":{"Image":"x","Mounts":[{"Source":"/srv/{{.Task.Slot}}","Target":"/h"},{"Source":"/srv/link","Target":"/l"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "service.create"}, v, Options{Resolve: func(src string) (string, string) {
		if src != "/srv/link" {
			t.Errorf("resolved %q", src)
		}
		return "/run", "socket"
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]any
	for _, m := range in["facts"].(map[string]any)["mounts"].([]any) {
		mm := m.(map[string]any)
		got = append(got, [2]any{mm["host_source"], mm["host_kind"]})
	}
	if diff := cmp.Diff([][2]any{{"/srv/{{.Task.Slot}}", "unknown"}, {"/run", "socket"}}, got); diff != "" {
		t.Errorf("host resolution (-want +got):\n%s", diff)
	}
}

func TestServiceCredentialSpecOption(t *testing.T) {
	f := serviceFactsOf(t, `{"TaskTemplate":{"ContainerSpec":{"Image":"x","Privileges":{"CredentialSpec":{"File":"spec.json"},"NoNewPrivileges":true}}}}`)
	want := []any{
		map[string]any{"key": "credentialspec", "value": "file://spec.json", "raw": "credentialspec=file://spec.json", "path": "TaskTemplate.ContainerSpec.Privileges.CredentialSpec.File"},
		map[string]any{"key": "no-new-privileges", "value": "true", "raw": "no-new-privileges=true", "path": "TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges"},
	}
	if diff := cmp.Diff(want, f["security_options"]); diff != "" {
		t.Errorf("security options (-want +got):\n%s", diff)
	}
}
