# Host devices, device cgroup rules and device requests.
package dood.rules.devices

import data.dood.lib

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
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.devices[0]
	some d in input.facts.devices
	input.endpoint in {"container.create", "container.start"}
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
	input.facts.device_cgroup_rules[0]
	some r in input.facts.device_cgroup_rules
	input.endpoint in {"container.create", "container.start"}
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
	input.facts.device_requests[0]
	some r in input.facts.device_requests
	input.endpoint in {"container.create", "container.start"}
	msg := sprintf("device request for driver %q is not allowed: it hands host devices to the container", [driver(r.driver)])
}

driver("") := "(default)"

driver(d) := d if d != ""

# METADATA
# title: CDI device not in the allow-list
# description: >-
#   Refuses a HostConfig.DeviceRequests entry naming a CDI device
#   (vendor.com/class=name) that guard.allowed_cdi_devices does not list (an
#   entry is a name, or a prefix when it ends in "*"): every device ID of the
#   "cdi" driver, and an ID holding "=" under any other driver, which Docker
#   29.2's CDI-backed nvidia and amd drivers pass through as a full CDI
#   name. Applies even where DG-DEV-003 is disabled for GPU jobs.
# custom:
#   id: DG-DEV-004
#   endpoints: container create, legacy container start
#   why: >-
#     A CDI spec on the host can inject any device node, bind-mount any host
#     path and add hooks that run as root on the host; a GPU host's specs
#     are not all meant for every container.
#   allow_by: >-
#     list the CDI name (or a prefix such as "nvidia.com/gpu=*") in
#     guard.allowed_cdi_devices, or list DG-DEV-004 in guard.disabled_rules
violation contains {"id": "DG-DEV-004", "msg": msg, "path": r.path} if {
	input.facts.device_requests[0]
	some r in input.facts.device_requests
	input.endpoint in {"container.create", "container.start"}
	some name in object.get(r, "cdi_devices", [])
	not lib.listed(name, data.guard.allowed_cdi_devices)
	msg := sprintf("CDI device %q is not allowed: it is not listed in guard.allowed_cdi_devices", [name])
}
