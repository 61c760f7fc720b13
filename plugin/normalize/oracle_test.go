package normalize

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// dockerHostConfig is the part of dockerd 20.10's HostConfig the fuzz
// oracle compares, as its decoder returns it.
type dockerHostConfig struct {
	Privileged bool
	Binds      []string
	Mounts     []struct{ Type, Source string }
	CapAdd     []string
	PidMode    string
}

// oracle is dockerd 20.10's own create decoder, run as a separate program
// (internal/oracle/dockerd2010: a module of its own, since dockerd 20.10's
// dependencies do not build against this module's).
var oracle struct {
	once sync.Once
	err  error
	mu   sync.Mutex
	in   io.Writer
	out  *bufio.Scanner
}

func startOracle() error {
	dir, err := os.MkdirTemp("", "dg-oracle")
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "dockerd2010")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "internal", "oracle", "dockerd2010")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the dockerd 20.10 decoder: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	oracle.in = in
	oracle.out = bufio.NewScanner(out)
	oracle.out.Buffer(make([]byte, 0, 1<<20), 64<<20)
	return nil
}

// dockerdDecode is the reference reading of a create body: dockerd 20.10's
// own decoder, independent of plugin/decode. A body it refuses is refused
// by the daemon too.
func dockerdDecode(t testing.TB, body []byte) (*dockerHostConfig, bool) {
	t.Helper()
	oracle.once.Do(func() { oracle.err = startOracle() })
	if oracle.err != nil {
		t.Fatal(oracle.err)
	}
	oracle.mu.Lock()
	defer oracle.mu.Unlock()
	if _, err := fmt.Fprintln(oracle.in, base64.StdEncoding.EncodeToString(body)); err != nil {
		t.Fatalf("dockerd 20.10 decoder: %v", err)
	}
	if !oracle.out.Scan() {
		t.Fatalf("dockerd 20.10 decoder stopped: %v", oracle.out.Err())
	}
	var a struct {
		OK         bool              `json:"ok"`
		HostConfig *dockerHostConfig `json:"hostconfig"`
	}
	if err := json.Unmarshal(oracle.out.Bytes(), &a); err != nil {
		t.Fatalf("dockerd 20.10 decoder answered %q: %v", oracle.out.Text(), err)
	}
	if !a.OK || a.HostConfig == nil {
		return nil, false
	}
	return a.HostConfig, true
}

// The reference decoder reads what dockerd reads, including the shapes
// plugin/decode must match: legacy top-level HostConfig fields, keys in any
// case, the first of two HostConfig objects merged with the second.
func TestDockerdDecoderIsTheReference(t *testing.T) {
	for body, privileged := range map[string]bool{
		`{"HostConfig":{"Privileged":true}}`:                                    true,
		`{"hostconfig":{"privileged":true}}`:                                    true,
		`{"Privileged":true}`:                                                   true,
		`{"Privileged":true,"HostConfig":{}}`:                                   false,
		`{"HostConfig":{"Privileged":true}}{"HostConfig":{"Privileged":false}}`: true,
	} {
		hc, ok := dockerdDecode(t, []byte(body))
		if !ok {
			t.Fatalf("%s: dockerd's decoder refused it", body)
		}
		if hc.Privileged != privileged {
			t.Errorf("%s: dockerd reads Privileged=%v, want %v", body, hc.Privileged, privileged)
		}
	}
	if _, ok := dockerdDecode(t, []byte(`{"HostConfig":`)); ok {
		t.Error("a truncated body decoded")
	}
}
