package dood.rules.namespaces_test

import data.dood.fixtures as fx

ns(name, mode, p) := fx.create({"namespaces": object.union(fx.cli_create.facts.namespaces, {name: {"mode": mode, "path": p}})})

test_host_pid_denied if {
	fx.decide(ns("pid", "host", "HostConfig.PidMode")).violations == [{"id": "DG-NS-001", "msg": "host pid namespace is not allowed", "path": "HostConfig.PidMode"}]
}

test_each_host_namespace_denied if {
	every name, p in {
		"pid": "HostConfig.PidMode", "network": "HostConfig.NetworkMode", "ipc": "HostConfig.IpcMode",
		"uts": "HostConfig.UTSMode", "user": "HostConfig.UsernsMode", "cgroup": "HostConfig.CgroupnsMode",
	} {
		fx.violations(ns(name, "host", p), "DG-NS-001") == {[sprintf("host %s namespace is not allowed", [name]), p]}
	}
}

test_all_host_namespaces_reported if {
	inp := fx.create({"namespaces": {name: {"mode": "host", "path": n.path} | some name, n in fx.cli_create.facts.namespaces}})
	count(fx.violations(inp, "DG-NS-001")) == 6
}

test_private_modes_allowed if {
	every name, mode in {"pid": "", "network": "bridge", "ipc": "private", "uts": "", "user": "", "cgroup": "private"} {
		fx.ids(ns(name, mode, "X")) == set()
	}
	fx.ids(ns("ipc", "shareable", "HostConfig.IpcMode")) == set()
	fx.ids(ns("network", "none", "HostConfig.NetworkMode")) == set()
	fx.ids(ns("network", "my-net", "HostConfig.NetworkMode")) == set()
}

# Modes are compared as the daemon does (IsHost is an exact match).
test_mode_match_is_exact if {
	fx.ids(ns("pid", "HOST", "HostConfig.PidMode")) == set()
	fx.ids(ns("network", "hostile", "HostConfig.NetworkMode")) == set()
}
