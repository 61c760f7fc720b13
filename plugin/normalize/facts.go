package normalize

import (
	"fmt"
	"path"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/volume"
)

// containerFacts derives what the daemon will do with a HostConfig. A nil
// HostConfig (a create body without one) still yields facts, so that rules
// can rely on their presence.
func containerFacts(hc *container.HostConfig, apiVersion string, opts Options) (*input.Facts, error) {
	if hc == nil {
		hc = &container.HostConfig{NetworkMode: "default"}
	}
	mounts, err := containerMounts(hc, opts)
	if err != nil {
		return nil, err
	}
	add, drop := capabilities(hc.CapAdd, "HostConfig.CapAdd"), capabilities(hc.CapDrop, "HostConfig.CapDrop")
	secOpts := securityOptions(hc.SecurityOpt)
	return &input.Facts{
		Privileged:        &input.BoolFact{Value: hc.Privileged, Path: "HostConfig.Privileged"},
		Mounts:            mounts,
		VolumesFrom:       indexed(hc.VolumesFrom, "HostConfig.VolumesFrom"),
		Capabilities:      &input.Capabilities{Add: add, Drop: drop},
		Seccomp:           seccompFact(secOpts, add, drop),
		Namespaces:        namespaces(hc, apiVersion, opts),
		Devices:           devices(hc.Devices),
		DeviceCgroupRules: indexed(hc.DeviceCgroupRules, "HostConfig.DeviceCgroupRules"),
		DeviceRequests:    deviceRequests(hc.DeviceRequests),
		SecurityOptions:   secOpts,
		Runtime:           fact(hc.Runtime, "HostConfig.Runtime"),
		CgroupParent:      fact(hc.CgroupParent, "HostConfig.CgroupParent"),
		MaskedPaths:       pathList(hc.MaskedPaths, "HostConfig.MaskedPaths"),
		ReadonlyPaths:     pathList(hc.ReadonlyPaths, "HostConfig.ReadonlyPaths"),
		RestartPolicy:     fact(string(hc.RestartPolicy.Name), "HostConfig.RestartPolicy.Name"),
	}, nil
}

// endpointFacts derives facts for the endpoints other than container
// create/start that a policy judges.
func endpointFacts(endpoint string, body any, opts Options) (*input.Facts, error) {
	switch b := body.(type) {
	case *container.ExecCreateRequest:
		return &input.Facts{
			Privileged: &input.BoolFact{Value: b.Privileged, Path: "Privileged"},
			User:       userFact(b.User, "User"),
			WorkingDir: fact(b.WorkingDir, "WorkingDir"),
		}, nil
	case *volume.CreateRequest:
		return &input.Facts{Mounts: []input.Mount{mountFact(string(mount.TypeVolume), b.Name, "", false, volumeDriver(b.Driver), b.DriverOpts, "DriverOpts")}}, nil
	case *decode.ServiceSpec:
		return serviceFacts(b, opts.Resolve), nil
	case *network.ConnectRequest:
		return connectFacts(b), nil
	}
	return nil, nil
}

