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
	input.endpoint in {"container.create", "container.start", "build"}
	some f in cgroup_parents
}

cgroup_parents contains {"msg": sprintf("cgroup parent %q is not allowed: leave CgroupParent empty", [p.value]), "path": p.path} if {
	p := input.facts.cgroup_parent
	p.value != ""
}

cgroup_parents contains {"msg": sprintf("builds with cgroupparent %q are not allowed: RUN steps would run outside the daemon's cgroup", [input.query.cgroupparent]), "path": "query.cgroupparent"} if {
	input.endpoint == "build"
	input.query.cgroupparent != ""
}
