# Rules for request fields added after API 1.41: writable cgroups, CDI
# devices, endpoint sysctls, and the newer mount options.
package dood.rules.newer_test

import data.dood.fixtures as fx

# --- DG-CGRP-002: writable-cgroups in every spelling the daemon accepts ---

test_writable_cgroups_true_spellings_denied if {
	every o in ["writable-cgroups=true", "writable-cgroups=1", "writable-cgroups=t", "writable-cgroups=T", "writable-cgroups=TRUE", "writable-cgroups=True", "writable-cgroups:true"] {
		fx.ids(fx.security_opts([o])) == {"DG-CGRP-002"}
	}
}

test_writable_cgroups_bare_denied if {
	# the plugin parses a bare "writable-cgroups" as key writable-cgroups, value true
	inp := fx.create_hc({"SecurityOpt": ["writable-cgroups"]}, {"security_options": [{"key": "writable-cgroups", "value": "true", "path": "HostConfig.SecurityOpt[0]"}]})
	fx.decide(inp).violations == [{
		"id": "DG-CGRP-002",
		"msg": "security option writable-cgroups=true is not allowed: it makes the cgroup file system writable in the container",
		"path": "HostConfig.SecurityOpt[0]",
	}]
}

test_writable_cgroups_false_allowed if {
	every o in ["writable-cgroups=false", "writable-cgroups=0", "writable-cgroups=f", "writable-cgroups=F", "writable-cgroups=FALSE", "writable-cgroups:False"] {
		fx.ids(fx.security_opts([o])) == set()
	}
}

test_writable_cgroups_unparsable_denied if {
	# the daemon refuses these; the guard does not guess
	fx.ids(fx.security_opts(["writable-cgroups=yes"])) == {"DG-CGRP-002"}
}

# --- DG-DEV-004: CDI device names ---

devreq(driver, ids, cdi) := fx.create({"device_requests": [{
	"driver": driver, "count": 0, "device_ids": ids, "capabilities": [["gpu"]],
	"cdi_devices": cdi, "path": "HostConfig.DeviceRequests[0]",
}]})

with_cdi(inp, disabled, allowed) := d if {
	d := fx.decide(inp) with data.guard.disabled_rules as disabled with data.guard.allowed_cdi_devices as allowed
}

test_cdi_driver_denied if {
	fx.ids(devreq("cdi", ["vendor.com/class=x"], ["vendor.com/class=x"])) == {"DG-DEV-003", "DG-DEV-004"}
	fx.violations(devreq("cdi", ["vendor.com/class=x"], ["vendor.com/class=x"]), "DG-DEV-004") == {["CDI device \"vendor.com/class=x\" is not allowed: it is not listed in guard.allowed_cdi_devices", "HostConfig.DeviceRequests[0]"]}
}

# A GPU host disables DG-DEV-003; a CDI name through the nvidia driver
# (Docker 29.2) is still judged.
test_cdi_name_through_gpu_driver_denied_on_gpu_host if {
	d := with_cdi(devreq("nvidia", ["0", "evil.com/host=root"], ["evil.com/host=root"]), ["DG-DEV-003"], ["nvidia.com/gpu=*"])
	{v.id | some v in d.violations} == {"DG-DEV-004"}
}

test_listed_cdi_and_plain_gpu_allowed_on_gpu_host if {
	with_cdi(devreq("nvidia", ["0"], []), ["DG-DEV-003"], []).allow
	with_cdi(devreq("cdi", ["nvidia.com/gpu=0"], ["nvidia.com/gpu=0"]), ["DG-DEV-003"], ["nvidia.com/gpu=*"]).allow
}

# --- DG-NET-001: endpoint sysctls ---

sysctl(raw, endpoint) := {
	"name": split(raw, "=")[0], "value": "1", "raw": raw, "endpoint": endpoint, "network": "ci",
	"path": "NetworkingConfig.EndpointsConfig[\"ci\"].DriverOpts[\"com.docker.network.endpoint.sysctls\"]",
}

with_sysctls(list) := fx.create({"sysctls": list})

