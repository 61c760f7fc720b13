package normalize

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every spelling of uid 0 the runtime accepts resolves to uid 0; names stay
// names (the image's /etc/passwd decides them).
func TestUserFactResolvesAsTheRuntime(t *testing.T) {
	type got struct {
		UID  any
		Name string
	}
	cases := []struct {
		value string
		want  got
	}{
		{"0", got{0, ""}},
		{"+0", got{0, ""}},
		{"-0", got{0, ""}},
		{"000", got{0, ""}},
		{"0:0", got{0, ""}},
		{"0:anything", got{0, ""}},
		{"00:1000:extra", got{0, ""}},
		{":1000", got{0, ""}}, // no user part: uid 0
		{"root", got{nil, "root"}},
		{"root:root", got{nil, "root"}},
		{"toor:0", got{nil, "toor"}},
		{"1000", got{1000, ""}},
		{"+1000:1000", got{1000, ""}},
		{"01000", got{1000, ""}},
		{"1000:0", got{1000, ""}},
		{"-1", got{nil, ""}},         // out of range: the runtime refuses it
		{"2147483648", got{nil, ""}}, // above the largest uid
		{" 0", got{nil, " 0"}},       // Atoi refuses the space: a name no passwd has
		{"", got{nil, ""}},           // the image's user
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) {
			f := userFact(c.value, "User")
			var uid any
			if f.UID != nil {
				uid = *f.UID
			}
			if diff := cmp.Diff(c.want, got{uid, f.Name}); diff != "" {
				t.Errorf("userFact(%q) (-want +got):\n%s", c.value, diff)
			}
		})
	}
}

// The daemon keeps the last seccomp option; the fact describes that one.
func TestSeccompFactLastOptionWins(t *testing.T) {
	cases := []struct{ name, opts, mode string }{
		{"none", `[]`, "default"},
		{"unconfined", `["seccomp=unconfined"]`, "unconfined"},
		{"unconfined-then-builtin", `["seccomp=unconfined","seccomp=builtin"]`, "default"},
		{"builtin-then-unconfined-legacy-colon", `["seccomp=builtin","seccomp:unconfined"]`, "unconfined"},
		{"custom", `["seccomp={}"]`, "custom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := createFacts(t, `{"HostConfig":{"SecurityOpt":`+c.opts+`}}`, "1.41", Options{})
			if got := f["seccomp"].(map[string]any)["mode"]; got != c.mode {
				t.Errorf("mode = %v, want %s", got, c.mode)
			}
		})
	}
	f := createFacts(t, `{"HostConfig":{"CapAdd":["sys_admin"],"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"mount\",\"keyctl\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"]}}`, "1.41", Options{})
	// With CAP_SYS_ADMIN added the default profile allows mount too.
	if diff := cmp.Diff([]any{"keyctl"}, f["seccomp"].(map[string]any)["allows_refused_syscalls"]); diff != "" {
		t.Errorf("allows_refused_syscalls with CAP_SYS_ADMIN (-want +got):\n%s", diff)
	}
}

// FuzzUserFact: a User value is hostile input; the fact must never claim a
// uid and a name at once, and a uid must be one the runtime accepts.
func FuzzUserFact(f *testing.F) {
	for _, s := range []string{"0", "+0", "-0:0", ":1000", "root:root", "1000", "99999999999999999999", "\x00:0", "0\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fact := userFact(raw, "User")
		if uid := fact.UID; uid != nil && (fact.Name != "" || *uid < 0 || *uid > 1<<31-1) {
			t.Fatalf("userFact(%q) = %+v, uid %d", raw, fact, *uid)
		}
	})
}
