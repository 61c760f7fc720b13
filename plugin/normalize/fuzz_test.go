package normalize

import (
	"encoding/json"
	"path"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/decode"
)

// FuzzCreateFacts feeds hostile create bodies through decode and normalize.
// Besides never panicking, the facts must show everything dockerd's own
// decoder reads from the same body as granted: privilege, every absolute
// bind source (cleaned), every added capability, the host pid namespace.
func FuzzCreateFacts(f *testing.F) {
	for _, s := range []string{
		`{"Image":"x","HostConfig":{"Privileged":true}}`,
		`{"hostconfig":{"binds":["/:/h","/etc/../etc:/e:ro"]}}`,
		`{"HostConfig":null,"Privileged":true,"CapAdd":["sys_admin"]}`,
		`{"HostConfig":{"\u017fecurityOpt":["seccomp=unconfined"],"PidMode":"host"}}`,
		`{"HostConfig":{"Binds":["/:/h"]},"HostConfig":{"Privileged":false}}`,
		`{"HostConfig":{"Mounts":[{"Type":"bind","Source":"//var/run/docker.sock"}]}}`,
		`{"Image":"x"}{"HostConfig":{"Privileged":true}}`,
		`{"Privileged":true,"HostConfig":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := decode.Body("container.create", body)
		if err != nil {
			return // the guard denies what it cannot decode (DG-BODY-002)
		}
		in, err := plainInput(Request{Endpoint: "container.create", APIVersion: "1.41"}, v, Options{})
		if err != nil {
			return // only invalid bind specs fail, and the guard denies those
		}
		// The canonical input must survive a JSON round trip: it is what a
		// decision log records and what a policy author reproduces.
		if _, err := json.Marshal(in); err != nil {
			t.Fatalf("input does not encode: %v", err)
		}
		hc, ok := dockerdDecode(t, body)
		if !ok {
			return // the daemon refuses it
		}
		facts := in["facts"].(map[string]any)
		if hc.Privileged && facts["privileged"].(map[string]any)["value"] != true {
			t.Fatalf("privileged HostConfig not shown as privileged: %s", body)
		}
		sources := map[string]bool{}
		for _, m := range facts["mounts"].([]any) {
			mm := m.(map[string]any)
			if mm["type"] == "bind" {
				sources[mm["source"].(string)] = true
			}
		}
		for _, b := range hc.Binds {
			// "/dst" alone is an anonymous volume, not a host path.
			src, _, hasTarget := cut(b)
			if hasTarget && path.IsAbs(src) && !sources[path.Clean(src)] {
				t.Fatalf("bind %q not in facts %v", b, sources)
			}
		}
		for _, m := range hc.Mounts {
			if m.Type == "bind" && !sources[path.Clean(m.Source)] {
				t.Fatalf("bind mount %q not in facts %v", m.Source, sources)
			}
		}
		if got := len(facts["capabilities"].(map[string]any)["add"].([]any)); got != len(hc.CapAdd) {
			t.Fatalf("%d added capabilities in facts, %d in HostConfig", got, len(hc.CapAdd))
		}
		if hc.PidMode == "host" && facts["namespaces"].(map[string]any)["pid"].(map[string]any)["mode"] != "host" {
			t.Fatalf("host pid namespace not shown")
		}
	})
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
