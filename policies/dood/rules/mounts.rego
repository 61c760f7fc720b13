# Host paths reaching a container: bind mounts, and local-driver volumes whose
# options make them bind or device mounts. Bind sources are judged as
# written (cleaned lexically, as dockerd cleans them) and as the host
# resolves them (host_source: symlinks followed inside the host root).
package dood.rules.mounts

import data.dood.lib

# METADATA
# title: Bind mount of a sensitive host path
# description: >-
#   Refuses a bind mount whose source is a protected host path
#   (guard.protected_paths and guard.extra_protected_paths), lies below one,
#   or contains one (so "/", "/var" and "/run" are refused because they hold
#   the docker socket or /var/lib/docker). Both the source as written and the
#   path it resolves to on the host are judged, so a symlink such as
#   /srv/ci/link -> /var/run does not help. Paths are compared on segments;
#   paths within guard.allowed_bind_paths are exempt. A source that is not a
#   clean absolute path is refused, since it cannot be judged.
# custom:
#   id: DG-MNT-001
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     The daemon socket, the daemon's state, /proc, /sys, /dev, /etc, home
#     directories, system binaries and the like give whoever writes or reads
#     them root on the host.
#   allow_by: >-
#     add the path (or a tree holding it) to guard.allowed_bind_paths, or list
#     DG-MNT-001 in guard.disabled_rules
violation contains {"id": "DG-MNT-001", "msg": msg, "path": m.path} if {
	some m in input.facts.mounts
	m.type == "bind"
	not plain_bind(m)
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	msg := bind_refusal(m)
}

# plain_bind(m) holds for a bind that bind_refusal cannot refuse, tested
# with a few builtins: its source is clean and not "/", resolves to itself
# on the host, and neither is or lies below a protected path
# (within_protected) nor holds one (exposes). Most binds are such, and
# bind_refusal, which builds the message, is not evaluated for them.
plain_bind(m) if {
	src := m.source
	src != "/"
	lib.clean_absolute(src)
	object.get(m, "host_source", src) == src
	key := concat("", [src, "/"])
	not strings.any_prefix_match(key, protected_keys)
	not strings.any_prefix_match(all_protected, key)
}

# The source as written is judged first; the host path only when it
# differs.
bind_refusal(m) := msg if {
	not allowed_bind(m.source)
	msg := path_refusal(m.source)
} else := msg if {
	host := host_source(m)
	host != m.source
	not allowed_bind(host)
	msg := sprintf("bind mount of host path %s is not allowed: it resolves to %s on the host, and %s", [m.source, host, exposure(host)])
}

# host_source is where the host resolves a bind source; the source itself
# when the guard does not resolve (or the input predates the fact).
host_source(m) := object.get(m, "host_source", m.source)

# allowed_bind(src): src, a clean path, is a path of
# guard.allowed_bind_paths or lies below one. One prefix match against the
# paths' directory keys (lib.dir_key), which depend on data only and so are
# computed once per policy load, not per request.
allowed_bind(src) if {
	lib.clean_absolute(src)
	strings.any_prefix_match(lib.dir_key(src), allowed_keys)
}

# An entry that is not a clean absolute path names nothing (the loader
# refuses such data; "" would otherwise key "/").
allowed_keys := [lib.dir_key(p) | some p in data.guard.allowed_bind_paths; lib.clean_absolute(p)]

# within_protected(src): a clean src is a protected path or lies below one.
within_protected(src) if strings.any_prefix_match(lib.dir_key(src), protected_keys)

protected_keys := [lib.dir_key(p) | some p in all_protected; lib.clean_absolute(p)]

protected_path(p) if p in data.guard.protected_paths

protected_path(p) if p in data.guard.extra_protected_paths

# ancestors(p) lists a clean path and every directory above it, from "/"
# down: "/srv/ci" gives "/", "/srv", "/srv/ci". Only messages need them.
ancestors("/") := ["/"]

