package normalize

import (
	"github.com/dood-guard/dood-guard/internal/astequal"
	"github.com/dood-guard/dood-guard/plugin/normalize/jsonterm"
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/open-policy-agent/opa/v1/ast"
)

// referenceBody is how the body used to be built: the typed value encoded
// with encoding/json, decoded back into plain values, redacted, and
// converted by ast.InterfaceToValue. canonical must build the same value.
func referenceBody(endpoint string, body any) (ast.Value, error) {
	var canon any
	switch b := body.(type) {
	case *decode.ContainerCreate:
		v, err := jsonterm.Plain(b.Config)
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		if m["HostConfig"], err = jsonterm.Plain(b.HostConfig); err != nil {
			return nil, err
		}
		if m["NetworkingConfig"], err = jsonterm.Plain(b.NetworkingConfig); err != nil {
			return nil, err
		}
		canon = m
	case *decode.ContainerStart:
		hc, err := jsonterm.Plain(b.HostConfig)
		if err != nil {
			return nil, err
		}
		canon = map[string]any{"HostConfig": hc}
	default:
		v, err := jsonterm.Plain(body)
		if err != nil {
			return nil, err
		}
		if m, ok := v.(map[string]any); ok {
			if drop := redacted(endpoint); drop != nil {
				for k := range m {
					if drop(k) {
						delete(m, k)
					}
				}
			}
		}
		canon = v
	}
	return ast.InterfaceToValue(canon)
}

func checkCanonical(t *testing.T, endpoint string, raw []byte) {
	t.Helper()
	body, err := decode.Body(endpoint, raw)
	if err != nil {
		return
	}
	want, werr := referenceBody(endpoint, body)
	// Three times: built, built again and shared (a text seen twice), then
	// taken from the shared values (jsonterm's shared.go).
	for i := range 3 {
		// canonical also derives facts, which may fail (an invalid bind spec)
		// while the body itself was built.
		got, facts, gerr := canonical(Request{Endpoint: endpoint, APIVersion: "1.41"}, body, Options{})
		checkFacts(t, endpoint, raw, facts)
		if (werr == nil) != (got != nil) {
			t.Fatalf("%s %q (%d): reference error %v, canonical error %v", endpoint, raw, i, werr, gerr)
		}
		if werr != nil {
			return
		}
		if !astequal.Strict(want, got) || want.Compare(got) != 0 {
			t.Fatalf("%s %q (%d):\nreference %v\ncanonical %v", endpoint, raw, i, want, got)
		}
	}
}

// checkFacts: the facts as the engine converts them (input.Value) are
// their encoding/json shape read by OPA: the typed facts hold no nil list
// that the conversion would read differently, and every member the json
// tags leave out is left out.
func checkFacts(t *testing.T, endpoint string, raw []byte, facts *input.Facts) {
	t.Helper()
	if facts == nil {
		return
	}
	got, err := input.Value(facts)
	if err != nil {
		t.Fatalf("%s %q: facts: %v", endpoint, raw, err)
	}
	plain, err := jsonterm.Plain(facts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ast.InterfaceToValue(plain)
	if err != nil {
		t.Fatal(err)
	}
	if want.Compare(got) != 0 {
		t.Fatalf("%s %q: facts\nas JSON %v\nValue   %v", endpoint, raw, want, got)
	}
}

var canonicalSeeds = []struct{ endpoint, body string }{
	{"container.create", `{"Image":"x","HostConfig":{"Privileged":true,"Binds":["/:/h"],"Tmpfs":{"/run":"rw"}},"Labels":{"a":"b","\u00e9":"<&>"}}`},
	{"container.create", `{"HostConfig":null,"Privileged":true,"CapAdd":["sys_admin"],"Cpuset":"0"}`},
	{"container.create", `{"Env":["A=\u2028\"\\"],"StopTimeout":10,"Healthcheck":{"Interval":1000000000},"ExposedPorts":{"80/tcp":{},"53/udp":{}}}`},
	{"container.create", `{"HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]},"Memory":1e3,"CpuShares":-1,"MemorySwappiness":0}}`},
	{"container.create", `{"NetworkingConfig":{"EndpointsConfig":{"n":{"IPAMConfig":{"IPv4Address":"10.0.0.2"},"Aliases":["a"],"MacAddress":"02:42:ac:11:00:02"}}}}`},
	{"container.start", `{"Binds":["/:/h"],"Privileged":true}`},
	{"container.update", `{"Memory":1024,"RestartPolicy":{"Name":"always"}}`},
	{"exec.create", `{"User":"1000","Cmd":["sh"],"Privileged":false,"Env":null}`},
	{"exec.start", `{"Detach":true,"Tty":false}`},
	{"volume.create", `{"Name":"v","Driver":"local","DriverOpts":{"o":"bind","device":"/"}}`},
	{"network.create", `{"Name":"n","Driver":"bridge","Options":{"x":"y"},"IPAM":{"Config":[{"Subnet":"10.1.0.0/16"}]}}`},
	{"network.connect", `{"Container":"c","EndpointConfig":{"Aliases":["x"]}}`},
	{"secret.create", `{"Name":"s","Data":"c2VjcmV0","Labels":{"a":"b"}}`},
	{"config.update", `{"Name":"c","Data":"eA=="}`},
	{"swarm.join", `{"RemoteAddrs":["1.2.3.4"],"JoinToken":"t"}`},
	{"swarm.unlock", `{"UnlockKey":"k"}`},
	{"image.push", `{"username":"u","password":"p"}`},
	{"service.create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"x","Mounts":[{"Type":"bind","Source":"/","Target":"/h"}],"Privileges":{"NoNewPrivileges":true}}},"Mode":{"Replicated":{"Replicas":2}}}`},
	{"plugin.set", `["DEBUG=1","x=\u00ff"]`},
	{"plugin.pull", `[{"Name":"network","Value":["host"]}]`},
	{"container.commit", `{"Cmd":["x"]}`},
	{"checkpoint.create", `{"CheckpointID":"c","Exit":true}`},
}

func TestCanonicalMatchesReference(t *testing.T) {
	for _, s := range canonicalSeeds {
		checkCanonical(t, s.endpoint, []byte(s.body))
	}
	// Every golden request of the guard, through the real router.
	files, err := goldenhttp.Files("../guard/testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		req, err := goldenhttp.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := route.Parse(req.RequestMethod, req.RequestURI)
		if err != nil || !decode.Has(m.Endpoint) {
			continue
		}
		checkCanonical(t, m.Endpoint, req.RequestBody)
	}
}

// FuzzCanonicalMatchesReference: for any body that decodes, the OPA value
// built from the encoded text is the value the map round trip gives.
func FuzzCanonicalMatchesReference(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add(s.endpoint, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, endpoint string, body []byte) {
		if !decode.Has(endpoint) {
			endpoint = "container.create"
		}
		checkCanonical(t, endpoint, body)
	})
}
