package normalize

import (
	"fmt"
	"path"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/volume"
)

// containerFacts derives what the daemon will do with a HostConfig. A nil
// HostConfig (a create body without one) still yields facts, so that rules
// can rely on their presence.
func containerFacts(hc *container.HostConfig, apiVersion string, opts Options) (map[string]any, error) {
	if hc == nil {
		hc = &container.HostConfig{NetworkMode: "default"}
	}
	mounts, err := containerMounts(hc, opts)
	if err != nil {
		return nil, err
	}
	add, drop := capabilities(hc.CapAdd, "HostConfig.CapAdd"), capabilities(hc.CapDrop, "HostConfig.CapDrop")
	secOpts := securityOptions(hc.SecurityOpt)
	return map[string]any{
		"privileged":          fact(hc.Privileged, "HostConfig.Privileged"),
		"mounts":              mounts,
		"volumes_from":        indexed(hc.VolumesFrom, "HostConfig.VolumesFrom"),
		"capabilities":        map[string]any{"add": add, "drop": drop},
		"seccomp":             seccompFact(secOpts, add, drop),
		"namespaces":          namespaces(hc, apiVersion, opts),
		"devices":             devices(hc.Devices),
		"device_cgroup_rules": indexed(hc.DeviceCgroupRules, "HostConfig.DeviceCgroupRules"),
		"device_requests":     deviceRequests(hc.DeviceRequests),
		"security_options":    secOpts,
		"runtime":             fact(hc.Runtime, "HostConfig.Runtime"),
		"cgroup_parent":       fact(hc.CgroupParent, "HostConfig.CgroupParent"),
		"masked_paths":        pathList(hc.MaskedPaths, "HostConfig.MaskedPaths"),
		"readonly_paths":      pathList(hc.ReadonlyPaths, "HostConfig.ReadonlyPaths"),
		"restart_policy":      fact(string(hc.RestartPolicy.Name), "HostConfig.RestartPolicy.Name"),
	}, nil
}