ancestors(p) := array.concat(["/"], [concat("/", array.slice(parts, 0, i)) |
	some i in numbers.range(2, count(parts))
]) if {
	p != "/"
	parts := split(p, "/")
}

# below(src) lists the protected paths strictly below a clean path, in
# sorted order. It is only built for a message: exposes() decides with a
# builtin, so a harmless source costs no pass over the protected paths in
# Rego.
below("/") := sort([p | some p in all_protected; p != "/"])

below(src) := sort([p | some p in all_protected; startswith(p, prefix)]) if {
	src != "/"
	prefix := concat("", [src, "/"])
}

all_protected := array.concat(data.guard.protected_paths, data.guard.extra_protected_paths)

# exposes(src) holds when a protected path lies strictly below src.
exposes("/") if count(all_protected) > 0

exposes(src) if {
	src != "/"
	strings.any_prefix_match(all_protected, concat("", [src, "/"]))
}

path_refusal(src) := sprintf("bind mount source %q is not allowed: it is not a clean absolute path", [src]) if {
	not lib.clean_absolute(src)
} else := sprintf("bind mount of host path %s is not allowed: %s", [src, exposure(src)])

# exposure says why a clean path is protected; undefined when it is not. A
# path holding protected paths names one (a docker socket first); a path
# that is or lies below protected paths names the deepest of them.
exposure(src) := sprintf("it exposes %s", [first_exposed(below(src))]) if {
	exposes(src)
} else := sprintf("%s is a protected host path", [holders[count(holders) - 1]]) if {
	within_protected(src)
	holders := [a | some a in ancestors(src); protected_path(a)]
	count(holders) > 0
}

first_exposed(paths) := p if {
	sockets := [q | some q in paths; endswith(q, "/docker.sock")]
	p := array.concat(sockets, paths)[0]
}

# METADATA
# title: Local volume with host mount options
# description: >-
#   Refuses a volume of the local driver whose driver options bind a host path
#   (a "bind" or "rbind" word in "o") or mount a filesystem type other than
#   those in guard.allowed_local_volume_types (a host block device, procfs,
#   overlay over host directories...). Applies to volumes declared in a
#   container or a service (Mounts) and to POST /volumes/create, since a
#   volume created first can later be used by name. Option keys are matched
#   as the local driver reads them: exactly "type", "o" and "device".
# custom:
#   id: DG-MNT-002
#   endpoints: volume create, container create, service create/update
#   why: >-
#     The local driver mounts its options verbatim in the daemon's mount
#     namespace, so "-o type=none -o o=bind -o device=/" is a bind mount of the
#     host root that no bind-mount rule sees.
#   allow_by: >-
#     add the filesystem type to guard.allowed_local_volume_types (device
#     mounts), or list DG-MNT-002 in guard.disabled_rules
violation contains {"id": "DG-MNT-002", "msg": msg, "path": m.path} if {
	sets_mount_options
	some m in input.facts.mounts
	m.type == "volume"
	opts := object.get(m, "driver_options", {})

	# Most volumes set none of the options the local driver mounts with:
	# the rule ends here for them.
	object.filter(opts, ["o", "type", "device"]) != {}
	input.endpoint in {"container.create", "container.start", "service.create", "service.update", "volume.create"}
	object.get(m, "driver", "") in {"", "local"}
	msg := volume_refusal(opts)
}

# sets_mount_options holds when some mount gives its driver an option the
# local driver mounts with: one evaluation step for the mounts without
# options ([_] is walked inside one expression), where the rule above takes
# a few per mount. (An option whose value is false is skipped, which loses
# nothing: a refusal needs one of them to be a non-empty string.)
sets_mount_options if {
	input.facts.mounts[_].driver_options[key]
	key in {"o", "type", "device"}
}

