package front

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// DefaultDir is where running fronts say where they are, for
// `dood-guard audit`.
const DefaultDir = "/run/dood-guard/fronts"

// Info is what a running front records about itself.
type Info struct {
	PID        int       `json:"pid"`
	Name       string    `json:"name"`
	Socket     string    `json:"socket,omitempty"`
	TCP        string    `json:"tcp,omitempty"`
	DockerHost string    `json:"docker_host"`
	Policy     string    `json:"policy"`
	Version    string    `json:"version"`
	Started    time.Time `json:"started"`
	// Alive is set by List: the process runs and its socket answers (or it
	// listens on TCP only).
	Alive bool `json:"alive"`
}

// Register records info in dir as <pid>.json; the returned func removes it.
func Register(dir string, info Info) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fronts directory: %w", err)
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, strconv.Itoa(info.PID)+".json")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("record the front: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return nil, fmt.Errorf("record the front: %w", err)
	}
	return func() { os.Remove(p) }, nil
}

// List reads the fronts recorded in dir, newest first, each marked alive
// or not. A missing directory is no fronts.
func List(dir string) ([]Info, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Info
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed as we read
		}
		var in Info
		if err == nil {
			err = json.Unmarshal(b, &in)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		in.Alive = alive(in)
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, errors.Join(errs...)
}

func alive(in Info) bool {
	if in.PID <= 0 || syscall.Kill(in.PID, 0) != nil {
		return false
	}
	if in.Socket == "" {
		return true
	}
	c, err := net.DialTimeout("unix", in.Socket, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
