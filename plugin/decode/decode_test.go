package decode

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/volume"
)

// hostView is the part of a decoded create body the escape rules look at.
type hostView struct {
	Privileged  bool
	Binds       []string
	SecurityOpt []string
	CapAdd      []string
	NetworkMode string
	Legacy      bool
	Image       string
}

func viewCreate(t *testing.T, body string) hostView {
	t.Helper()
	v, err := Body("container.create", []byte(body))
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	c := v.(*ContainerCreate)
	hv := hostView{Legacy: c.LegacyHostConfig, Image: c.Config.Image}
	if hc := c.HostConfig; hc != nil {
		hv.Privileged, hv.Binds, hv.SecurityOpt, hv.CapAdd, hv.NetworkMode = hc.Privileged, hc.Binds, hc.SecurityOpt, hc.CapAdd, string(hc.NetworkMode)
	}
	return hv
}

func TestContainerCreateDecodesAsDockerd(t *testing.T) {
	cases := []struct {
		name string
		body string
		want hostView
	}{
		{"canonical privileged", `{"Image":"x","HostConfig":{"Privileged":true}}`,
			hostView{Image: "x", Privileged: true, NetworkMode: "default"}},
		{"lower-case keys", `{"image":"x","hostconfig":{"privileged":true}}`,
			hostView{Image: "x", Privileged: true, NetworkMode: "default"}},
		{"mixed-case keys", `{"HOSTCONFIG":{"PrIvIlEgEd":true}}`,
			hostView{Privileged: true, NetworkMode: "default"}},
		{"escaped key", `{"HostConfig":{"\u0050rivileged":true}}`,
			hostView{Privileged: true, NetworkMode: "default"}},
		{"unicode folding long s", `{"HostConfig":{"\u017fecurityOpt":["seccomp=unconfined"]}}`,
			hostView{SecurityOpt: []string{"seccomp=unconfined"}, NetworkMode: "default"}},
		{"unicode folding kelvin sign", `{"HostConfig":{"Binds":["/:/h"],"Net\u212Aork":"x"},"\u212Aey":1}`,
			hostView{Binds: []string{"/:/h"}, NetworkMode: "default"}},
		{"duplicate scalar key last wins", `{"HostConfig":{"Privileged":false,"Privileged":true}}`,
			hostView{Privileged: true, NetworkMode: "default"}},
		{"duplicate object merges", `{"HostConfig":{"Binds":["/:/h"]},"HostConfig":{"Privileged":false}}`,
			hostView{Binds: []string{"/:/h"}, NetworkMode: "default"}},
		{"case-variant object merges", `{"HostConfig":{"Binds":["/:/h"]},"hostconfig":{"Privileged":true}}`,
			hostView{Privileged: true, Binds: []string{"/:/h"}, NetworkMode: "default"}},
		{"legacy top-level fields without HostConfig", `{"Image":"x","Privileged":true,"Binds":["/:/h"]}`,
			hostView{Image: "x", Privileged: true, Binds: []string{"/:/h"}, NetworkMode: "default", Legacy: true}},
		{"legacy top-level fields with null HostConfig", `{"Image":"x","HostConfig":null,"CapAdd":["SYS_ADMIN"]}`,
			hostView{Image: "x", CapAdd: []string{"SYS_ADMIN"}, NetworkMode: "default", Legacy: true}},
		{"nested HostConfig wins over top-level fields", `{"Privileged":true,"HostConfig":{"NetworkMode":"bridge"}}`,
			hostView{NetworkMode: "bridge"}},
		{"trailing data is never read", `{"Image":"x"}{"HostConfig":{"Privileged":true}}`,
			hostView{Image: "x"}},
		{"trailing garbage is never read", `{"Image":"x","HostConfig":{}} garbage`,
			hostView{Image: "x", NetworkMode: "default"}},
		{"no HostConfig at all", `{"Image":"x"}`,
			hostView{Image: "x"}},
		{"cli explicit zero values", `{"Image":"x","HostConfig":{"Privileged":false,"CapAdd":null,"Binds":null,"NetworkMode":"default"}}`,
			hostView{Image: "x", NetworkMode: "default"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, viewCreate(t, tc.body)); diff != "" {
				t.Errorf("decoded view mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodiesThatDockerdRefusesDoNotDecode(t *testing.T) {
	cases := []struct{ name, endpoint, body, wantErr string }{
		{"empty body", "container.create", ``, "empty body"},
		{"whitespace only", "container.create", "  \n", "empty body"},
		{"not JSON", "container.create", `Privileged=true`, "invalid character"},
		{"wrong type for a field", "container.create", `{"HostConfig":{"Privileged":"yes"}}`, "cannot unmarshal"},
		{"truncated object", "exec.create", `{"Privileged":true`, "unexpected EOF"},
		{"array where object expected", "volume.create", `[1]`, "cannot unmarshal"},
		{"unknown endpoint", "container.frobnicate", `{}`, "no body decoder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Body(tc.endpoint, []byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Body(%s, %q) error = %v, want one containing %q", tc.endpoint, tc.body, err, tc.wantErr)
			}
		})
	}
}

func TestStartBodyReadsBothShapes(t *testing.T) {
	cases := []struct {
		name, body string
		want       container.HostConfig
	}{
		{"top-level as old clients sent it", `{"Privileged":true}`, container.HostConfig{Privileged: true, NetworkMode: "default"}},
		{"nested HostConfig", `{"HostConfig":{"Binds":["/:/h"]}}`, container.HostConfig{Binds: []string{"/:/h"}, NetworkMode: "default"}},
		{"lower-case", `{"binds":["/etc:/e"]}`, container.HostConfig{Binds: []string{"/etc:/e"}, NetworkMode: "default"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Body("container.start", []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			got := v.(*ContainerStart).HostConfig
			if diff := cmp.Diff(tc.want.Privileged, got.Privileged); diff != "" {
				t.Errorf("Privileged (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.Binds, got.Binds); diff != "" {
				t.Errorf("Binds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOtherEndpointsDecodeIntoMobyTypes(t *testing.T) {
	v, err := Body("volume.create", []byte(`{"name":"v","driver":"local","driveropts":{"o":"bind","device":"/"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &volume.CreateRequest{Name: "v", Driver: "local", DriverOpts: map[string]string{"o": "bind", "device": "/"}}
	if diff := cmp.Diff(want, v.(*volume.CreateRequest)); diff != "" {
		t.Errorf("volume create (-want +got):\n%s", diff)
	}
	e, err := Body("exec.create", []byte(`{"privileged":true,"cmd":["sh"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !e.(*container.ExecCreateRequest).Privileged {
		t.Error("lower-case privileged exec was not seen as privileged")
	}
}

func TestMediaTypes(t *testing.T) {
	cases := []struct {
		ct           string
		json, isForm bool
	}{
		{"application/json", true, false},
		{"application/json; charset=utf-8", true, false},
		{"Application/JSON", true, false},
		{"text/plain", false, false},
		{"", false, false},
		{"application/x-www-form-urlencoded", false, true},
		{"application/x-www-form-urlencoded; charset=utf-8", false, true},
		{"multipart/form-data; boundary=x", false, true},
		{"application/x-tar", false, false},
	}
	for _, tc := range cases {
		if got := IsJSON(tc.ct); got != tc.json {
			t.Errorf("IsJSON(%q) = %v, want %v", tc.ct, got, tc.json)
		}
		if got := IsForm(tc.ct); got != tc.isForm {
			t.Errorf("IsForm(%q) = %v, want %v", tc.ct, got, tc.isForm)
		}
	}
}
