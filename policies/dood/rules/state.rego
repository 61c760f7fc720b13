# Requests that point at objects which already exist: the guard looks them up
# in the daemon (input.state, see docs/input.md and docs/state.md) and these
# rules judge what they are. A container or volume that exists was created
# before the guard, by an exempt identity, or under another policy; reaching
# through it gives what creating it would have given.
package dood.rules.state

import data.dood.lookups
import data.dood.rules.mounts
import data.dood.rules.namespaces

# The objects these rules judge, declared for lookups.rego: each one the
# guard did not report refuses the request (DG-STATE-001).
needs_state contains {"kind": "container", "ref": ref, "path": p} if {
	some [ref, p] in named_containers
}

needs_state contains {"kind": "volume", "ref": name, "path": p} if {
	some [name, p] in named_volumes
}

# The volumes an existing container mounts decide whether it is dangerous.
needs_state contains {"kind": "volume", "ref": m.name, "path": p} if {
	some [ref, p] in named_containers
	c := existing(ref)
	some m in c.mounts
	m.type == "volume"
	m.name != ""
}

# judges_create holds for the endpoints whose lookups include what a create
# names: a rule, evaluated once per request however many rules ask.
judges_create if lookups.looked_up("create")

# named_containers are the containers the request names, as [ref, path].
named_containers contains [ref, f.path] if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.volumes_from[0]
	some f in input.facts.volumes_from
	judges_create
	ref := split(f.value, ":")[0]
	ref != ""
}

named_containers contains [ref, j.path] if {
	some j in container_joins
	ref := substring(j.mode, count("container:"), -1)
	ref != ""
}

# The tables of endpoints open these rules (and reach_in_ref's users), so
# that for any other endpoint the path they name is not read at all: the
# engine then remembers a remove or an inspect of a container it has not
# seen by what it does read (plugin/engine, reads.go).
named_containers contains ref if {
	reach_in[input.endpoint]
	ref := reach_in_ref
}

named_containers contains [input.params.name, "params.name"] if {
	starts[input.endpoint]
	judged_start
	lookups.looked_up("container:params.name")
	input.params.name != ""
}

# container_joins are the pid, network and ipc namespaces a create joins
# from another container (namespaces.joins, which tests each namespace
# once per request).
container_joins contains j if {
	some j in namespaces.joins
	j.namespace in {"pid", "network", "ipc"}
	judges_create
}

# named_volumes are the named volumes a create mounts, as [name, path].
named_volumes contains [m.source, m.path] if {
	judges_create
	some m in input.facts.mounts
	m.type == "volume"
	m.source != ""
}

# hazards(c) says why an existing container is dangerous to reach into,
# join, take volumes from or start; empty when it is not. There is one
# notion of a dangerous container, for new and existing ones alike: one a
# create would be refused now. The state source renders an existing
# container as a create of it would be read ("body" and "facts", bind
# sources resolved on the host at this moment), and the library's container
# rules judge it; the volumes it mounts by name are judged as they exist.
hazards(c) := sort(array.concat(
	[r | some r in create_refusals(c)],
	[r | some r in volume_hazards(c)],
))

# create_refusals(c) are the container rules' refusals of c, as
# "message (ID)"; rules listed in guard.disabled_rules do not count.
create_refusals(c) := refusals if {
	is_object(c.body)
	is_object(c.facts)
	doc := as_create(c)
	vs := container_rule_violations with input as doc
	refusals := {sprintf("%s (%s)", [v.msg, v.id]) | some v in vs; not data.dood.disabled[v.id]}
} else := {"the state has no configuration for it (body and facts), so it cannot be judged"}

# as_create(c) is the create request that would make c as it is now. An
# update that sets a restart policy is judged with that policy.
as_create(c) := {
	"phase": "request", "method": "POST", "path": "/containers/create",
	"endpoint": "container.create", "api_version": input.api_version, "api_version_given": false,
	"user": input.user, "auth_method": input.auth_method, "params": {}, "query": {},
	"body": c.body, "facts": object.union(c.facts, new_restart_policy),
}

new_restart_policy := {"restart_policy": {"value": p, "path": "RestartPolicy.Name"}} if {
	input.endpoint == "container.update"
	p := object.get(input.body, ["RestartPolicy", "Name"], "")
	p != ""
} else := {}

# container_rule_violations are the violations of the packages that judge
# what a container is: privileges, mounts, devices, confinement,
# capabilities, namespaces, cgroups and its process. (Which image it runs,
# which endpoints may be called, and a team's own rules are not part of it.)
container_rule_violations contains v if some v in data.dood.rules.privileged.violation

container_rule_violations contains v if some v in data.dood.rules.mounts.violation

container_rule_violations contains v if some v in data.dood.rules.devices.violation

container_rule_violations contains v if some v in data.dood.rules.security.violation

container_rule_violations contains v if some v in data.dood.rules.capabilities.violation

container_rule_violations contains v if some v in data.dood.rules.namespaces.violation

container_rule_violations contains v if some v in data.dood.rules.cgroups.violation

container_rule_violations contains v if some v in data.dood.rules.process.violation

