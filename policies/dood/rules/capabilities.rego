# Capabilities added to a container or a service's tasks.
package dood.rules.capabilities

# METADATA
# title: Dangerous added capability
# description: >-
#   Refuses added capabilities (HostConfig.CapAdd, a service's
#   ContainerSpec.CapabilityAdd) listed in guard.dangerous_capabilities,
#   with names as the daemon normalises them (upper-case, CAP_ prefix, or
#   ALL), unless listed in guard.allowed_capabilities. Capabilities in
#   Docker's default set (CHOWN, DAC_OVERRIDE, SETFCAP, NET_BIND_SERVICE...)
#   stay allowed, so "--cap-drop ALL --cap-add ..." works.
# custom:
#   id: DG-CAP-001
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     SYS_ADMIN mounts filesystems, DAC_READ_SEARCH opens host files by
#     handle, SYS_MODULE loads kernel modules, SYS_PTRACE/BPF/PERFMON/SYS_RAWIO
#     reach the kernel or other processes; each is a known way out.
#   allow_by: >-
#     list the capability in guard.allowed_capabilities (or remove it from
#     guard.dangerous_capabilities), or list DG-CAP-001 in
#     guard.disabled_rules
violation contains {"id": "DG-CAP-001", "msg": msg, "path": c.path} if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.capabilities.add[0]
	some c in input.facts.capabilities.add
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	c.value in data.guard.dangerous_capabilities
	not c.value in data.guard.allowed_capabilities
	msg := refusal(c.value)
}

refusal("ALL") := "adding ALL capabilities is not allowed; add only the capabilities the workload needs"

refusal(cap) := sprintf("adding capability %s is not allowed", [cap]) if cap != "ALL"

# METADATA
# title: Any added capability (restricted)
# description: >-
#   Under the restricted profile, refuses every added capability that is not
#   listed in guard.allowed_capabilities, dangerous or not.
# custom:
#   id: DG-CAP-002
#   profile: restricted
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     Capabilities beyond Docker's default set widen the kernel surface a
#     container reaches; the restricted profile grants none it was not told
#     to.
#   allow_by: >-
#     list the capability in guard.allowed_capabilities, or list DG-CAP-002
#     in guard.disabled_rules
violation contains {"id": "DG-CAP-002", "msg": msg, "path": c.path} if {
	data.guard.profile == "restricted"
	input.facts.capabilities.add[0]
	some c in input.facts.capabilities.add
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	not c.value in data.guard.allowed_capabilities
	msg := sprintf("adding capability %s is not allowed in the restricted profile; drop it, or ask for it to be listed in guard.allowed_capabilities", [c.value])
}
