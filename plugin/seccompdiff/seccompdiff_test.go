package seccompdiff

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/profiles/seccomp"
)

// defaultText is Docker's default profile as a client would send it.
func defaultText(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(seccomp.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func allow(names ...string) string {
	return `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["` + strings.Join(names, `","`) + `"],"action":"SCMP_ACT_ALLOW"}]}`
}

// The clone rule of the default profile: no namespace flags.
const cloneNoNamespaces = `{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]}`

func TestAnalyze(t *testing.T) {
	defaults := EffectiveCapabilities(nil, nil)
	type want struct {
		Unconfined, DefaultAllows, Error bool
		AllowsRefused                    []string
	}
	cases := []struct {
		name    string
		profile string
		caps    []string
		want    want
	}{
		{name: "benign/the-default-profile-itself", profile: defaultText(t)},
		{name: "benign/narrower-than-default", profile: allow("read", "write", "exit_group", "futex")},
		{name: "benign/copied-clone-args-rule", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[` + cloneNoNamespaces + `]}`},
		{name: "benign/mount-with-cap-sys-admin-as-the-default-allows", profile: allow("mount", "unshare"), caps: EffectiveCapabilities([]string{"CAP_SYS_ADMIN"}, nil)},
		{name: "benign/refusing-rules-refuse", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["keyctl","bpf"],"action":"SCMP_ACT_KILL_PROCESS"}]}`},
		{name: "attack/no-default-action-no-syscalls-is-no-filter", profile: `{}`, want: want{Unconfined: true}},
		{name: "attack/only-architectures-is-no-filter", profile: `{"architectures":["SCMP_ARCH_X86_64"]}`, want: want{Unconfined: true}},
		{name: "attack/default-allow", profile: `{"defaultAction":"SCMP_ACT_ALLOW"}`, want: want{DefaultAllows: true}},
		{name: "attack/default-log", profile: `{"defaultAction":"SCMP_ACT_LOG","syscalls":[]}`, want: want{DefaultAllows: true}},
		{name: "attack/default-trace", profile: `{"defaultAction":"SCMP_ACT_TRACE"}`, want: want{DefaultAllows: true}},
		{name: "attack/errno-default-allowing-escape-syscalls", profile: allow("read", "unshare", "mount", "keyctl", "bpf", "open_by_handle_at", "init_module", "finit_module"),
			want: want{AllowsRefused: []string{"bpf", "finit_module", "init_module", "keyctl", "mount", "open_by_handle_at", "unshare"}}},
		{name: "attack/upper-case-keys-as-encoding-json-reads-them", profile: `{"DEFAULTACTION":"SCMP_ACT_ERRNO","SYSCALLS":[{"NAMES":["keyctl"],"ACTION":"SCMP_ACT_ALLOW"}]}`,
			want: want{AllowsRefused: []string{"keyctl"}}},
		{name: "attack/legacy-name-field", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"add_key","action":"SCMP_ACT_ALLOW"}]}`,
			want: want{AllowsRefused: []string{"add_key"}}},
		{name: "attack/trace-action-lets-a-tracer-decide", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_TRACE"}]}`,
			want: want{AllowsRefused: []string{"unshare"}}},
		{name: "attack/clone-with-namespace-flags-allowed", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":268435456,"op":"SCMP_CMP_MASKED_EQ","valueTwo":268435456}]}]}`,
			want: want{AllowsRefused: []string{"clone"}}},
		{name: "attack/clone3-which-the-default-refuses-with-ENOSYS", profile: allow("clone3"), want: want{AllowsRefused: []string{"clone3"}}},
		{name: "attack/capability-conditioned-rule-applies-with-the-capability", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}`,
			caps: EffectiveCapabilities([]string{"CAP_SYS_ADMIN"}, nil), want: want{AllowsRefused: []string{"keyctl"}}},
		{name: "benign/capability-conditioned-rule-without-the-capability", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}`},
		{name: "broken/not-json", profile: `{"defaultAction":`, want: want{Error: true}},
		{name: "broken/null-rule-crashes-the-reader", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[null]}`, want: want{Error: true}},
		{name: "broken/name-and-names", profile: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}`, want: want{Error: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			caps := c.caps
			if caps == nil {
				caps = defaults
			}
			r := Analyze(c.profile, caps)
			got := want{Unconfined: r.Unconfined, DefaultAllows: r.DefaultAllows, Error: r.Error != "", AllowsRefused: r.AllowsRefused}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Analyze (-want +got):\n%s\nerror: %s", diff, r.Error)
			}
			if !strings.HasPrefix(r.Digest, "sha256:") || len(r.Digest) != 71 {
				t.Errorf("digest %q", r.Digest)
			}
		})
	}
}

