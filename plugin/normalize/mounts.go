package normalize

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// containerMounts lists every mount the container will get, from Binds,
// Mounts, Tmpfs and image volumes, in the daemon's terms. Bind sources are
// resolved on the host when opts.Resolve is set.
func containerMounts(hc *container.HostConfig, opts Options) ([]input.Mount, error) {
	out := make([]input.Mount, 0, len(hc.Binds)+len(hc.Mounts)+len(hc.Tmpfs))
	for i, raw := range hc.Binds {
		p := fmt.Sprintf("HostConfig.Binds[%d]", i)
		m, err := parseBind(raw, hc.VolumeDriver, p, opts.Resolve)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, m)
	}
	for i, m := range hc.Mounts {
		out = append(out, specMount(m, fmt.Sprintf("HostConfig.Mounts[%d]", i), opts.Resolve))
	}
	targets := make([]string, 0, len(hc.Tmpfs))
	for t := range hc.Tmpfs {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		out = append(out, mountFact(string(mount.TypeTmpfs), "", t, false, "", nil, "HostConfig.Tmpfs"))
	}
	return out, nil
}

// parseBind reads a "source:target[:mode]" bind the way the daemon's Linux
// mount parser does: at most two colons, an absolute source is a host path
// (cleaned lexically), anything else names a volume. The daemon refuses the
// specs this refuses, so an error here only fails closed on a request that
// could not succeed anyway.
func parseBind(raw, volumeDriverName, p string, resolve resolver) (input.Mount, error) {
	if strings.Count(raw, ":") > 2 {
		return input.Mount{}, fmt.Errorf("invalid bind spec %q", raw)
	}
	arr := strings.SplitN(raw, ":", 3)
	if arr[0] == "" {
		return input.Mount{}, fmt.Errorf("invalid bind spec %q", raw)
	}
	var source, target, mode string
	switch len(arr) {
	case 1:
		target = arr[0]
	case 2:
		if validMode(arr[1]) {
			return input.Mount{}, fmt.Errorf("invalid bind spec %q", raw)
		}
		source, target = arr[0], arr[1]
	default:
		source, target, mode = arr[0], arr[1], arr[2]
	}
	if !validMode(mode) {
		return input.Mount{}, fmt.Errorf("invalid bind mode %q", mode)
	}
	readOnly := false
	for _, o := range strings.Split(mode, ",") {
		readOnly = readOnly || o == "ro"
	}
	if path.IsAbs(source) {
		// A missing Binds source is created by the daemon, but that is
		// legacy behaviour, not the CreateMountpoint option.
		return bindFact(cleanSource(source), target, readOnly, false, p, resolve), nil
	}
	return mountFact(string(mount.TypeVolume), source, target, readOnly, volumeDriver(volumeDriverName), nil, p), nil
}

// bindModes groups the mode words a bind accepts; each group may be used at
// most once, as in the daemon's parser.
var bindModes = map[string]string{
	"rw": "rw", "ro": "rw",
	"z": "label", "Z": "label",
	"private": "propagation", "rprivate": "propagation", "slave": "propagation",
	"rslave": "propagation", "shared": "propagation", "rshared": "propagation",
	"nocopy":     "copy",
	"consistent": "consistency", "cached": "consistency", "delegated": "consistency",
}

func validMode(mode string) bool {
	if mode == "" {
		return true
	}
	seen := map[string]bool{}
	for _, o := range strings.Split(mode, ",") {
		g, ok := bindModes[o]
		if !ok || seen[g] {
			return false
		}
		seen[g] = true
	}
	return true
}

// specMount reads one HostConfig.Mounts (or service ContainerSpec.Mounts)
// entry. Types are kept as given: the daemon refuses unknown types, so a
// policy only needs to judge known ones.
func specMount(m mount.Mount, p string, resolve resolver) input.Mount {
	switch m.Type {
	case mount.TypeBind:
		create := m.BindOptions != nil && m.BindOptions.CreateMountpoint
		f := bindFact(cleanSource(m.Source), m.Target, m.ReadOnly, create, p+".Source", resolve)
		*f.ReadOnlyNonRecursive = m.ReadOnly && m.BindOptions != nil && m.BindOptions.ReadOnlyNonRecursive
		return f
	case mount.TypeVolume:
		driver, opts, subpath := "", map[string]string(nil), ""
		if o := m.VolumeOptions; o != nil {
			subpath = o.Subpath
			if o.DriverConfig != nil {
				driver, opts = o.DriverConfig.Name, o.DriverConfig.Options
			}
		}
		f := mountFact(string(m.Type), m.Source, m.Target, m.ReadOnly, volumeDriver(driver), opts, p)
		f.Subpath = &subpath
		return f
	case mount.TypeImage:
		// A local image's file system, always mounted read-only (API 1.48).
		f := mountFact(string(m.Type), m.Source, m.Target, true, "", nil, p)
		if m.ImageOptions != nil {
			f.Subpath = &m.ImageOptions.Subpath
		}
		return f
	}
	return mountFact(string(m.Type), m.Source, m.Target, m.ReadOnly, "", nil, p)
}

// resolver is normalize.Options.Resolve.
type resolver = func(source string) (hostSource, kind string)

// bindFact is a bind mount's fact: the mount fact plus where the source
// resolves on the host ("host_source", "host_kind"; "unknown" when the
// guard does not resolve, and host_source is then the source), and whether
// the client asked the daemon to create a missing source
// ("create_mountpoint").
func bindFact(source, target string, readOnly, createMountpoint bool, p string, resolve resolver) input.Mount {
	m := mountFact(string(mount.TypeBind), source, target, readOnly, "", nil, p)
	host, kind := source, "unknown"
	if resolve != nil {
		host, kind = resolve(source)
	}
	nonRecursive := false
	m.HostSource, m.HostKind = &host, &kind
	m.CreateMountpoint, m.ReadOnlyNonRecursive = &createMountpoint, &nonRecursive
	return m
}
