package check

import (
	"testing"

	"github.com/dood-guard/dood-guard/check/dockercli"
)

// Every flag the tables name is one of docker/cli's own flags of the
// command whose requests they locate.
func TestFlagTablesNameDockerFlags(t *testing.T) {
	for cmd, table := range map[string]map[string][]string{"run": containerFlags, "create": containerFlags, "service create": serviceFlags} {
		fs, err := dockercli.FlagSet(cmd)
		if err != nil {
			t.Fatal(err)
		}
		for field, flags := range table {
			for _, f := range flags {
				if f == "IMAGE" || f == "COMMAND" {
					continue
				}
				if fs.Lookup(f) == nil {
					t.Errorf("docker %s has no flag --%s (table entry %s)", cmd, f, field)
				}
			}
		}
	}
}

func TestFlagsFor(t *testing.T) {
	changed := map[string]bool{"mount": true}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"HostConfig.Privileged", []string{"--privileged"}},
		{"HostConfig.Binds[3]", []string{"--volume"}},
		{"HostConfig.Mounts[0].Source", []string{"--mount"}},
		{"HostConfig.CapAdd[1]", []string{"--cap-add"}},
		{"Image", []string{"IMAGE"}},
		{"Nowhere.At.All", []string{}},
	} {
		got := flagsFor(containerFlags, tc.path, changed)
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("flagsFor(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
