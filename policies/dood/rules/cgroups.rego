# Where a container's cgroup is placed.
package dood.rules.cgroups

# METADATA
# title: Custom cgroup parent
# description: >-
#   Refuses HostConfig.CgroupParent, and a build's cgroupparent (the cgroup
#   the builder's RUN containers are placed under).
# custom:
#   id: DG-CGRP-001
#   endpoints: container create, legacy container start, build
#   why: >-
#     The cgroup parent places the container anywhere in the host's cgroup
#     tree: out of the limits and accounting the admin set for CI jobs, into
#     another service's slice, or (on cgroup v1) under a parent whose
#     controllers differ from the daemon's.
#   allow_by: list DG-CGRP-001 in guard.disabled_rules
violation contains {"id": "DG-CGRP-001", "msg": f.msg, "path": f.path} if {
	some f in cgroup_parents
	input.endpoint in {"container.create", "container.start", "build"}
}

cgroup_parents contains {"msg": sprintf("cgroup parent %q is not allowed: leave CgroupParent empty", [p.value]), "path": p.path} if {
	input.facts.cgroup_parent.value != ""
	p := input.facts.cgroup_parent
}

cgroup_parents contains {"msg": sprintf("builds with cgroupparent %q are not allowed: RUN steps would run outside the daemon's cgroup", [input.query.cgroupparent]), "path": "query.cgroupparent"} if {
	input.endpoint == "build"
	input.query.cgroupparent != ""
}

# METADATA
# title: Writable cgroup file system
# description: >-
#   Refuses the security option writable-cgroups (Docker 28) in every
#   spelling the daemon accepts: bare, or writable-cgroups=V /
#   writable-cgroups:V with any V that Go's strconv.ParseBool does not read
#   as false (so 1, t, T, TRUE, true, True, and anything the daemon would
#   reject anyway).
# custom:
#   id: DG-CGRP-002
#   endpoints: container create, legacy container start
#   why: >-
#     The container's /sys/fs/cgroup becomes writable: it can lift its own
#     memory, pid and device limits, and on cgroup v1 hosts a writable
#     hierarchy is the release_agent path to running a program as root on
#     the host.
#   allow_by: list DG-CGRP-002 in guard.disabled_rules
violation contains {"id": "DG-CGRP-002", "msg": msg, "path": o.path} if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.security_options[0]
	some o in input.facts.security_options
	input.endpoint in {"container.create", "container.start"}
	o.key == "writable-cgroups"
	not o.value in parse_bool_false
	msg := sprintf("security option writable-cgroups=%s is not allowed: it makes the cgroup file system writable in the container", [o.value])
}

# The spellings strconv.ParseBool reads as false.
parse_bool_false := {"0", "f", "F", "false", "FALSE", "False"}
