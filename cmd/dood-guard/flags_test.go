package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalWith runs `dood-guard eval` on a create request binding source.
func evalWith(t *testing.T, source string, args ...string) (int, string) {
	t.Helper()
	req := `{"RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestHeaders":{"Content-Type":"application/json"},"RequestBody":"` +
		b64(`{"Image":"busybox","HostConfig":{"Binds":["`+source+`:/h"]}}`) + `"}`
	var out, errb bytes.Buffer
	code := run(append([]string{"eval"}, args...), strings.NewReader(req), &out, &errb)
	return code, out.String() + errb.String()
}

// --host-root makes bind sources resolve on the host the guard sees there:
// a symlink to /var/run and a socket under another name are refused.
func TestHostRootFlag(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"run", "var", "srv/ci"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/run", filepath.Join(root, "var/run")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/var/run", filepath.Join(root, "srv/ci/link")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(root, "srv/ci/api.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	code, out := evalWith(t, "/srv/ci/link", "--host-root", root)
	if code != 3 || !strings.Contains(out, "DG-MNT-001") || !strings.Contains(out, "it resolves to /run on the host") {
		t.Errorf("symlink to /var/run under --host-root: exit %d\n%s", code, out)
	}
	code, out = evalWith(t, "/srv/ci/api.sock", "--host-root", root)
	if code != 3 || !strings.Contains(out, "DG-MNT-003") {
		t.Errorf("socket under --host-root: exit %d\n%s", code, out)
	}
	code, out = evalWith(t, "/srv/ci", "--host-root", root)
	if code != 0 {
		t.Errorf("plain directory under --host-root: exit %d\n%s", code, out)
	}
	code, out = evalWith(t, "/srv/ci", "--host-root", filepath.Join(root, "nope"))
	if code != 2 || !strings.Contains(out, "host-root") {
		t.Errorf("missing --host-root: exit %d\n%s", code, out)
	}
}

func TestProfileAndRulesFlags(t *testing.T) {
	req := `{"RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestHeaders":{"Content-Type":"application/json"},"RequestBody":"` +
		b64(`{"Image":"busybox","Cmd":["id"]}`) + `"}`
	eval := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"eval"}, args...), strings.NewReader(req), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := eval(); code != 0 {
		t.Errorf("baseline create as the image's user: exit %d\n%s", code, out)
	}
	if code, out := eval("--profile", "restricted"); code != 3 || !strings.Contains(out, "DG-USER-001") {
		t.Errorf("restricted create as the image's user: exit %d\n%s", code, out)
	}
	if code, out := eval("--profile", "paranoid"); code != 2 || !strings.Contains(out, `profile "paranoid"`) {
		t.Errorf("bad profile: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "no_exec.rego"), []byte(`package dood.rules.acme

violation contains {"id": "ACME-EXEC-001", "msg": "no containers on this host", "path": ""} if input.endpoint == "container.create"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := eval("--rules", dir); code != 3 || !strings.Contains(out, "ACME-EXEC-001") {
		t.Errorf("--rules: exit %d\n%s", code, out)
	}
}
