package state

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/moby/moby/api/types/container"
)

// inspected is what GET /containers/{id}/json says about a container, as
// remembered between lookups. Nothing in it depends on the host's file
// system: bind sources are resolved when it is rendered, at every lookup.
type inspected struct {
	ID     string `json:"Id"`
	Name   string
	Config *container.Config
	// HostConfig is read with the daemon's own types, as a create's is:
	// the policy judges it with the create rules (normalize.Existing).
	HostConfig *container.HostConfig
	// Mounts is every mount the daemon sets up at start, those taken with
	// VolumesFrom included.
	Mounts []struct {
		Type        string
		Name        string
		Source      string
		Destination string
		Driver      string
		RW          bool
	}
}

// containerState reads an inspect answer.
func containerState(b []byte) (any, error) {
	var c inspected
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// namespaces are the recorded namespace modes.
func (c *inspected) namespaces() map[string]string {
	hc := c.HostConfig
	if hc == nil {
		return map[string]string{}
	}
	return map[string]string{
		"pid": string(hc.PidMode), "network": string(hc.NetworkMode), "ipc": string(hc.IpcMode),
		"uts": string(hc.UTSMode), "user": string(hc.UsernsMode), "cgroup": string(hc.CgroupnsMode),
	}
}

// render is the container as the policy sees it (docs/input.md#state):
// what it is, its mounts, and "body" and "facts" as a create of it would
// be read now, every bind source resolved on the host at this moment.
func (c *inspected) render(host normalize.Options) (*input.Existing, error) {
	body, facts, err := normalize.Existing(c.Config, c.HostConfig, host)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", strings.TrimPrefix(c.Name, "/"), err)
	}
	out := &input.Existing{
		ID:         c.ID,
		Name:       strings.TrimPrefix(c.Name, "/"),
		Namespaces: c.namespaces(),
		CapAdd:     []string{},
		Labels:     map[string]string{},
		Body:       body,
		Facts:      facts,
	}
	if hc := c.HostConfig; hc != nil {
		out.Privileged = hc.Privileged
		for _, cap := range hc.CapAdd {
			out.CapAdd = append(out.CapAdd, NormalizeCapability(cap))
		}
	}
	if c.Config != nil && c.Config.Labels != nil {
		out.Labels = c.Config.Labels
	}
	// Binds the container has without a HostConfig entry (VolumesFrom)
	// are mounted at start like its own: add them to the facts.
	declared := map[[2]string]bool{}
	for _, m := range facts.Mounts {
		if m.Type == "bind" {
			declared[[2]string{m.Source, path.Clean(m.Target)}] = true
		}
	}
	out.Mounts = make([]input.ContainerMount, 0, len(c.Mounts))
	for i, m := range c.Mounts {
		mount := input.ContainerMount{Type: m.Type, Source: m.Source, Destination: m.Destination, Driver: m.Driver, Name: m.Name}
		if m.Type == "bind" && m.Source != "" {
			f := normalize.RecordedBind(m.Source, m.Destination, !m.RW, fmt.Sprintf("Mounts[%d]", i), host)
			mount.Source, mount.HostSource, mount.HostKind = f.Source, f.HostSource, f.HostKind
			if !declared[[2]string{f.Source, path.Clean(m.Destination)}] {
				facts.Mounts = append(facts.Mounts, f)
			}
		}
		out.Mounts = append(out.Mounts, mount)
	}
	return out, nil
}

// NormalizeCapability spells a capability as the daemon uses it: upper
// case with the CAP_ prefix, except ALL.
func NormalizeCapability(c string) string {
	c = strings.ToUpper(c)
	if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

type inspectVolume struct {
	Name    string
	Driver  string
	Options map[string]string
	Labels  map[string]string
}

func volumeState(b []byte) (any, error) {
	var v inspectVolume
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v.Options == nil {
		v.Options = map[string]string{}
	}
	return &input.VolumeInfo{Name: v.Name, Driver: v.Driver, Options: v.Options}, nil
}