test_interface_sysctls_allowed if {
	fx.decide(with_sysctls([
		sysctl("net.ipv4.conf.IFNAME.forwarding=1", true),
		sysctl("net.ipv6.conf.ifname.disable_ipv6=1", true),
		sysctl("net.mpls.conf.IFNAME.input=1", true),
	])).allow
}

test_endpoint_sysctl_of_another_shape_denied if {
	every raw in [
		"net.core.somaxconn=1",
		"net.ipv4.conf.eth0.forwarding=1",
		"net.ipv4.conf/../../..IFNAME.x=1",
		"kernel.core_pattern=|/tmp/x",
		"net.ipv4.conf.IFNAME.a.b=1",
	] {
		fx.ids(with_sysctls([sysctl(raw, true)])) == {"DG-NET-001"}
	}
}

test_endpoint_sysctl_message if {
	fx.violations(with_sysctls([sysctl("net.core.somaxconn=1", true)]), "DG-NET-001") == {["endpoint sysctl \"net.core.somaxconn=1\" is not allowed: only net.ipv4|ipv6|mpls.<group>.IFNAME.<name> settings on the container's interface are", "NetworkingConfig.EndpointsConfig[\"ci\"].DriverOpts[\"com.docker.network.endpoint.sysctls\"]"]}
}

test_endpoint_sysctl_on_network_connect_denied if {
	inp := object.union(fx.request("POST", "network.connect", "/networks/ci/connect", {"id": "ci"}, {}), {
		"body": {"Container": "web", "EndpointConfig": {}},
		"facts": {"sysctls": [sysctl("net.core.somaxconn=1", true)]},
	})
	fx.ids(inp) == {"DG-NET-001"}
}

test_host_config_sysctls_left_to_the_runtime if {
	fx.decide(with_sysctls([{"key": "net.ipv4.ip_forward", "name": "net.ipv4.ip_forward", "value": "1", "endpoint": false, "path": "HostConfig.Sysctls[\"net.ipv4.ip_forward\"]"}])).allow
}

# --- newer mount options ---

# ReadOnlyNonRecursive (API 1.44; the default below it): a read-only bind of
# a protected path is refused whether or not its submounts stay writable,
# and a read-only non-recursive bind of an ordinary path is allowed.
ro_bind(source, non_recursive) := fx.create({"mounts": [object.union(fx.bind_on_host(source, source, "dir", 0), {
	"read_only": true, "read_only_non_recursive": non_recursive, "path": "HostConfig.Mounts[0].Source",
})]})

test_read_only_non_recursive_protected_bind_denied if {
	fx.ids(ro_bind("/etc", true)) == {"DG-MNT-001"}
	fx.ids(ro_bind("/", true)) == {"DG-MNT-001"}
}

test_read_only_non_recursive_ordinary_bind_allowed if {
	fx.decide(ro_bind("/srv/ci/workspace", true)).allow
}

# Mounts[]{Type:"image"} (API 1.48): a local image's files, read-only.
test_image_mount_allowed if {
	fx.decide(fx.create({"mounts": [{
		"type": "image", "source": "busybox:latest", "target": "/img", "read_only": true,
		"driver": "", "driver_options": {}, "path": "HostConfig.Mounts[0]", "subpath": "bin",
	}]})).allow
}

# CreateMountpoint (API 1.42) stays refused outside the allowed paths.
test_create_mountpoint_still_denied if {
	inp := fx.create({"mounts": [object.union(fx.bind_on_host("/opt/new", "/opt/new", "missing", 0), {"create_mountpoint": true})]})
	fx.ids(inp) == {"DG-MNT-004"}
}

# --- DG-API-002: the daemon's debug endpoints ---

test_debug_endpoints_refused_in_restricted if {
	every e in ["debug.vars", "debug.pprof.index", "debug.pprof.profile", "debug.pprof.lookup"] {
		fx.ids_restricted(fx.request("GET", e, "/debug/x", {}, {})) == {"DG-API-002"}
	}
}

test_debug_endpoints_allowed_in_baseline if {
	fx.decide(fx.request("GET", "debug.pprof.profile", "/debug/pprof/profile", {}, {"seconds": "1"})).allow
}
