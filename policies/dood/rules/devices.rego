# Host devices and device cgroup rules.
package dood.rules.devices

# METADATA
# title: Host devices
# description: Refuses any HostConfig.Devices entry.
# custom:
#   id: DG-DEV-001
#   why: >-
#     A host block device (a disk) or /dev/mem-like device gives raw access to
#     the host's data and memory.
#   allow_by: list DG-DEV-001 in guard.disabled_rules
violation contains {"id": "DG-DEV-001", "msg": sprintf("host device %s is not allowed", [d.path_on_host]), "path": d.path} if {
	some d in input.facts.devices
}

# METADATA
# title: Device cgroup rules
# description: Refuses any HostConfig.DeviceCgroupRules entry.
# custom:
#   id: DG-DEV-002
#   why: >-
#     A device cgroup rule lets the container open device nodes it can create
#     with mknod (which Docker grants by default), e.g. the host's disks.
#   allow_by: list DG-DEV-002 in guard.disabled_rules
violation contains {"id": "DG-DEV-002", "msg": sprintf("device cgroup rule %q is not allowed", [r.value]), "path": r.path} if {
	some r in input.facts.device_cgroup_rules
}
