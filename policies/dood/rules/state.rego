# Requests that point at objects which already exist: the guard looks them up
# in the daemon (input.state, see docs/input.md and docs/state.md) and these
# rules judge what they are. A container or volume that exists was created
# before the guard, by an exempt identity, or under another policy; reaching
# through it gives what creating it would have given.
package dood.rules.state

import data.dood.rules.mounts

# hazards(c) says why an existing container is dangerous to reach into, join
# or take volumes from; empty when it is not.
hazards(c) := sort(array.concat(
	array.concat(privileged_hazard(c), [r | some r in mount_hazards(c)]),
	array.concat([r | some r in namespace_hazards(c)], [r | some r in capability_hazards(c)]),
))

privileged_hazard(c) := ["it is privileged"] if {
	c.privileged == true
} else := []

# Binds of protected host paths, judged as DG-MNT-001 judges a new bind
# (the mount objects have the "source" that rule reads).
mount_hazards(c) := {sprintf("it bind-mounts host path %s", [m.source]) |
	some m in c.mounts
	m.type == "bind"
	mounts.bind_refusal(m)
} | {sprintf("it mounts volume %s, %s", [m.name, reason]) |
	some m in c.mounts
	m.type == "volume"
	reason := host_volume(m.name)
}

# The namespaces whose sharing with the host is a way out. The cgroup
# namespace is left out: it is the daemon's default on cgroup v1 hosts and
# gives no access by itself (DG-NS-001 still refuses asking for it).
host_namespace_kinds := ["pid", "network", "ipc", "uts", "user"]

namespace_hazards(c) := {sprintf("it shares the host's %s namespace", [kind]) |
	some kind in host_namespace_kinds
	object.get(c, ["namespaces", kind], "") == "host"
}

capability_hazards(c) := {sprintf("it has capability %s", [cap]) |
	some cap in c.cap_add
	cap in data.guard.dangerous_capabilities
}

# host_volume(name) is why an existing volume is a host mount, as DG-MNT-002
# judges local volume options; undefined when it is not.
host_volume(name) := mounts.volume_refusal(object.get(v, "options", {})) if {
	v := input.state.volumes[name]
	v.found == true
	object.get(v, "driver", "local") in {"", "local"}
}

# existing(ref) is the container a reference designates, when it exists.
existing(ref) := c if {
	c := input.state.containers[ref]
	c.found == true
}

reasons(c) := concat("; ", hazards(c))

# METADATA
# title: Existing volume with host mount options
# description: >-
#   Refuses a container that mounts, by name, an existing volume of the local
#   driver whose options bind a host path or mount a host device or
#   filesystem (judged as DG-MNT-002 judges them), with or without a
#   VolumeOptions.Subpath into it. An existing volume is used with the
#   options it was created with, whatever the request says.
# custom:
#   id: DG-STATE-002
#   endpoints: container create, legacy container start
#   why: >-
#     A volume created before the guard (or by an admin) with
#     "-o type=none -o o=bind -o device=/" is the host's root: mounting it by
#     name is a bind mount of / that no bind-mount rule sees.
#   allow_by: >-
#     remove the volume, use a volume without host options, connect as a TLS
#     identity listed in guard.exempt_users, or list DG-STATE-002 in
#     guard.disabled_rules
violation contains {"id": "DG-STATE-002", "msg": msg, "path": m.path} if {
	some m in input.facts.mounts
	m.type == "volume"
	reason := host_volume(m.source)
	msg := sprintf("existing volume %s%s is a host mount and is not allowed: %s", [m.source, subpath_note(m), reason])
}

# A Subpath (API 1.45) mounts a directory inside the volume: inside a host
# bind, that is a host directory below the bound one.
subpath_note(m) := sprintf(" (Subpath %s)", [m.subpath]) if {
	object.get(m, "subpath", "") != ""
} else := ""

