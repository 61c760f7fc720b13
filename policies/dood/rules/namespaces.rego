# Host namespaces.
package dood.rules.namespaces

# METADATA
# title: Host namespaces
# description: >-
#   Refuses the host's pid, network, ipc, uts, user or cgroup namespace (the
#   effective mode, with the daemon's version defaults applied).
# custom:
#   id: DG-NS-001
#   why: >-
#     Host pid exposes every host process (and /proc/1/root with ptrace);
#     host network reaches host-only services and the daemon's TCP ports; host
#     ipc, uts, user and cgroup namespaces drop the corresponding isolation.
#   allow_by: list DG-NS-001 in guard.disabled_rules
violation contains {"id": "DG-NS-001", "msg": sprintf("host %s namespace is not allowed", [name]), "path": ns.path} if {
	some name, ns in input.facts.namespaces
	ns.mode == "host"
}