volume_refusal(opts) := sprintf("local volume with o=%s is not allowed: it bind-mounts host path %s; bind a project directory instead", [o, device]) if {
	o := opt(opts, "o")
	some word in split(o, ",")
	word in {"bind", "rbind"}
	device := shown(opt(opts, "device"))
} else := sprintf("local volume mounting %q as type %q is not allowed: only %s mounts are allowed", [device, typ, concat(", ", data.guard.allowed_local_volume_types)]) if {
	typ := opt(opts, "type")
	device := opt(opts, "device")

	# the driver mounts something whenever type or device is set
	concat("", [typ, device]) != ""
	not typ in data.guard.allowed_local_volume_types
}

shown("") := "(none given)"

shown(s) := s if s != ""

opt(opts, key) := v if {
	v := opts[key]
	is_string(v)
} else := ""

# METADATA
# title: Bind mount of a unix socket
# description: >-
#   Refuses a bind mount whose source resolves, on the host, to a unix
#   socket (host_kind "socket"), whatever its name, unless the resolved path
#   is listed in guard.allowed_sockets. A socket under an unexpected name
#   (a runtime started with another socket path, a symlink or hard link to
#   docker.sock in a workspace) is still a runtime socket. A service's bind
#   sources are resolved on this host, where a single-node swarm runs its
#   tasks.
# custom:
#   id: DG-MNT-003
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     A unix socket is an API. The docker, containerd, cri-o, podman and
#     BuildKit sockets each start privileged containers for whoever can
#     write to them, so a container holding one is root on the host.
#   allow_by: >-
#     list the socket's host path (as the host resolves it) in
#     guard.allowed_sockets, or list DG-MNT-003 in guard.disabled_rules
violation contains {"id": "DG-MNT-003", "msg": msg, "path": m.path} if {
	# One step for every mount ([_] is walked inside one expression).
	input.facts.mounts[_].host_kind == "socket"
	some m in input.facts.mounts
	m.host_kind == "socket"
	m.type == "bind"
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	not m.host_source in data.guard.allowed_sockets
	msg := socket_refusal(m.source, m.host_source)
}

socket_refusal(src, src) := sprintf("bind mount of unix socket %s is not allowed: a container holding a runtime socket is root on the host; list it in guard.allowed_sockets if this socket is safe", [src])

socket_refusal(src, host) := sprintf("bind mount of %s is not allowed: it resolves to the unix socket %s on the host, and a container holding a runtime socket is root on the host; list it in guard.allowed_sockets if this socket is safe", [src, host]) if {
	src != host
}

# METADATA
# title: Bind mount that creates its source
# description: >-
#   Refuses a bind mount with BindOptions.CreateMountpoint (daemons from API
#   1.42) unless its source, as written and as resolved, lies within
#   guard.allowed_bind_paths. (Legacy Binds also create a missing source;
#   they are judged by DG-MNT-001 like any bind.)
# custom:
#   id: DG-MNT-004
#   endpoints: container create, service create/update
#   why: >-
#     With CreateMountpoint the daemon creates the missing source directory,
#     with its parents, as root on the host (following symlinks on the way),
#     which is a write to any host path the bind rules do not protect.
#   allow_by: >-
#     create the directory beforehand, add a tree holding it to
#     guard.allowed_bind_paths, or list DG-MNT-004 in guard.disabled_rules
violation contains {"id": "DG-MNT-004", "msg": msg, "path": m.path} if {
	input.facts.mounts[_].create_mountpoint == true
	some m in input.facts.mounts
	m.create_mountpoint == true
	m.type == "bind"
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	outside_allowed(m)
	msg := sprintf("bind mount with CreateMountpoint is not allowed for %s: the daemon would create it on the host as root; create the directory beforehand", [m.source])
}

outside_allowed(m) if not allowed_bind(m.source)

outside_allowed(m) if not allowed_bind(host_source(m))

