package state

import (
	"encoding/json"
	"path"
	"strings"
)

// inspectContainer is the part of GET /containers/{id}/json the policy
// needs. Decoded into our own struct, not moby's, so that any daemon
// version's answer reads.
type inspectContainer struct {
	ID     string `json:"Id"`
	Name   string
	Config *struct {
		Labels map[string]string
	}
	HostConfig *struct {
		Privileged   bool
		PidMode      string
		NetworkMode  string
		IpcMode      string
		UTSMode      string
		UsernsMode   string
		CgroupnsMode string
		CapAdd       []string
	}
	Mounts []struct {
		Type        string
		Name        string
		Source      string
		Destination string
		Driver      string
	}
}

// containerState renders an inspect answer as the policy sees it.
func containerState(b []byte) (map[string]any, error) {
	var c inspectContainer
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	out := map[string]any{
		"found":      true,
		"id":         c.ID,
		"name":       strings.TrimPrefix(c.Name, "/"),
		"privileged": false,
		"mounts":     []any{},
		"namespaces": map[string]any{},
		"cap_add":    []any{},
		"labels":     map[string]any{},
	}
	if hc := c.HostConfig; hc != nil {
		out["privileged"] = hc.Privileged
		out["namespaces"] = map[string]any{
			"pid": hc.PidMode, "network": hc.NetworkMode, "ipc": hc.IpcMode,
			"uts": hc.UTSMode, "user": hc.UsernsMode, "cgroup": hc.CgroupnsMode,
		}
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
	mounts := make([]any, 0, len(c.Mounts))
	for _, m := range c.Mounts {
		src := m.Source
		if m.Type == "bind" && src != "" {
			src = path.Clean(src)
		}
		mounts = append(mounts, map[string]any{
			"type": m.Type, "source": src, "destination": m.Destination,
			"driver": m.Driver, "name": m.Name,
		})
	}
	out["mounts"] = mounts
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

func volumeState(b []byte) (map[string]any, error) {
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
