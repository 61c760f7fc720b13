# Host namespaces, and namespaces joined from other containers.
package dood.rules.namespaces

import data.dood.lib

# METADATA
# title: Host namespaces
# description: >-
#   Refuses the host's pid, network, ipc, uts or user namespace (the
#   effective mode, with the daemon's version defaults applied); a service
#   attached to the host network (or to a network target that could be the
#   host network's ID); and a build with networkmode=host, whose RUN steps
#   run in the host's network namespace.
# custom:
#   id: DG-NS-001
#   endpoints: container create, legacy container start, service create/update, build
#   why: >-
#     Host pid exposes every host process (and /proc/1/root with ptrace);
#     host network reaches host-only services and the daemon's TCP ports; host
#     ipc, uts and user namespaces drop the corresponding isolation. (The
#     host cgroup namespace is DG-NS-003, restricted only.)
#   allow_by: list DG-NS-001 in guard.disabled_rules
violation contains {"id": "DG-NS-001", "msg": f.msg, "path": f.path} if {
	some f in host_namespaces
	input.endpoint in {"container.create", "container.start", "service.create", "service.update", "build"}
}

# The members of input.facts.namespaces are fixed (docs/input.md), and each
# is tested by a rule of its own: a test of one input field against a
# constant, which OPA's rule index makes without evaluating the rule, so a
# request sharing no namespace costs no evaluation step here.
host_namespaces contains host_namespace("pid") if input.facts.namespaces.pid.mode == "host"

host_namespaces contains host_namespace("network") if input.facts.namespaces.network.mode == "host"

host_namespaces contains host_namespace("ipc") if input.facts.namespaces.ipc.mode == "host"

host_namespaces contains host_namespace("uts") if input.facts.namespaces.uts.mode == "host"

host_namespaces contains host_namespace("user") if input.facts.namespaces.user.mode == "host"

host_namespace(name) := {"msg": sprintf("host %s namespace is not allowed", [name]), "path": input.facts.namespaces[name].path}

# METADATA
# title: Host cgroup namespace (restricted)
# description: >-
#   Under the restricted profile, refuses the host's cgroup namespace: asked
#   for (CgroupnsMode "host"), or given by the daemon's default for API
#   versions below 1.41 on cgroup v1 hosts. The baseline profile allows it.
#   (At API 1.41 and later a cgroup v1 daemon's own default,
#   default-cgroupns-mode, is the host's too; the request does not show it.)
# custom:
#   id: DG-NS-003
#   profile: restricted
#   endpoints: container create, legacy container start
#   why: >-
#     The host's cgroup namespace shows the host's cgroup paths in
#     /proc/self/cgroup and /sys/fs/cgroup. It is no way out by itself (the
#     cgroup file system stays read-only without CAP_SYS_ADMIN), but it is
#     less isolation than a private namespace, and the host's layout helps
#     an attacker who already has another foothold.
#   allow_by: >-
#     ask for CgroupnsMode "private" (docker run --cgroupns=private), use the
#     baseline profile, or list DG-NS-003 in guard.disabled_rules
violation contains {"id": "DG-NS-003", "msg": msg, "path": ns.path} if {
	lib.restricted
	input.endpoint in {"container.create", "container.start"}
	ns := input.facts.namespaces.cgroup
	ns.mode == "host"
	msg := "host cgroup namespace is not allowed in the restricted profile: ask for a private one (--cgroupns=private)"
}

# A service's network target is resolved by the daemon as a swarm network
# ID, name or ID prefix, then as a local network: "host", its ID, or any
# prefix of it reaches the host network.
host_namespaces contains {"msg": "a service on the host network is not allowed: its tasks would share the host's network namespace", "path": n.path} if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.networks[0]
	some n in input.facts.networks
	n.target == "host"
}

host_namespaces contains {"msg": msg, "path": n.path} if {
	input.facts.networks[0]
	some n in input.facts.networks
	n.target != "host"
	regex.match(`^[0-9a-z]+$`, n.target)
	msg := sprintf("service network %q is not allowed: the daemon would also read it as a network ID prefix, which can name the host network; use the network's full name (names with '-', '_' or '.' cannot be IDs)", [n.target])
}

host_namespaces contains {"msg": "builds with networkmode=host are not allowed: RUN steps would share the host's network namespace", "path": "query.networkmode"} if {
	input.endpoint == "build"
	input.query.networkmode == "host"
}

# METADATA
# title: Namespace joined from another container
# description: >-
#   Refuses "container:<name>" in PidMode, IpcMode or NetworkMode (and a
#   build's networkmode) unless the namespace is listed in
#   guard.allowed_namespace_joins. The baseline profile also allows network
#   joins, which Compose uses for network_mode "service:..."; the restricted
#   profile allows only what the list names.
# custom:
#   id: DG-NS-002
#   endpoints: container create, legacy container start, build
#   why: >-
#     The guard sees only the request, not the container it joins: joining a
#     container that runs in the host's pid, ipc or network namespace (a
#     monitoring agent, a container created before the guard) is joining the
#     host's; a pid join also exposes the other container's processes and
#     their /proc/PID/root.
#   allow_by: >-
#     list the namespace (pid, ipc or network) in
#     guard.allowed_namespace_joins, or list DG-NS-002 in
#     guard.disabled_rules
violation contains {"id": "DG-NS-002", "msg": msg, "path": j.path} if {
	some j in joins
	input.endpoint in {"container.create", "container.start", "build"}
	not join_allowed[j.namespace]
	msg := sprintf("joining the %s namespace of another container (%s) is not allowed: the guard cannot see what that container shares with the host", [j.namespace, j.mode])
}

# joins are the namespaces joined from another container, one rule per
# member of input.facts.namespaces as for host_namespaces (OPA's rule index
# tests a constant prefix too). The state rules judge the same joins.
joins contains join("pid") if startswith(input.facts.namespaces.pid.mode, "container:")

joins contains join("network") if startswith(input.facts.namespaces.network.mode, "container:")

joins contains join("ipc") if startswith(input.facts.namespaces.ipc.mode, "container:")

joins contains join("uts") if startswith(input.facts.namespaces.uts.mode, "container:")

joins contains join("user") if startswith(input.facts.namespaces.user.mode, "container:")

joins contains join("cgroup") if startswith(input.facts.namespaces.cgroup.mode, "container:")

join(name) := {"namespace": name, "mode": ns.mode, "path": ns.path} if {
	ns := input.facts.namespaces[name]
}

joins contains {"namespace": "network", "mode": input.query.networkmode, "path": "query.networkmode"} if {
	input.endpoint == "build"
	startswith(input.query.networkmode, "container:")
}

join_allowed := {ns | some ns in data.guard.allowed_namespace_joins} | baseline_joins

baseline_joins := {"network"} if {
	not lib.restricted
} else := set()