// serviceFacts derives, from a service spec, what the swarm executor will
// give each task's container: it creates them inside the daemon, where no
// authorization plugin is asked, so the spec is the only place to judge
// them. Mounts, capabilities and security options take the shape (and the
// daemon's normalisation) of a container create's facts. Bind sources are
// resolved on this host, where the tasks of a single-node swarm (the usual
// socket holder's) run: the daemon follows a symlink in a source when it
// mounts it. On other nodes a source may resolve elsewhere; the source as
// written is judged as well.
func serviceFacts(s *decode.ServiceSpec, resolve resolver) *input.Facts {
	const cs = "TaskTemplate.ContainerSpec"
	mounts, add, drop, secOpts := []input.Mount{}, []input.StringFact{}, []input.StringFact{}, []input.SecurityOption{}
	var image, user, dir string
	if c := s.TaskTemplate.ContainerSpec; c != nil {
		for i, m := range c.Mounts {
			mounts = append(mounts, serviceMount(m, fmt.Sprintf("%s.Mounts[%d]", cs, i), resolve))
		}
		add = capabilities(c.CapabilityAdd, cs+".CapabilityAdd")
		drop = capabilities(c.CapabilityDrop, cs+".CapabilityDrop")
		secOpts = privilegeOptions(c.Privileges, cs+".Privileges")
		image, user, dir = c.Image, c.User, c.Dir
	}
	// The daemon attaches TaskTemplate.Networks, or the top-level Networks
	// when there are none; both are listed.
	networks := []input.Network{}
	for i, n := range s.TaskTemplate.Networks {
		networks = append(networks, input.Network{Target: n.Target, Path: fmt.Sprintf("TaskTemplate.Networks[%d].Target", i)})
	}
	for i, n := range s.Networks {
		networks = append(networks, input.Network{Target: n.Target, Path: fmt.Sprintf("Networks[%d].Target", i)})
	}
	facts := &input.Facts{
		Mounts:          mounts,
		Capabilities:    &input.Capabilities{Add: add, Drop: drop},
		SecurityOptions: secOpts,
		Seccomp:         seccompFact(secOpts, add, drop),
		Networks:        networks,
		Image:           fact(image, cs+".Image"),
		User:            userFact(user, cs+".User"),
		WorkingDir:      fact(dir, cs+".Dir"),
	}
	if ps := s.TaskTemplate.PluginSpec; ps != nil || s.TaskTemplate.Runtime == swarm.RuntimePlugin {
		plugin := &input.Plugin{Privileges: []input.Privilege{}, Path: "TaskTemplate.PluginSpec"}
		if ps != nil {
			for _, p := range ps.Privileges {
				if p != nil {
					plugin.Privileges = append(plugin.Privileges, input.Privilege{Name: p.Name, Value: nonNil(p.Value)})
				}
			}
			plugin.Name, plugin.Remote = ps.Name, ps.Remote
		}
		facts.Plugin = plugin
	}
	return facts
}

// privilegeOptions renders a service's Privileges as the SecurityOpt
// entries the swarm executor gives the task's container, each with the path
// of the field it comes from.
func privilegeOptions(p *swarm.Privileges, base string) []input.SecurityOption {
	out := []input.SecurityOption{}
	if p == nil {
		return out
	}
	opt := func(k, v, path string) {
		out = append(out, input.SecurityOption{Key: k, Value: v, Raw: k + "=" + v, Path: path})
	}
	// The executor writes a credential spec first (Windows only: a Linux
	// daemon refuses the option, and the task fails).
	if c := p.CredentialSpec; c != nil {
		switch {
		case c.Config != "":
			opt("credentialspec", "config://"+c.Config, base+".CredentialSpec.Config")
		case c.File != "":
			opt("credentialspec", "file://"+c.File, base+".CredentialSpec.File")
		case c.Registry != "":
			opt("credentialspec", "registry://"+c.Registry, base+".CredentialSpec.Registry")
		}
	}
	if sl := p.SELinuxContext; sl != nil {
		if sl.Disable {
			opt("label", "disable", base+".SELinuxContext.Disable")
		}
		for _, f := range []struct{ name, v string }{{"User", sl.User}, {"Role", sl.Role}, {"Level", sl.Level}, {"Type", sl.Type}} {
			if f.v != "" {
				opt("label", strings.ToLower(f.name)+":"+f.v, base+".SELinuxContext."+f.name)
			}
		}
	}
	if sc := p.Seccomp; sc != nil {
		switch sc.Mode {
		case swarm.SeccompModeUnconfined:
			opt("seccomp", "unconfined", base+".Seccomp.Mode")
		case swarm.SeccompModeCustom:
			opt("seccomp", string(sc.Profile), base+".Seccomp.Profile")
		}
	}
	if aa := p.AppArmor; aa != nil && aa.Mode == swarm.AppArmorModeDisabled {
		opt("apparmor", "unconfined", base+".AppArmor.Mode")
	}
	if p.NoNewPrivileges {
		opt("no-new-privileges", "true", base+".NoNewPrivileges")
	}
	return out
}

// nonNil is a list as the policy sees it: empty, never null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func fact(v, p string) *input.StringFact { return &input.StringFact{Value: v, Path: p} }

func indexed(vs []string, p string) []input.StringFact {
	out := make([]input.StringFact, 0, len(vs))
	for i, v := range vs {
		out = append(out, input.StringFact{Value: v, Path: fmt.Sprintf("%s[%d]", p, i)})
	}
	return out
}

// pathList keeps the distinction the daemon makes: null means the default
// list, an empty list means nothing masked.
func pathList(vs []string, p string) *input.PathList {
	return &input.PathList{Set: vs != nil, Value: nonNil(vs), Path: p}
}