# METADATA
# title: VolumesFrom (restricted)
# description: >-
#   Under the restricted profile, refuses HostConfig.VolumesFrom: the new
#   container gets every mount of another container, which the guard does
#   not see in the request.
# custom:
#   id: DG-MNT-005
#   profile: restricted
#   endpoints: container create, legacy container start
#   why: >-
#     A container created before the guard, by an exempt identity or under
#     another profile may bind the docker socket or /; VolumesFrom hands
#     those binds to the new container.
#   allow_by: >-
#     declare the volumes in the request instead, use the baseline profile,
#     or list DG-MNT-005 in guard.disabled_rules
violation contains {"id": "DG-MNT-005", "msg": msg, "path": v.path} if {
	data.guard.profile == "restricted"
	input.endpoint in {"container.create", "container.start"}
	some v in input.facts.volumes_from
	msg := sprintf("VolumesFrom %s is not allowed in the restricted profile: it copies mounts the guard cannot judge; declare the volumes instead", [v.value])
}

# METADATA
# title: Bind mount outside the allow-list (restricted)
# description: >-
#   Under the restricted profile, refuses every bind mount whose source, as
#   written or as resolved on the host, is not within
#   guard.allowed_bind_paths. Named volumes and tmpfs stay allowed.
# custom:
#   id: DG-MNT-006
#   profile: restricted
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     A deny-list of host paths cannot know every file on a host that
#     matters (credentials, other jobs' workspaces, service sockets under
#     /srv or /opt); the restricted profile binds only what the admin named.
#   allow_by: >-
#     add the tree to guard.allowed_bind_paths, or list DG-MNT-006 in
#     guard.disabled_rules
violation contains {"id": "DG-MNT-006", "msg": msg, "path": m.path} if {
	data.guard.profile == "restricted"
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	some m in input.facts.mounts
	m.type == "bind"
	outside_allowed(m)
	msg := sprintf("bind mount of host path %s is not allowed in the restricted profile: only paths within guard.allowed_bind_paths may be bound (%s)", [m.source, allow_list])
}

allow_list := "none are listed" if {
	count(data.guard.allowed_bind_paths) == 0
} else := concat(", ", data.guard.allowed_bind_paths)

# METADATA
# title: Restart policy on a bind source others can swap (restricted)
# description: >-
#   Under the restricted profile, refuses a restart policy (always,
#   unless-stopped, on-failure) on a container with a bind mount whose
#   source, as written or as resolved on the host, lies strictly below a
#   path of guard.allowed_bind_paths: every socket holder may bind that path
#   read-write and replace a directory on the way to the source with a
#   symlink. Binding an allowed path itself, or no restart policy, is fine.
#   An update that sets such a policy is refused as DG-STATE-006.
# custom:
#   id: DG-MNT-007
#   profile: restricted
#   endpoints: container create, legacy container start
#   why: >-
#     dockerd resolves bind sources again at every automatic restart (the
#     process exits, the daemon restarts), and an automatic restart makes no
#     API call the guard could judge: a component swapped for a symlink to /
#     in between gives the restarted container the host's root.
#   allow_by: >-
#     bind the allowed path itself (or list the source's directory in
#     guard.allowed_bind_paths only where no socket holder can write above
#     it), drop the restart policy, or list DG-MNT-007 in
#     guard.disabled_rules
violation contains {"id": "DG-MNT-007", "msg": msg, "path": m.path} if {
	lib.restricted
	input.endpoint in {"container.create", "container.start"}
	policy := object.get(input.facts, ["restart_policy", "value"], "")
	not policy in {"", "no"}
	some m in input.facts.mounts
	m.type == "bind"
	above := swappable(m)
	count(above) > 0
	msg := sprintf("restart policy %q is not allowed in the restricted profile with a bind of %s: %s may be bound by any socket holder, who can replace a directory below it with a symlink before an automatic restart, which the guard never sees; bind %s itself or drop the restart policy", [policy, m.source, above[0], above[0]])
}

# swappable(m) lists, sorted, the allowed bind paths strictly above the
# bind's source as written or as resolved: a socket holder may bind them
# read-write and so rename or replace anything below them.
swappable(m) := sort({a |
	some src in {m.source, host_source(m)}
	lib.clean_absolute(src)
	some a in ancestors(src)
	a != src
	allowed_bind(a)
})