# The local volumes it mounts by name, judged as they exist (DG-MNT-002's
# test of their options): a create names the volume, not its options.
volume_hazards(c) := {sprintf("it mounts volume %s, %s", [m.name, reason]) |
	some m in c.mounts
	m.type == "volume"
	reason := host_volume(m.name)
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
violation contains {"id": "DG-STATE-002", "msg": msg, "path": p} if {
	# Nothing to judge unless some volume exists: one step for all of them.
	input.state.volumes[_].found == true
	some [name, p] in named_volumes
	reason := host_volume(name)
	note := concat("", [subpath_note(m) | some m in input.facts.mounts; m.type == "volume"; m.source == name; m.path == p])
	msg := sprintf("existing volume %s%s is a host mount and is not allowed: %s", [name, note, reason])
}

# A Subpath (API 1.45) mounts a directory inside the volume: inside a host
# bind, that is a host directory below the bound one.
subpath_note(m) := sprintf(" (Subpath %s)", [m.subpath]) if {
	object.get(m, "subpath", "") != ""
} else := ""

# METADATA
# title: Volumes from a dangerous container
# description: >-
#   Refuses HostConfig.VolumesFrom naming an existing dangerous container:
#   one a create would be refused now by the container rules (privileges,
#   mounts with bind sources resolved on the host now, devices,
#   confinement, capabilities, namespaces, cgroups, process), or that mounts
#   a host-option volume. The new container gets all of its mounts.
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
	input.facts.volumes_from[0]
	some f in input.facts.volumes_from
	judges_create
	ref := split(f.value, ":")[0]
	c := existing(ref)
	count(hazards(c)) > 0
	msg := sprintf("volumes from container %s are not allowed: %s", [c.name, reasons(c)])
}

# METADATA
# title: Joining the namespaces of a dangerous container
# description: >-
#   Refuses a pid, network or ipc mode "container:<ref>" naming an existing
#   dangerous container (as DG-STATE-003 defines it; a join of a container
#   in the host's namespace counts as the host's).
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
violation contains {"id": "DG-STATE-004", "msg": msg, "path": j.path} if {
	some j in container_joins
	c := existing(substring(j.mode, count("container:"), -1))
	count(hazards(c)) > 0
	msg := sprintf("joining the %s namespace of container %s is not allowed: %s", [j.namespace, c.name, reasons(c)])
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
	reach_in[input.endpoint]
	input.params.name != ""
	lookups.looked_up("container:params.name")
} else := [input.query.container, "query.container"] if {
	reach_in[input.endpoint]
	input.query.container != ""
	lookups.looked_up("container:query.container")
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
#   export and commit of an existing dangerous container (as DG-STATE-003
#   defines it: devices, device cgroup rules and confinement included). A
#   container carrying the label dood-guard.allow-exec=true is exempt.
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
	# Nothing to judge unless some container exists: one step for all.
	input.state.containers[_].found == true
	reach_in[input.endpoint]
	[ref, where] := reach_in_ref
	c := existing(ref)
	object.get(c, ["labels", allow_exec_label], "") != "true"
	count(hazards(c)) > 0
	msg := sprintf("%s container %s is not allowed: %s", [reach_in[input.endpoint], c.name, reasons(c)])
}

# Endpoints after which the daemon runs an existing container again, and
# how a message names what they do. Start and restart mount it afresh,
# resolving its bind sources on the host again; unpause lets a frozen one
# run; an update that sets a restart policy lets the daemon start it again
# later without asking anyone.
starts := {
	"container.start": "starting",
	"container.restart": "restarting",
	"container.unpause": "unpausing",
	"container.update": "setting a restart policy on",
}

# An update is judged only when it sets a restart policy ("no" or none
# stops automatic restarts).
judged_start if {
	starts[input.endpoint]
	input.endpoint != "container.update"
}

judged_start if {
	input.endpoint == "container.update"
	not object.get(input.body, ["RestartPolicy", "Name"], "") in {"", "no"}
}

# METADATA
# title: Starting a dangerous container
# description: >-
#   Refuses start, restart and unpause of an existing container, and an
#   update that gives it a restart policy, when a create of it would be
#   refused now: judged on its current configuration, with every bind
#   source (its own and those taken with VolumesFrom) resolved on the host
#   at this moment, and the local volumes it mounts as they exist. The
#   message names the create rules that refuse it.
# custom:
#   id: DG-STATE-006
#   endpoints: container start, restart, unpause, update (restart policy)
#   why: >-
#     dockerd resolves bind sources when it mounts, at every start: a
#     container created with -v /srv/ci/ws/x:/h while x was a directory gets
#     the host's root if x is a symlink to / when it starts. A container
#     created before the guard, by an exempt identity or under another
#     policy runs whatever it was made to run.
#   allow_by: >-
#     restore the bind source, remove the container, start it as a TLS
#     identity listed in guard.exempt_users (or from the host), or list
#     DG-STATE-006 in guard.disabled_rules
violation contains {"id": "DG-STATE-006", "msg": msg, "path": "params.name"} if {
	input.state.containers[_].found == true
	starts[input.endpoint]
	judged_start
	lookups.looked_up("container:params.name")
	c := existing(input.params.name)
	count(hazards(c)) > 0
	msg := sprintf("%s container %s is not allowed: %s", [starts[input.endpoint], c.name, reasons(c)])
}
