# Host devices, device cgroup rules and device requests.
package dood.rules.devices

# METADATA
# title: Host devices
# description: >-
#   Refuses any HostConfig.Devices entry (a device node, or a directory of
#   them given as PathOnHost).
# custom:
#   id: DG-DEV-001
#   endpoints: container create, legacy container start
#   why: >-
#     A host block device (a disk) or /dev/mem-like device gives raw access to
#     the host's data and memory; a directory PathOnHost hands over every
#     device below it.
#   allow_by: list DG-DEV-001 in guard.disabled_rules
violation contains {"id": "DG-DEV-001", "msg": sprintf("host device %s is not allowed", [d.path_on_host]), "path": d.path} if {
	input.endpoint in {"container.create", "container.start"}
	some d in input.facts.devices
}

# METADATA
# title: Device cgroup rules
# description: Refuses any HostConfig.DeviceCgroupRules entry.
# custom:
#   id: DG-DEV-002
#   endpoints: container create, legacy container start
#   why: >-
#     A device cgroup rule lets the container open device nodes it can create
#     with mknod (which Docker grants by default), e.g. the host's disks.
#   allow_by: list DG-DEV-002 in guard.disabled_rules
violation contains {"id": "DG-DEV-002", "msg": sprintf("device cgroup rule %q is not allowed", [r.value]), "path": r.path} if {
	input.endpoint in {"container.create", "container.start"}
	some r in input.facts.device_cgroup_rules
}

# METADATA
# title: Device requests
# description: >-
#   Refuses any HostConfig.DeviceRequests entry (--gpus, or a driver's
#   devices by capability).
# custom:
#   id: DG-DEV-003
#   endpoints: container create, legacy container start
#   why: >-
#     A device request makes the runtime's hook (e.g. the NVIDIA container
#     toolkit) run as root on the host and hand host devices and driver
#     files to the container; such hooks have had container escapes of their
#     own.
#   allow_by: list DG-DEV-003 in guard.disabled_rules (hosts that run GPU jobs)
violation contains {"id": "DG-DEV-003", "msg": msg, "path": r.path} if {
	input.endpoint in {"container.create", "container.start"}
	some r in input.facts.device_requests
	msg := sprintf("device request for driver %q is not allowed: it hands host devices to the container", [driver(r.driver)])
}

driver("") := "(default)"

driver(d) := d if d != ""
