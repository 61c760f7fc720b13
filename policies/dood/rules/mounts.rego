# Host paths reaching a container: bind mounts, and local-driver volumes whose
# options make them bind or device mounts.
package dood.rules.mounts

import data.dood.lib

# METADATA
# title: Bind mount of a sensitive host path
# description: >-
#   Refuses a bind mount whose source is a protected host path
#   (guard.protected_paths), lies below one, or contains one (so "/", "/var"
#   and "/run" are refused because they hold the docker socket or
#   /var/lib/docker). Paths are compared on segments; paths within
#   guard.allowed_bind_paths are exempt. A source that is not a clean absolute
#   path is refused, since it cannot be judged.
# custom:
#   id: DG-MNT-001
#   why: >-
#     The daemon socket, the daemon's state, /proc, /sys, /dev, /etc, system
#     binaries and the like give whoever writes or reads them root on the host.
#   allow_by: >-
#     add the path (or a tree holding it) to guard.allowed_bind_paths, or list
#     DG-MNT-001 in guard.disabled_rules
violation contains {"id": "DG-MNT-001", "msg": msg, "path": m.path} if {
	some m in input.facts.mounts
	m.type == "bind"
	not allowed_bind(m.source)
	msg := bind_refusal(m.source)
}

allowed_bind(src) if {
	lib.clean_absolute(src)
	some a in data.guard.allowed_bind_paths
	lib.clean_absolute(a)
	lib.within(src, a)
}

# dir_key(p) is p with one trailing slash: "/etc/" and "/". For clean
# paths, dir_key(a) is a prefix of dir_key(b) exactly when b is a or lies
# below it, so one startswith compares whole segments.
dir_key(p) := concat("", [trim_suffix(p, "/"), "/"])

# protected_keys maps each protected path's dir_key to the path; a rule, so
# it is built once per evaluation, not once per mount.
protected_keys := {dir_key(p): p | some p in data.guard.protected_paths}

# Protected paths strictly below the source, docker sockets first.
exposed(src) := array.concat(
	[p | some k, p in protected_keys; startswith(k, key); k != key; endswith(p, "/docker.sock")],
	[p | some k, p in protected_keys; startswith(k, key); k != key; not endswith(p, "/docker.sock")],
) if {
	key := dir_key(src)
}

# Protected paths that are the source or hold it.
holding(src) := [p | some k, p in protected_keys; startswith(key, k)] if {
	key := dir_key(src)
}

bind_refusal(src) := sprintf("bind mount source %q is not allowed: it is not a clean absolute path", [src]) if {
	not lib.clean_absolute(src)
} else := sprintf("bind mount of host path %s is not allowed: it exposes %s", [src, exposed(src)[0]]) if {
	count(exposed(src)) > 0
} else := sprintf("bind mount of host path %s is not allowed: %s is a protected host path", [src, most_specific(holding(src))]) if {
	count(holding(src)) > 0
}

# most_specific picks the deepest of the protected paths holding a source:
# they all lie on one line from "/", so the longest is the deepest.
most_specific(paths) := p if {
	longest := max({count(q) | some q in paths})
	p := min({q | some q in paths; count(q) == longest})
}

# METADATA
# title: Local volume with host mount options
# description: >-
#   Refuses a volume of the local driver whose driver options bind a host path
#   (a "bind" or "rbind" word in "o") or mount a filesystem type other than
#   those in guard.allowed_local_volume_types (a host block device, procfs,
#   overlay over host directories...). Applies to volumes declared in a
#   container (HostConfig.Mounts) and to POST /volumes/create, since a volume
#   created first can later be used by name. Option keys are matched as the
#   local driver reads them: exactly "type", "o" and "device".
# custom:
#   id: DG-MNT-002
#   why: >-
#     The local driver mounts its options verbatim in the daemon's mount
#     namespace, so "-o type=none -o o=bind -o device=/" is a bind mount of the
#     host root that no bind-mount rule sees.
#   allow_by: >-
#     add the filesystem type to guard.allowed_local_volume_types (device
#     mounts), or list DG-MNT-002 in guard.disabled_rules
violation contains {"id": "DG-MNT-002", "msg": msg, "path": m.path} if {
	some m in input.facts.mounts
	m.type == "volume"
	object.get(m, "driver", "") in {"", "local"}
	msg := volume_refusal(object.get(m, "driver_options", {}))
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