func TestDigestIsOfTheTextAsSent(t *testing.T) {
	// sha256 of the 2 bytes "{}"
	if got := Analyze(`{}`, nil).Digest; got != "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Errorf("digest = %s", got)
	}
}

func TestEffectiveCapabilities(t *testing.T) {
	cases := []struct {
		name      string
		add, drop []string
		has, lack []string
	}{
		{name: "defaults", has: []string{"CAP_CHOWN", "CAP_KILL"}, lack: []string{"CAP_SYS_ADMIN"}},
		{name: "add-one", add: []string{"CAP_SYS_PTRACE"}, has: []string{"CAP_SYS_PTRACE", "CAP_CHOWN"}},
		{name: "drop-one", drop: []string{"CAP_CHOWN"}, lack: []string{"CAP_CHOWN"}, has: []string{"CAP_KILL"}},
		{name: "add-all-drop-one", add: []string{"ALL"}, drop: []string{"CAP_BPF"}, has: []string{"CAP_SYS_ADMIN", "CAP_SYS_MODULE"}, lack: []string{"CAP_BPF"}},
		{name: "drop-all-add-one", add: []string{"CAP_NET_ADMIN"}, drop: []string{"ALL"}, has: []string{"CAP_NET_ADMIN"}, lack: []string{"CAP_CHOWN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := EffectiveCapabilities(c.add, c.drop)
			for _, h := range c.has {
				if !contains(got, h) {
					t.Errorf("%v lacks %s", got, h)
				}
			}
			for _, l := range c.lack {
				if contains(got, l) {
					t.Errorf("%v has %s", got, l)
				}
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

func BenchmarkAnalyzeDefaultProfile(b *testing.B) {
	text, _ := json.Marshal(seccomp.DefaultProfile())
	caps := EffectiveCapabilities(nil, nil)
	for b.Loop() {
		Analyze(string(text), caps)
	}
}

// FuzzAnalyze: a profile is hostile input; Analyze must not panic, and what
// it reports must hang together.
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"defaultAction":"SCMP_ACT_ALLOW"}`, allow("read", "keyctl"), cloneNoNamespaces,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[null]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"99.1","caps":["CAP_SYS_ADMIN"]},"excludes":{"arches":["amd64"]}}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64"}],"syscalls":[{"names":["bpf"],"action":"SCMP_ACT_NOTIFY","args":[{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}]}`,
	} {
		f.Add(s)
	}
	caps := EffectiveCapabilities(nil, nil)
	f.Fuzz(func(t *testing.T, profile string) {
		r := Analyze(profile, caps)
		if !strings.HasPrefix(r.Digest, "sha256:") {
			t.Fatalf("digest %q", r.Digest)
		}
		if r.Error != "" && (r.Unconfined || r.DefaultAllows || len(r.AllowsRefused) > 0) {
			t.Fatalf("a profile that does not load has findings: %+v", r)
		}
		for i := 1; i < len(r.AllowsRefused); i++ {
			if r.AllowsRefused[i-1] >= r.AllowsRefused[i] {
				t.Fatalf("AllowsRefused not sorted and unique: %v", r.AllowsRefused)
			}
		}
	})
}
