package normalize

import (
	"fmt"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/moby/api/types/swarm"
)

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
