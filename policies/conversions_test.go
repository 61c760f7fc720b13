package policies_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/policy"
)

// Requests whose meaning the daemon decides after reading them: swarm's
// conversion of service mounts (Type upper-cased, empty = bind; templates
// expanded on the node), a seccomp profile's rules, a User's uid. Each
// goes through the whole pipeline and must be judged as the daemon will
// execute it.

// seccompOpt is a SecurityOpt entry carrying profile as inline JSON.
func seccompOpt(profile string) string {
	b, _ := json.Marshal("seccomp=" + profile)
	return string(b)
}

const weakProfile = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","unshare","mount","keyctl"],"action":"SCMP_ACT_ALLOW"}]}`

func TestRequestsAsTheDaemonConvertsThem(t *testing.T) {
	g := newGuard(t, hostRoot(t), policy.Options{})
	svcProfile := func(profile string) string {
		b, _ := json.Marshal([]byte(profile)) // Profile is []byte: base64 in JSON
		return cs(`,"Privileges":{"Seccomp":{"Mode":"custom","Profile":` + string(b) + `}}`)
	}
	check(t, g, []req{
		// service mounts: the type swarm gives them
		{name: "service bind of / without a type", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Source":"/","Target":"/h"}]`), want: "DG-MNT-001"},
		{name: "service bind of / with an empty type", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"","Source":"/","Target":"/h"}]`), want: "DG-MNT-001"},
		{name: "service bind of / as BIND", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"BIND","Source":"/var/run/docker.sock","Target":"/s"}]`), want: "DG-MNT-001,DG-MNT-003"},
		{name: "service bind of / as b\u0131nd", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"b\u0131nd","Source":"/","Target":"/h"}]`), want: "DG-MNT-001"},
		{name: "service bind volume as Volume", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"Volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"bind","device":"/"}}}}]`), want: "DG-MNT-002"},
		{name: "service without a type binding a workspace", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Source":"/srv/ci/workspace","Target":"/w"}]`)},
		// bind sources as this host resolves them
		{name: "service bind through a symlink to /run", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Source":"/work/link","Target":"/h"}]`), want: "DG-MNT-001"},
		{name: "service bind of a socket under another name", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"bind","Source":"/srv/ci/api.sock","Target":"/s"}]`), want: "DG-MNT-003"},
		// templates the node expands
		{name: "service bind source template climbing to /", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"bind","Source":"/srv/{{\"../..\"}}","Target":"/h"}]`), want: "DG-SWARM-004"},
		{name: "service volume option template", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"{{\"bind\"}}","device":"/srv"}}}}]`), want: "DG-MNT-002,DG-SWARM-004"},
		{name: "service volume per task slot", uri: "/v1.41/services/create", body: cs(`,"Mounts":[{"Type":"volume","Source":"data-{{.Task.Slot}}","Target":"/data"}]`)},
		// seccomp profiles weaker than the default
		{name: "seccomp profile allowing unshare, mount, keyctl", uri: "/v1.41/containers/create", body: create(`{"SecurityOpt":[` + seccompOpt(weakProfile) + `]}`), want: "DG-SEC-001"},
		{name: "seccomp profile with no filter", uri: "/v1.41/containers/create", body: create(`{"SecurityOpt":[` + seccompOpt(`{}`) + `]}`), want: "DG-SEC-001"},
		{name: "seccomp profile keys in capitals", uri: "/v1.41/containers/create", body: create(`{"SecurityOpt":[` + seccompOpt(`{"DEFAULTACTION":"SCMP_ACT_ERRNO","SYSCALLS":[{"NAMES":["bpf"],"ACTION":"SCMP_ACT_ALLOW"}]}`) + `]}`), want: "DG-SEC-001"},
		{name: "seccomp profile narrower than the default", uri: "/v1.41/containers/create", body: create(`{"SecurityOpt":[` + seccompOpt(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`) + `]}`)},
		{name: "service seccomp profile allowing keyctl", uri: "/v1.44/services/create", body: svcProfile(weakProfile), want: "DG-SEC-001"},
		{name: "service seccomp profile narrower than the default", uri: "/v1.44/services/create", body: svcProfile(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`)},
	})
}

func TestVettedSeccompProfile(t *testing.T) {
	sum := sha256.Sum256([]byte(weakProfile))
	data := filepath.Join(t.TempDir(), "data.yaml")
	if err := os.WriteFile(data, []byte("guard:\n  allowed_seccomp_profiles: [sha256:"+hex.EncodeToString(sum[:])+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, hostRoot(t), policy.Options{Data: data})
	check(t, g, []req{
		{name: "vetted profile", uri: "/v1.41/containers/create", body: create(`{"SecurityOpt":[` + seccompOpt(weakProfile) + `]}`)},
		{name: "same profile, one more syscall", uri: "/v1.41/containers/create", body: create(`{"SecurityOpt":[` + seccompOpt(weakProfile[:len(weakProfile)-3]+`},{"names":["bpf"],"action":"SCMP_ACT_ALLOW"}]}`) + `]}`), want: "DG-SEC-001"},
	})
}

func TestRootUserSpellingsRestricted(t *testing.T) {
	g := newGuard(t, hostRoot(t), policy.Options{Profile: "restricted", Data: allowWorkspace(t)})
	var cases []req
	for _, u := range []string{"0", "+0", "-0", "000", "0:0", "0:anything", "-0:-0", ":1000", "root", "root:root", "", "toor", "nobody", "-1"} {
		body := `{"Image":"busybox","User":` + strconv.Quote(u) + `}`
		cases = append(cases,
			req{name: "create as " + strconv.Quote(u), uri: "/v1.41/containers/create", body: body, want: "DG-USER-001"},
			req{name: "exec as " + strconv.Quote(u), uri: "/v1.41/containers/web/exec", body: `{"Cmd":["id"],"User":` + strconv.Quote(u) + `}`, want: "DG-USER-001"})
	}
	for _, u := range []string{"1000", "+1000", "01000:0", "1000:root"} {
		cases = append(cases,
			req{name: "create as " + strconv.Quote(u), uri: "/v1.41/containers/create", body: `{"Image":"busybox","User":` + strconv.Quote(u) + `}`},
			req{name: "exec as " + strconv.Quote(u), uri: "/v1.41/containers/web/exec", body: `{"Cmd":["id"],"User":` + strconv.Quote(u) + `}`})
	}
	check(t, g, cases)
}

func allowWorkspace(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.yaml")
	if err := os.WriteFile(p, []byte("guard:\n  allowed_bind_paths: [/srv/ci/workspace]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
