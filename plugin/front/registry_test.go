package front

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRegistryListsLiveAndStaleFronts: audit tells a running front from
// one that died without removing its record.
func TestRegistryListsLiveAndStaleFronts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fronts")
	sock := filepath.Join(t.TempDir(), "front.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	live := Info{PID: os.Getpid(), Name: "dood-guard", Socket: sock, DockerHost: "unix:///var/run/docker.sock", Policy: "embedded", Version: "dev", Started: now}
	remove, err := Register(dir, live)
	if err != nil {
		t.Fatal(err)
	}
	dead := Info{PID: 1 << 30, Name: "old", Socket: "/nonexistent.sock", Started: now.Add(-time.Hour)}
	if _, err := Register(dir, dead); err != nil {
		t.Fatal(err)
	}
	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	live.Alive = true
	if diff := cmp.Diff([]Info{live, dead}, got); diff != "" {
		t.Errorf("fronts (-want +got):\n%s", diff)
	}
	remove()
	got, _ = List(dir)
	if len(got) != 1 || got[0].Name != "old" {
		t.Errorf("after removal: %+v", got)
	}
	if got, err := List(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("missing directory: %v %v, want no fronts", got, err)
	}
}