// endpointFacts derives facts for the endpoints other than container
// create/start that a policy judges.
func endpointFacts(endpoint string, body any, opts Options) (map[string]any, error) {
	switch b := body.(type) {
	case *container.ExecCreateRequest:
		return map[string]any{
			"privileged":  fact(b.Privileged, "Privileged"),
			"user":        userFact(b.User, "User"),
			"working_dir": fact(b.WorkingDir, "WorkingDir"),
		}, nil
	case *volume.CreateRequest:
		return map[string]any{"mounts": []any{mountFact(string(mount.TypeVolume), b.Name, "", false, volumeDriver(b.Driver), b.DriverOpts, "DriverOpts")}}, nil
	case *decode.ServiceSpec:
		return serviceFacts(b, opts.Resolve), nil
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
func serviceFacts(s *decode.ServiceSpec, resolve resolver) map[string]any {
	const cs = "TaskTemplate.ContainerSpec"
	mounts, add, drop, secOpts := []any{}, []any{}, []any{}, []any{}
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
	networks := []any{}
	for i, n := range s.TaskTemplate.Networks {
		networks = append(networks, map[string]any{"target": n.Target, "path": fmt.Sprintf("TaskTemplate.Networks[%d].Target", i)})
	}
	for i, n := range s.Networks {
		networks = append(networks, map[string]any{"target": n.Target, "path": fmt.Sprintf("Networks[%d].Target", i)})
	}
	facts := map[string]any{
		"mounts":           mounts,
		"capabilities":     map[string]any{"add": add, "drop": drop},
		"security_options": secOpts,
		"seccomp":          seccompFact(secOpts, add, drop),
		"networks":         networks,
		"image":            fact(image, cs+".Image"),
		"user":             userFact(user, cs+".User"),
		"working_dir":      fact(dir, cs+".Dir"),
	}
	if ps := s.TaskTemplate.PluginSpec; ps != nil || s.TaskTemplate.Runtime == swarm.RuntimePlugin {
		plugin := map[string]any{"name": "", "remote": "", "privileges": []any{}, "path": "TaskTemplate.PluginSpec"}
		if ps != nil {
			privs := make([]any, 0, len(ps.Privileges))
			for _, p := range ps.Privileges {
				if p != nil {
					privs = append(privs, privilege(p.Name, p.Value))
				}
			}
			plugin["name"], plugin["remote"], plugin["privileges"] = ps.Name, ps.Remote, privs
		}
		facts["plugin"] = plugin
	}
	return facts
}

// privilegeOptions renders a service's Privileges as the SecurityOpt
// entries the swarm executor gives the task's container, each with the path
// of the field it comes from.
func privilegeOptions(p *swarm.Privileges, base string) []any {
	out := []any{}
	if p == nil {
		return out
	}
	opt := func(k, v, path string) {
		out = append(out, map[string]any{"key": k, "value": v, "raw": k + "=" + v, "path": path})
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

// privilege is one plugin privilege as a client accepts it.
func privilege(name string, value []string) map[string]any {
	v := make([]any, 0, len(value))
	for _, s := range value {
		v = append(v, s)
	}
	return map[string]any{"name": name, "value": v}
}

func fact(v any, p string) map[string]any { return map[string]any{"value": v, "path": p} }

func indexed(vs []string, p string) []any {
	out := make([]any, 0, len(vs))
	for i, v := range vs {
		out = append(out, fact(v, fmt.Sprintf("%s[%d]", p, i)))
	}
	return out
}

// pathList keeps the distinction the daemon makes: null means the default
// list, an empty list means nothing masked.
func pathList(vs []string, p string) map[string]any {
	list := make([]any, 0, len(vs))
	for _, v := range vs {
		list = append(list, v)
	}
	return map[string]any{"set": vs != nil, "value": list, "path": p}
}

// capabilities normalises names as the daemon does before use: upper-cased
// (strings.ToUpper, so Unicode letters that upper-case to ASCII count), and
// CAP_-prefixed, except the keyword ALL.
func capabilities(caps []string, p string) []any {
	out := make([]any, 0, len(caps))
	for i, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, fact(c, fmt.Sprintf("%s[%d]", p, i)))
	}
	return out
}

func namespaces(hc *container.HostConfig, apiVersion string, opts Options) map[string]any {
	cgroup := string(hc.CgroupnsMode)
	// Old clients get the host cgroup namespace by default on cgroup v1 hosts.
	if cgroup == "" && opts.CgroupV1 && apiVersion != "" && route.CompareVersions(apiVersion, "1.41") < 0 {
		cgroup = "host"
	}
	ns := func(mode, p string) map[string]any { return map[string]any{"mode": mode, "path": p} }
	return map[string]any{
		"pid":     ns(string(hc.PidMode), "HostConfig.PidMode"),
		"network": ns(string(hc.NetworkMode), "HostConfig.NetworkMode"),
		"ipc":     ns(string(hc.IpcMode), "HostConfig.IpcMode"),
		"uts":     ns(string(hc.UTSMode), "HostConfig.UTSMode"),
		"user":    ns(string(hc.UsernsMode), "HostConfig.UsernsMode"),
		"cgroup":  ns(cgroup, "HostConfig.CgroupnsMode"),
	}
}

func devices(ds []container.DeviceMapping) []any {
	out := make([]any, 0, len(ds))
	for i, d := range ds {
		out = append(out, map[string]any{
			"path_on_host":      d.PathOnHost,
			"path_in_container": d.PathInContainer,
			"permissions":       d.CgroupPermissions,
			"path":              fmt.Sprintf("HostConfig.Devices[%d]", i),
		})
	}
	return out
}

// deviceRequests lists HostConfig.DeviceRequests (--gpus): devices the
// runtime's hook hands the container.
func deviceRequests(rs []container.DeviceRequest) []any {
	out := make([]any, 0, len(rs))
	for i, r := range rs {
		caps := make([]any, 0, len(r.Capabilities))
		for _, and := range r.Capabilities {
			c := make([]any, 0, len(and))
			for _, s := range and {
				c = append(c, s)
			}
			caps = append(caps, c)
		}
		ids := make([]any, 0, len(r.DeviceIDs))
		for _, id := range r.DeviceIDs {
			ids = append(ids, id)
		}
		out = append(out, map[string]any{
			"driver": r.Driver, "count": r.Count, "device_ids": ids, "capabilities": caps,
			"path": fmt.Sprintf("HostConfig.DeviceRequests[%d]", i),
		})
	}
	return out
}

// securityOptions splits SecurityOpt entries the way the daemon's
// parseSecurityOpt does: bare "no-new-privileges" and "disable", then
// "key=value", then the legacy "key:value". Unparsable entries keep an
// empty key so a policy can refuse them.
func securityOptions(opts []string) []any {
	out := make([]any, 0, len(opts))
	for i, o := range opts {
		var k, v string
		switch {
		case o == "no-new-privileges":
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
		out = append(out, map[string]any{"key": k, "value": v, "raw": o, "path": fmt.Sprintf("HostConfig.SecurityOpt[%d]", i)})
	}
	return out
}

func mountFact(typ, source, target string, readOnly bool, driver string, opts map[string]string, p string) map[string]any {
	o := make(map[string]any, len(opts))
	for k, v := range opts {
		o[k] = v
	}
	return map[string]any{
		"type": typ, "source": source, "target": target, "read_only": readOnly,
		"driver": driver, "driver_options": o, "path": p,
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
