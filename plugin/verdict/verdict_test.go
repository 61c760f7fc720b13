package verdict

import (
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/google/go-cmp/cmp"
)

func TestDenyMessages(t *testing.T) {
	cases := []struct {
		name string
		vs   []Violation
		want authorization.Response
	}{
		{"one violation with a path", []Violation{New("DG-PRIV-001", "privileged containers are not allowed", "HostConfig.Privileged")},
			authorization.Response{Msg: "[DG-PRIV-001] privileged containers are not allowed (HostConfig.Privileged)"}},
		{"several violations", []Violation{New("A-1", "a", "P"), New("B-2", "b", "")},
			authorization.Response{Msg: "[A-1] a (P); [B-2] b"}},
		{"no violation still says why", nil,
			authorization.Response{Msg: "[DG-POLICY-002] denied by policy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Deny(tc.vs...)); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenyNeverSetsErr(t *testing.T) {
	if r := Deny(New("X", "y", "")); r.Allow || r.Err != "" {
		t.Errorf("Deny = %+v: dockerd lets Allow:true+Err through and reads Err as a fault", r)
	}
}
