# Capabilities added to a container.
package dood.rules.capabilities

# METADATA
# title: Dangerous added capability
# description: >-
#   Refuses HostConfig.CapAdd entries listed in guard.dangerous_capabilities
#   (names as the daemon normalises them: upper-case, CAP_ prefix, or ALL).
#   Capabilities in Docker's default set (CHOWN, DAC_OVERRIDE, SETFCAP,
#   NET_BIND_SERVICE...) stay allowed, so "--cap-drop ALL --cap-add ..." works.
# custom:
#   id: DG-CAP-001
#   why: >-
#     SYS_ADMIN mounts filesystems, DAC_READ_SEARCH opens host files by
#     handle, SYS_MODULE loads kernel modules, SYS_PTRACE/BPF/PERFMON/SYS_RAWIO
#     reach the kernel or other processes; each is a known way out.
#   allow_by: >-
#     remove the capability from guard.dangerous_capabilities, or list
#     DG-CAP-001 in guard.disabled_rules
violation contains {"id": "DG-CAP-001", "msg": msg, "path": c.path} if {
	some c in input.facts.capabilities.add
	c.value in data.guard.dangerous_capabilities
	msg := refusal(c.value)
}

refusal("ALL") := "adding ALL capabilities is not allowed; add only the capabilities the workload needs"

refusal(cap) := sprintf("adding capability %s is not allowed", [cap]) if cap != "ALL"
