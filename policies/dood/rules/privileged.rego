# Privileged mode, for containers and for exec sessions.
package dood.rules.privileged

# METADATA
# title: Privileged containers
# description: >-
#   Refuses a container created (or, on old API versions, started) with
#   HostConfig.Privileged true.
# custom:
#   id: DG-PRIV-001
#   endpoints: container create, legacy container start
#   why: >-
#     A privileged container gets every capability, every host device and no
#     seccomp, AppArmor or SELinux confinement; root in it is root on the host.
#   allow_by: list DG-PRIV-001 in guard.disabled_rules
violation contains {"id": "DG-PRIV-001", "msg": "privileged containers are not allowed", "path": p.path} if {
	input.endpoint in {"container.create", "container.start"}
	p := input.facts.privileged
	p.value == true
}

# METADATA
# title: Privileged exec
# description: Refuses an exec created with Privileged true.
# custom:
#   id: DG-PRIV-002
#   endpoints: exec create
#   why: >-
#     A privileged exec process runs with every capability and without the
#     container's seccomp and LSM confinement, even in an unprivileged container.
#   allow_by: list DG-PRIV-002 in guard.disabled_rules
violation contains {"id": "DG-PRIV-002", "msg": "privileged exec is not allowed", "path": p.path} if {
	input.endpoint == "exec.create"
	p := input.facts.privileged
	p.value == true
}