# METADATA
# title: Volumes from a dangerous container
# description: >-
#   Refuses HostConfig.VolumesFrom naming an existing container that is
#   privileged, bind-mounts a protected host path, mounts a host-option
#   volume, shares a host namespace or holds a dangerous capability: the new
#   container gets all of its mounts.
# custom:
#   id: DG-STATE-003
#   endpoints: container create, legacy container start
#   why: >-
#     --volumes-from copies every mount of the source container, so a
#     container holding the docker socket or / hands them to whoever names it.
#   allow_by: >-
#     take volumes from a harmless container, connect as a TLS identity listed
#     in guard.exempt_users, or list DG-STATE-003 in guard.disabled_rules
violation contains {"id": "DG-STATE-003", "msg": msg, "path": f.path} if {
	some f in input.facts.volumes_from
	ref := split(f.value, ":")[0]
	c := existing(ref)
	count(hazards(c)) > 0
	msg := sprintf("volumes from container %s are not allowed: %s", [c.name, reasons(c)])
}

# METADATA
# title: Joining the namespaces of a dangerous container
# description: >-
#   Refuses a pid, network or ipc mode "container:<ref>" naming an existing
#   container that is privileged, shares a host namespace, bind-mounts a
#   protected host path, mounts a host-option volume or holds a dangerous
#   capability.
# custom:
#   id: DG-STATE-004
#   endpoints: container create, legacy container start
#   why: >-
#     Joining a container's namespaces joins whatever it shares with the host
#     (its host pid or network namespace), and a shared pid namespace reaches
#     its processes' root directories through /proc/PID/root.
#   allow_by: >-
#     join a harmless container, connect as a TLS identity listed in
#     guard.exempt_users, or list DG-STATE-004 in guard.disabled_rules
violation contains {"id": "DG-STATE-004", "msg": msg, "path": ns.path} if {
	some kind in ["pid", "network", "ipc"]
	ns := input.facts.namespaces[kind]
	startswith(ns.mode, "container:")
	c := existing(substring(ns.mode, count("container:"), -1))
	count(hazards(c)) > 0
	msg := sprintf("joining the %s namespace of container %s is not allowed: %s", [kind, c.name, reasons(c)])
}

# Endpoints that act inside an existing container, and how a message names
# what they do.
reach_in := {
	"exec.create": "exec in",
	"container.attach": "attaching to",
	"container.attach.ws": "attaching to",
	"container.archive.get": "copying files from",
	"container.archive.head": "copying files from",
	"container.archive.put": "copying files into",
	"container.copy": "copying files from",
	"container.export": "exporting",
	"container.commit": "committing",
}

# reach_in_ref is the container reference the request acts on, and where.
reach_in_ref := [input.params.name, "params.name"] if {
	input.endpoint != "container.commit"
	reach_in[input.endpoint]
} else := [input.query.container, "query.container"] if {
	input.endpoint == "container.commit"
}

# The documented label: an admin who creates a dangerous container on
# purpose (before the guard, or as an exempt identity) marks it so; the
# label has no effect on a container without hazards, and a socket holder
# cannot create a container with hazards.
allow_exec_label := "dood-guard.allow-exec"

# METADATA
# title: Reaching into a dangerous container
# description: >-
#   Refuses exec, attach, file copy (archive GET/HEAD/PUT, legacy copy),
#   export and commit of an existing container that is privileged,
#   bind-mounts a protected host path, mounts a host-option volume, shares a
#   host namespace or holds a dangerous capability. A container carrying the
#   label dood-guard.allow-exec=true is exempt.
# custom:
#   id: DG-STATE-005
#   endpoints: exec create, attach, archive get/head/put, copy, export, commit
#   why: >-
#     A process started in a privileged or host-mounted container, or files
#     written into one, act on the host; reading or exporting it copies out
#     the host files it mounts.
#   allow_by: >-
#     label the container dood-guard.allow-exec=true when it is created (only
#     whoever may create such a container can), connect as a TLS identity
#     listed in guard.exempt_users, or list DG-STATE-005 in
#     guard.disabled_rules
violation contains {"id": "DG-STATE-005", "msg": msg, "path": where} if {
	[ref, where] := reach_in_ref
	c := existing(ref)
	object.get(c, ["labels", allow_exec_label], "") != "true"
	count(hazards(c)) > 0
	msg := sprintf("%s container %s is not allowed: %s", [reach_in[input.endpoint], c.name, reasons(c)])
}
