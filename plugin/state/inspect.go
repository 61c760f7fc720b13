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
func (c *inspected) namespaces() map[string]any {
	hc := c.HostConfig
	if hc == nil {
		return map[string]any{}
	}
	return map[string]any{
		"pid": string(hc.PidMode), "network": string(hc.NetworkMode), "ipc": string(hc.IpcMode),
		"uts": string(hc.UTSMode), "user": string(hc.UsernsMode), "cgroup": string(hc.CgroupnsMode),
	}
}

// render is the container as the policy sees it (docs/input.md#state):
// what it is, its mounts, and "body" and "facts" as a create of it would
// be read now, every bind source resolved on the host at this moment.
func (c *inspected) render(host normalize.Options) (map[string]any, *input.Facts, error) {
	body, facts, err := normalize.Existing(c.Config, c.HostConfig, host)
	if err != nil {
		return nil, nil, fmt.Errorf("container %s: %w", strings.TrimPrefix(c.Name, "/"), err)
	}
	out := map[string]any{
		"found":      true,
		"id":         c.ID,
		"name":       strings.TrimPrefix(c.Name, "/"),
		"privileged": false,
		"namespaces": c.namespaces(),
		"cap_add":    []any{},
		"labels":     map[string]any{},
		"body":       body,
		"facts":      facts,
	}
	if hc := c.HostConfig; hc != nil {
		out["privileged"] = hc.Privileged
		caps := make([]any, 0, len(hc.CapAdd))
		for _, cap := range hc.CapAdd {
			caps = append(caps, NormalizeCapability(cap))
		}
		out["cap_add"] = caps
	}
	if c.Config != nil {
		labels := make(map[string]any, len(c.Config.Labels))
		for k, v := range c.Config.Labels {
			labels[k] = v
		}
		out["labels"] = labels
	}
	// Binds the container has without a HostConfig entry (VolumesFrom)
	// are mounted at start like its own: add them to the facts.
	declared := map[[2]string]bool{}
	for _, m := range facts.Mounts {
		if m.Type == "bind" {
			declared[[2]string{m.Source, path.Clean(m.Target)}] = true
		}
	}
	mounts := make([]any, 0, len(c.Mounts))
	for i, m := range c.Mounts {
		src := m.Source
		mount := map[string]any{"type": m.Type, "source": src, "destination": m.Destination, "driver": m.Driver, "name": m.Name}
		if m.Type == "bind" && src != "" {
			f := normalize.RecordedBind(src, m.Destination, !m.RW, fmt.Sprintf("Mounts[%d]", i), host)
			src = f.Source
			mount["source"] = src
			mount["host_source"], mount["host_kind"] = *f.HostSource, *f.HostKind
			if !declared[[2]string{src, path.Clean(m.Destination)}] {
				facts.Mounts = append(facts.Mounts, f)
			}
		}
		mounts = append(mounts, mount)
	}
	out["mounts"] = mounts
	return out, facts, nil
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
	opts := make(map[string]any, len(v.Options))
	for k, x := range v.Options {
		opts[k] = x
	}
	return map[string]any{"found": true, "name": v.Name, "driver": v.Driver, "options": opts}, nil
}
