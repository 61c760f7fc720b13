package dood.rules.devices_test

import data.dood.fixtures as fx

test_host_device_denied if {
	inp := fx.create({"devices": [{"path_on_host": "/dev/sda", "path_in_container": "/dev/xvda", "permissions": "rwm", "path": "HostConfig.Devices[0]"}]})
	fx.decide(inp).violations == [{"id": "DG-DEV-001", "msg": "host device /dev/sda is not allowed", "path": "HostConfig.Devices[0]"}]
}

test_every_device_reported if {
	inp := fx.create({"devices": [
		{"path_on_host": "/dev/fuse", "path_in_container": "/dev/fuse", "permissions": "rwm", "path": "HostConfig.Devices[0]"},
		{"path_on_host": "/dev/mem", "path_in_container": "/dev/mem", "permissions": "r", "path": "HostConfig.Devices[1]"},
	]})
	fx.violations(inp, "DG-DEV-001") == {
		["host device /dev/fuse is not allowed", "HostConfig.Devices[0]"],
		["host device /dev/mem is not allowed", "HostConfig.Devices[1]"],
	}
}

test_device_cgroup_rule_denied if {
	inp := fx.create({"device_cgroup_rules": [{"value": "b 8:* rmw", "path": "HostConfig.DeviceCgroupRules[0]"}]})
	fx.decide(inp).violations == [{"id": "DG-DEV-002", "msg": "device cgroup rule \"b 8:* rmw\" is not allowed", "path": "HostConfig.DeviceCgroupRules[0]"}]
}

test_no_devices_allowed if {
	fx.ids(fx.cli_create) == set()
	fx.ids(fx.create({"devices": [], "device_cgroup_rules": []})) == set()
}

test_device_directory_denied if {
	inp := fx.create({"devices": [{"path_on_host": "/dev/bus/usb", "path_in_container": "/dev/bus/usb", "permissions": "rwm", "path": "HostConfig.Devices[0]"}]})
	fx.ids(inp) == {"DG-DEV-001"}
}

gpu(driver) := fx.create({"device_requests": [{"driver": driver, "count": -1, "device_ids": [], "capabilities": [["gpu"]], "path": "HostConfig.DeviceRequests[0]"}]})

test_device_request_denied if {
	fx.decide(gpu("")).violations == [{"id": "DG-DEV-003", "msg": "device request for driver \"(default)\" is not allowed: it hands host devices to the container", "path": "HostConfig.DeviceRequests[0]"}]
	fx.violations(gpu("nvidia"), "DG-DEV-003") == {["device request for driver \"nvidia\" is not allowed: it hands host devices to the container", "HostConfig.DeviceRequests[0]"]}
}

test_no_device_requests_allowed if {
	fx.ids(fx.create({"device_requests": []})) == set()
	fx.ids(gpu("nvidia")) == set() with data.guard.disabled_rules as ["DG-DEV-003"]
}