// capabilities normalises names as the daemon does before use: upper-cased
// (strings.ToUpper, so Unicode letters that upper-case to ASCII count), and
// CAP_-prefixed, except the keyword ALL.
func capabilities(caps []string, p string) []input.StringFact {
	out := make([]input.StringFact, 0, len(caps))
	for i, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, input.StringFact{Value: c, Path: fmt.Sprintf("%s[%d]", p, i)})
	}
	return out
}

func namespaces(hc *container.HostConfig, apiVersion string, opts Options) *input.Namespaces {
	cgroup := string(hc.CgroupnsMode)
	// Old clients get the host cgroup namespace by default on cgroup v1 hosts.
	if cgroup == "" && opts.CgroupV1 && apiVersion != "" && route.CompareVersions(apiVersion, "1.41") < 0 {
		cgroup = "host"
	}
	return &input.Namespaces{
		Pid:     input.Namespace{Mode: string(hc.PidMode), Path: "HostConfig.PidMode"},
		Network: input.Namespace{Mode: string(hc.NetworkMode), Path: "HostConfig.NetworkMode"},
		Ipc:     input.Namespace{Mode: string(hc.IpcMode), Path: "HostConfig.IpcMode"},
		Uts:     input.Namespace{Mode: string(hc.UTSMode), Path: "HostConfig.UTSMode"},
		User:    input.Namespace{Mode: string(hc.UsernsMode), Path: "HostConfig.UsernsMode"},
		Cgroup:  input.Namespace{Mode: cgroup, Path: "HostConfig.CgroupnsMode"},
	}
}

func devices(ds []container.DeviceMapping) []input.Device {
	out := make([]input.Device, 0, len(ds))
	for i, d := range ds {
		out = append(out, input.Device{
			PathOnHost:      d.PathOnHost,
			PathInContainer: d.PathInContainer,
			Permissions:     d.CgroupPermissions,
			Path:            fmt.Sprintf("HostConfig.Devices[%d]", i),
		})
	}
	return out
}

// deviceRequests lists HostConfig.DeviceRequests (--gpus): devices the
// runtime's hook hands the container.
func deviceRequests(rs []container.DeviceRequest) []input.DeviceRequest {
	out := make([]input.DeviceRequest, 0, len(rs))
	for i, r := range rs {
		caps := make([][]string, 0, len(r.Capabilities))
		for _, and := range r.Capabilities {
			caps = append(caps, nonNil(and))
		}
		out = append(out, input.DeviceRequest{
			Driver: r.Driver, Count: r.Count, DeviceIDs: nonNil(r.DeviceIDs), Capabilities: caps,
			CDIDevices: cdiDevices(r),
			Path:       fmt.Sprintf("HostConfig.DeviceRequests[%d]", i),
		})
	}
	return out
}

// securityOptions splits SecurityOpt entries the way the daemon's
// parseSecurityOpt does: bare "no-new-privileges", "writable-cgroups"
// (Docker 28) and "disable", then
// "key=value", then the legacy "key:value". Unparsable entries keep an
// empty key so a policy can refuse them.
func securityOptions(opts []string) []input.SecurityOption {
	out := make([]input.SecurityOption, 0, len(opts))
	for i, o := range opts {
		var k, v string
		switch {
		case o == "no-new-privileges", o == "writable-cgroups":
			k, v = o, "true"
		case o == "disable":
			k, v = "label", "disable"
		case strings.Contains(o, "="):
			k, v, _ = strings.Cut(o, "=")
		case strings.Contains(o, ":"):
			k, v, _ = strings.Cut(o, ":")
		default:
			v = o
		}
		out = append(out, input.SecurityOption{Key: k, Value: v, Raw: o, Path: fmt.Sprintf("HostConfig.SecurityOpt[%d]", i)})
	}
	return out
}

func mountFact(typ, source, target string, readOnly bool, driver string, opts map[string]string, p string) input.Mount {
	if opts == nil {
		opts = map[string]string{}
	}
	return input.Mount{
		Type: typ, Source: source, Target: target, ReadOnly: readOnly,
		Driver: driver, DriverOptions: opts, Path: p,
	}
}

func volumeDriver(name string) string {
	if name == "" {
		return "local"
	}
	return name
}

// cleanSource cleans a bind source lexically, as the daemon does before it
// hands the path to the kernel.
func cleanSource(s string) string { return path.Clean(s) }
