package normalize

import (
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/moby/api/types/mount"
)

// swarmMountTypes are swarmkit's Mount_MountType names (20.10 lacks
// CLUSTER, and refuses it).
var swarmMountTypes = map[string]mount.Type{
	"BIND": mount.TypeBind, "VOLUME": mount.TypeVolume, "TMPFS": mount.TypeTmpfs,
	"NPIPE": mount.TypeNamedPipe, "CLUSTER": mount.TypeCluster,
}

// swarmMountType is the type a service mount gets on its task's container.
// The daemon converts the spec to swarmkit's enum by strings.ToUpper (so
// "Bind", "BIND" and "bınd", with a dotless i, are all BIND), and an empty
// Type is the enum's zero value, BIND; the executor turns the enum back
// into the lower-case name. Any other type makes the daemon refuse the
// service; it is kept as written.
func swarmMountType(t mount.Type) mount.Type {
	if t == "" {
		return mount.TypeBind
	}
	if canonical, ok := swarmMountTypes[strings.ToUpper(string(t))]; ok {
		return canonical
	}
	return t
}

// serviceMount is a service mount's fact: the mount its task's container
// gets, plus "templated", the fields the swarm agent expands as Go
// templates on the node before it creates the container (swarmkit
// template.ExpandContainerSpec: Source, Target, VolumeOptions.Labels and
// VolumeOptions.DriverConfig.Options values), sorted. What such a field
// becomes depends on the node and the task ({{.Node.Hostname}},
// {{.Task.Slot}}, or a plain {{"/"}}), so the policy cannot judge it as
// written. A templated Source is not resolved: it names no path yet.
func serviceMount(m mount.Mount, p string, resolve resolver) input.Mount {
	m.Type = swarmMountType(m.Type)
	if strings.Contains(m.Source, "{{") {
		resolve = nil
	}
	f := specMount(m, p, resolve)
	templated := []string{}
	add := func(field, v string) {
		if strings.Contains(v, "{{") {
			templated = append(templated, field)
		}
	}
	add("Source", m.Source)
	add("Target", m.Target)
	if vo := m.VolumeOptions; vo != nil {
		for k, v := range vo.Labels {
			add("VolumeOptions.Labels."+k, v)
		}
		if dc := vo.DriverConfig; dc != nil {
			for k, v := range dc.Options {
				add("VolumeOptions.DriverConfig.Options."+k, v)
			}
		}
	}
	sort.Strings(templated)
	f.Templated = templated
	return f
}
