package normalize

import (
	"testing"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/google/go-cmp/cmp"
)

// versionedFacts normalizes a container create sent with (given) or
// without a /vX.Y prefix.
func versionedFacts(t *testing.T, body, version string, given bool) map[string]any {
	t.Helper()
	v, err := decode.Body("container.create", []byte(body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	in, err := plainInput(Request{Phase: "request", Endpoint: "container.create", APIVersion: version, APIVersionGiven: given}, v, Options{})
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return in["facts"].(map[string]any)
}

// Annotations (API 1.43) reach the OCI spec the runtime reads: they are facts
// whenever the daemon copies them, and only an explicit older version drops
// them (as the daemon's create handler does).
func TestAnnotationsFollowTheDaemonsVersionGate(t *testing.T) {
	body := `{"HostConfig":{"Annotations":{"org.systemd.property.ExecStartPre":"x","com.example/team":"ci"}}}`
	both := []any{
		map[string]any{"key": "com.example/team", "name": "com.example/team", "value": "ci", "endpoint": false, "path": `HostConfig.Annotations["com.example/team"]`},
		map[string]any{"key": "org.systemd.property.ExecStartPre", "name": "org.systemd.property.ExecStartPre", "value": "x", "endpoint": false, "path": `HostConfig.Annotations["org.systemd.property.ExecStartPre"]`},
	}
	for _, c := range []struct {
		name    string
		version string
		given   bool
		want    []any
	}{
		{"no-prefix-daemon-default", "1.41", false, both},
		{"v1.43", "1.43", true, both},
		{"v1.56", "1.56", true, both},
		{"v01.043-compares-as-1.43", "01.043", true, both},
		{"v1.42-ignored", "1.42", true, []any{}},
		{"v1.41-ignored", "1.41", true, []any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := versionedFacts(t, body, c.version, c.given)["annotations"]
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWritableCgroupsSpellings(t *testing.T) {
	f := versionedFacts(t, `{"HostConfig":{"SecurityOpt":["writable-cgroups","writable-cgroups=T","writable-cgroups:1","writable-cgroups=false"]}}`, "1.56", true)
	var got [][2]string
	for _, o := range f["security_options"].([]any) {
		m := o.(map[string]any)
		got = append(got, [2]string{m["key"].(string), m["value"].(string)})
	}
	want := [][2]string{{"writable-cgroups", "true"}, {"writable-cgroups", "T"}, {"writable-cgroups", "1"}, {"writable-cgroups", "false"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("security options (-want +got):\n%s", diff)
	}
}

// Endpoint sysctls are written by the daemon in the container's network
// namespace: each entry is a fact, from create and from network connect.
func TestEndpointSysctls(t *testing.T) {
	f := versionedFacts(t, `{"HostConfig":{"Sysctls":{"net.ipv4.ip_forward":"1"}},"NetworkingConfig":{"EndpointsConfig":{"ci":{"DriverOpts":{
		"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.forwarding=1,net.ipv6.conf.IFNAME.disable_ipv6=0"}}}}}`, "1.56", true)
	const p = `NetworkingConfig.EndpointsConfig["ci"].DriverOpts["com.docker.network.endpoint.sysctls"]`
	want := []any{
		map[string]any{"key": "net.ipv4.ip_forward", "name": "net.ipv4.ip_forward", "value": "1", "endpoint": false, "path": `HostConfig.Sysctls["net.ipv4.ip_forward"]`},
		map[string]any{"name": "net.ipv4.conf.IFNAME.forwarding", "value": "1", "raw": "net.ipv4.conf.IFNAME.forwarding=1", "endpoint": true, "network": "ci", "path": p},
		map[string]any{"name": "net.ipv6.conf.IFNAME.disable_ipv6", "value": "0", "raw": "net.ipv6.conf.IFNAME.disable_ipv6=0", "endpoint": true, "network": "ci", "path": p},
	}
	if diff := cmp.Diff(want, f["sysctls"]); diff != "" {
		t.Errorf("create sysctls (-want +got):\n%s", diff)
	}

	v, err := decode.Body("network.connect", []byte(`{"Container":"c","EndpointConfig":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.route_localnet=1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "network.connect"}, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = []any{map[string]any{"name": "net.ipv4.conf.IFNAME.route_localnet", "value": "1", "raw": "net.ipv4.conf.IFNAME.route_localnet=1", "endpoint": true, "network": "",
		"path": `EndpointConfig.DriverOpts["com.docker.network.endpoint.sysctls"]`}}
	if diff := cmp.Diff(want, in["facts"].(map[string]any)["sysctls"]); diff != "" {
		t.Errorf("connect sysctls (-want +got):\n%s", diff)
	}
}

// A CDI name reaches the CDI driver from the "cdi" driver, and (Docker
// 29.2) from a GPU driver when the ID holds "=".
func TestCDIDevices(t *testing.T) {
	f := versionedFacts(t, `{"HostConfig":{"DeviceRequests":[
		{"Driver":"cdi","DeviceIDs":["vendor.com/class=x","plain"]},
		{"Driver":"nvidia","DeviceIDs":["0","evil.com/host=root"],"Capabilities":[["gpu"]]},
		{"Driver":"","Count":-1,"Capabilities":[["gpu"]]}]}}`, "1.56", true)
	var got [][]any
	for _, r := range f["device_requests"].([]any) {
		got = append(got, r.(map[string]any)["cdi_devices"].([]any))
	}
	want := [][]any{{"vendor.com/class=x", "plain"}, {"evil.com/host=root"}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cdi_devices (-want +got):\n%s", diff)
	}
}

// Read-only binds below API 1.44 are non-recursive whatever the options say;
// from 1.44 only ReadOnlyNonRecursive makes them so. Volume and image mounts
// carry their Subpath.
func TestNewerMountOptions(t *testing.T) {
	body := `{"HostConfig":{"Binds":["/srv/a:/a:ro"],"Mounts":[
		{"Type":"bind","Source":"/srv/b","Target":"/b","ReadOnly":true},
		{"Type":"bind","Source":"/srv/c","Target":"/c","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}},
		{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"Subpath":"etc"}},
		{"Type":"image","Source":"busybox","Target":"/i","ImageOptions":{"Subpath":"bin"}}]}}`
	type view struct {
		Type         string
		NonRecursive any
		Subpath      any
		ReadOnly     bool
	}
	read := func(f map[string]any) []view {
		var out []view
		for _, m := range f["mounts"].([]any) {
			mm := m.(map[string]any)
			out = append(out, view{mm["type"].(string), mm["read_only_non_recursive"], mm["subpath"], mm["read_only"].(bool)})
		}
		return out
	}
	for _, c := range []struct {
		version string
		want    []view
	}{
		{"1.44", []view{{"bind", false, nil, true}, {"bind", false, nil, true}, {"bind", true, nil, true}, {"volume", nil, "etc", false}, {"image", nil, "bin", true}}},
		{"1.43", []view{{"bind", true, nil, true}, {"bind", true, nil, true}, {"bind", true, nil, true}, {"volume", nil, "etc", false}, {"image", nil, "bin", true}}},
	} {
		if diff := cmp.Diff(c.want, read(versionedFacts(t, body, c.version, true))); diff != "" {
			t.Errorf("v%s mounts (-want +got):\n%s", c.version, diff)
		}
	}
}

// A legacy start body (API < 1.24) keeps its annotations: whether the
// daemons that read it apply the create handler's 1.43 gate is not known.
func TestLegacyStartKeepsAnnotations(t *testing.T) {
	v, err := decode.Body("container.start", []byte(`{"HostConfig":{"Annotations":{"run.oci.handler":"krun"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := plainInput(Request{Endpoint: "container.start", APIVersion: "1.23", APIVersionGiven: true}, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := in["facts"].(map[string]any)["annotations"].([]any); len(got) != 1 {
		t.Errorf("annotations at a legacy start: %v, want the one given", got)
	}
}
