package hostpath

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// fakeHost builds a small host tree under a temporary root:
//
//	/run/docker.sock          a unix socket
//	/var/run -> /run          absolute symlink, as on Debian
//	/srv/ci/workspace/        a directory, with a file
//	/srv/ci/workspace/up -> ../../..        relative symlink to /
//	/srv/ci/workspace/sock -> /var/run/docker.sock
//	/srv/ci/workspace/escape -> ../../../../../../etc   clamped at the root
//	/srv/ci/workspace/loop -> loop
//	/work/link -> /var/run
func fakeHost(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("run")
	mk("var")
	mk("etc")
	mk("srv/ci/workspace")
	mk("work")
	if err := os.WriteFile(filepath.Join(root, "srv/ci/workspace/README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(root, "run/docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ln("/run", "var/run")
	ln("../../..", "srv/ci/workspace/up")
	ln("/var/run/docker.sock", "srv/ci/workspace/sock")
	ln("../../../../../../etc", "srv/ci/workspace/escape")
	ln("loop", "srv/ci/workspace/loop")
	ln("/var/run", "work/link")
	return root
}

func TestResolve(t *testing.T) {
	root := fakeHost(t)
	r, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		source, host, kind string
	}{
		{"/", "/", Dir},
		{"/srv/ci/workspace", "/srv/ci/workspace", Dir},
		{"/srv/ci/workspace/README", "/srv/ci/workspace/README", File},
		{"/run/docker.sock", "/run/docker.sock", Socket},
		{"/var/run/docker.sock", "/run/docker.sock", Socket},
		{"/var/run", "/run", Dir},
		{"/work/link", "/run", Dir},
		{"/work/link/docker.sock", "/run/docker.sock", Socket},
		{"/srv/ci/workspace/sock", "/run/docker.sock", Socket},
		{"/srv/ci/workspace/up", "/", Dir},
		{"/srv/ci/workspace/up/etc", "/etc", Dir},
		// symlinks cannot climb above the host root
		{"/srv/ci/workspace/escape", "/etc", Dir},
		// missing tails are kept as written, below the resolved part
		{"/srv/ci/workspace/new/dir", "/srv/ci/workspace/new/dir", Missing},
		{"/work/link/new.sock", "/run/new.sock", Missing},
		{"/srv/ci/workspace/up/nope", "/nope", Missing},
		// a file used as a directory does not exist either
		{"/srv/ci/workspace/README/x", "/srv/ci/workspace/README/x", Missing},
		// a loop cannot be mounted; it is reported as written
		{"/srv/ci/workspace/loop", "/srv/ci/workspace/loop", Other},
		// unclean input is cleaned first, as dockerd does
		{"/srv/ci/workspace/../workspace//README", "/srv/ci/workspace/README", File},
		{"relative", "relative", Other},
	}
	for _, c := range cases {
		host, kind := r.Resolve(c.source)
		if host != c.host || kind != c.kind {
			t.Errorf("Resolve(%q) = %q, %q; want %q, %q", c.source, host, kind, c.host, c.kind)
		}
	}
}

func TestResolveUnderSlash(t *testing.T) {
	r, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// TempDir may itself sit below a symlink; it must still be a dir
	if host, kind := r.Resolve(dir); kind != Dir {
		t.Errorf("Resolve(%q) = %q, %q; want a directory", dir, host, kind)
	}
	if host, kind := r.Resolve("/"); host != "/" || kind != Dir {
		t.Errorf("Resolve(/) = %q, %q", host, kind)
	}
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, kind := r.Resolve(sock); kind != Socket {
		t.Errorf("Resolve(%q) kind = %q, want socket", sock, kind)
	}
}

func TestNewRefusesBadRoots(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, root := range []string{"relative", "/does/not/exist", file} {
		if _, err := New(root); err == nil {
			t.Errorf("New(%q) succeeded", root)
		}
	}
	r, err := New("")
	if err != nil || r.Root() != "/" {
		t.Errorf("New(\"\") = %v, %v; want root /", r, err)
	}
	r, err = New(t.TempDir() + "/")
	if err != nil || filepath.Clean(r.Root()) != r.Root() {
		t.Errorf("root not cleaned: %v %v", r, err)
	}
}
