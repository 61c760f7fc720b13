# The process a container or exec runs: its working directory and its user.
package dood.rules.process

import data.dood.lib

# METADATA
# title: Working directory through /proc
# description: >-
#   Refuses a working directory (container WorkingDir, exec WorkingDir, a
#   service's ContainerSpec.Dir) under /proc, under /dev/fd or the
#   /dev/std* links to it, or with a ".." segment (which could climb into
#   them).
# custom:
#   id: DG-WD-001
#   endpoints: container create, exec create, service create/update
#   why: >-
#     runc before 1.1.12 leaked a host directory's file descriptor into the
#     container (CVE-2024-21626): a working directory of /proc/self/fd/N
#     starts the process in the host's file system. No real workload runs
#     in /proc.
#   allow_by: list DG-WD-001 in guard.disabled_rules
violation contains {"id": "DG-WD-001", "msg": msg, "path": w.path} if {
	some w in working_dirs
	input.endpoint in {"container.create", "exec.create", "service.create", "service.update"}
	escape_shape(lib.segments(w.value))
	msg := sprintf("working directory %q is not allowed: it reaches open file descriptors or other roots through /proc (the CVE-2024-21626 shape); use a directory of the image", [w.value])
}

working_dirs contains {"value": wd, "path": "WorkingDir"} if {
	wd := input.body.WorkingDir
	wd != ""
	input.endpoint == "container.create"
	is_string(wd)
}

working_dirs contains w if {
	w := input.facts.working_dir
	w.value != ""
	is_string(w.value)
}

escape_shape(segs) if "proc" == segs[0]

escape_shape(segs) if {
	segs[0] == "dev"
	segs[1] in {"fd", "stdin", "stdout", "stderr"}
}

escape_shape(segs) if ".." in segs

# METADATA
# title: Root user (restricted)
# description: >-
#   Under the restricted profile, refuses a container create or exec whose
#   user resolves to root: User empty (the image's default, usually root),
#   "root", or uid 0 in any spelling the runtime accepts ("0", "+0", "-0",
#   "000", "0:0", "0:anything", ":1000", whose empty user part is uid 0).
#   The guard reads User as the runtime does (moby/sys/user) and judges the
#   uid, not the text. It also refuses a user name other than root: a name
#   is resolved from the image's /etc/passwd, which the guard does not read
#   and the image's author writes (any name can be uid 0). User must be a
#   numeric non-zero uid (such as 1000 or 1000:1000).
# custom:
#   id: DG-USER-001
#   profile: restricted
#   endpoints: container create, exec create
#   why: >-
#     Root in a container is root on the host's kernel: every kernel or
#     runtime bug that crosses the namespace boundary starts from uid 0,
#     and root owns every file a bind mount exposes.
#   allow_by: >-
#     set User to a numeric non-root uid, use the baseline profile, or list
#     DG-USER-001 in guard.disabled_rules
violation contains {"id": "DG-USER-001", "msg": msg, "path": u.path} if {
	data.guard.profile == "restricted"
	input.endpoint in {"container.create", "exec.create"}
	u := input.facts.user
	msg := user_refusal(u)
}

# facts.user is {"value", "path", "uid", "name"}: uid is the resolved uid
# of a numeric user part (null otherwise), name a user part that is a name.
user_refusal(u) := sprintf("running as root (User %q) is not allowed in the restricted profile: set User to a non-root uid such as 1000:1000", [u.value]) if {
	root_user(u)
} else := sprintf("User %q is not allowed in the restricted profile: the name %q is resolved from the image's /etc/passwd, which the guard does not read and which can give any name uid 0; set User to a numeric uid such as 1000:1000", [u.value, u.name]) if {
	u.name != ""
} else := sprintf("User %q is not allowed in the restricted profile: it is no uid the runtime accepts; set User to a numeric uid such as 1000:1000", [u.value]) if {
	u.uid == null
}

# The image's user (an exec's: the container's), unknown here and root
# unless the image says otherwise.
root_user(u) if u.value == ""

root_user(u) if u.uid == 0

root_user(u) if u.name == "root"
