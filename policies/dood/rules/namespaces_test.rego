package dood.rules.namespaces_test

import data.dood.fixtures as fx

ns(name, mode, p) := fx.create({"namespaces": object.union(fx.cli_create.facts.namespaces, {name: {"mode": mode, "path": p}})})

test_host_pid_denied if {
	fx.decide(ns("pid", "host", "HostConfig.PidMode")).violations == [{"id": "DG-NS-001", "msg": "host pid namespace is not allowed", "path": "HostConfig.PidMode"}]
}

test_each_host_namespace_denied if {
	every name, p in {
		"pid": "HostConfig.PidMode", "network": "HostConfig.NetworkMode", "ipc": "HostConfig.IpcMode",
		"uts": "HostConfig.UTSMode", "user": "HostConfig.UsernsMode",
	} {
		fx.violations(ns(name, "host", p), "DG-NS-001") == {[sprintf("host %s namespace is not allowed", [name]), p]}
	}
}

test_all_host_namespaces_reported if {
	inp := fx.create({"namespaces": {name: {"mode": "host", "path": n.path} | some name, n in fx.cli_create.facts.namespaces}})
	count(fx.violations(inp, "DG-NS-001")) == 5
}

# A host cgroup namespace alone gives no host access: what an old client
# gets by default on a cgroup v1 host (issue 11, item 9) passes the
# baseline; the restricted profile refuses it with its own ID.
test_host_cgroup_namespace_baseline_allowed if {
	fx.ids(ns("cgroup", "host", "HostConfig.CgroupnsMode")) == set()
}

test_host_cgroup_namespace_restricted_denied if {
	fx.violations_restricted(ns("cgroup", "host", "HostConfig.CgroupnsMode"), "DG-NS-003") == {["host cgroup namespace is not allowed in the restricted profile: ask for a private one (--cgroupns=private)", "HostConfig.CgroupnsMode"]}
	not "DG-NS-003" in fx.ids_restricted(ns("cgroup", "private", "HostConfig.CgroupnsMode"))
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

# Services and builds reach the host network too.

svc_networks(targets) := fx.service({"networks": [{"target": t, "path": sprintf("TaskTemplate.Networks[%d].Target", [i])} | some i, t in targets]})

test_service_on_host_network_denied if {
	fx.decide(svc_networks(["host"])).violations == [{
		"id": "DG-NS-001",
		"msg": "a service on the host network is not allowed: its tasks would share the host's network namespace",
		"path": "TaskTemplate.Networks[0].Target",
	}]
	fx.ids(fx.service({"networks": [{"target": "host", "path": "Networks[0].Target"}]})) == {"DG-NS-001"}
}

test_service_network_that_may_be_an_id_denied if {
	fx.violations(svc_networks(["ci-net", "q1w2"]), "DG-NS-001") == {[
		"service network \"q1w2\" is not allowed: the daemon would also read it as a network ID prefix, which can name the host network; use the network's full name (names with '-', '_' or '.' cannot be IDs)",
		"TaskTemplate.Networks[1].Target",
	]}
}

test_service_named_networks_allowed if {
	fx.decide(svc_networks(["ci-net", "stack_default", "my.net", "Backend"])) == {"allow": true, "violations": []}
}

test_build_host_network_denied if {
	fx.decide(fx.build({"t": "app", "networkmode": "host"})).violations == [{
		"id": "DG-NS-001",
		"msg": "builds with networkmode=host are not allowed: RUN steps would share the host's network namespace",
		"path": "query.networkmode",
	}]
}

test_build_default_network_allowed if {
	fx.decide(fx.build({"t": "app"})) == {"allow": true, "violations": []}
	fx.decide(fx.build({"t": "app", "networkmode": "default"})) == {"allow": true, "violations": []}
	fx.decide(fx.build({"t": "app", "networkmode": "none"})) == {"allow": true, "violations": []}
	fx.decide(fx.build({"networkmode": "ci-net"})) == {"allow": true, "violations": []}
}

# DG-NS-002: container: joins.

test_pid_join_denied if {
	fx.decide(ns("pid", "container:node-exporter", "HostConfig.PidMode")).violations == [{
		"id": "DG-NS-002",
		"msg": "joining the pid namespace of another container (container:node-exporter) is not allowed: the guard cannot see what that container shares with the host",
		"path": "HostConfig.PidMode",
	}]
	fx.ids(ns("ipc", "container:db", "HostConfig.IpcMode")) == {"DG-NS-002"}
}

test_network_join_allowed_in_baseline_only if {
	# what Compose sends for network_mode: service:db
	inp := ns("network", "container:3f1c2a", "HostConfig.NetworkMode")
	fx.ids(inp) == set()
	restricted := object.union(fx.restricted_create, {"facts": {"namespaces": inp.facts.namespaces}})
	fx.violations_restricted(restricted, "DG-NS-002") == {[
		"joining the network namespace of another container (container:3f1c2a) is not allowed: the guard cannot see what that container shares with the host",
		"HostConfig.NetworkMode",
	]}
	fx.ids_restricted(restricted) == set() with data.guard.allowed_namespace_joins as ["network"]
}

test_allowed_namespace_joins if {
	fx.ids(ns("pid", "container:app", "HostConfig.PidMode")) == set() with data.guard.allowed_namespace_joins as ["pid"]
	fx.ids(ns("ipc", "container:app", "HostConfig.IpcMode")) == {"DG-NS-002"} with data.guard.allowed_namespace_joins as ["pid"]
}

test_join_spelling_is_exact if {
	# the daemon's IsContainer() wants the exact "container:" prefix
	fx.ids(ns("pid", "Container:app", "HostConfig.PidMode")) == set()
	fx.ids(ns("pid", "container:", "HostConfig.PidMode")) == {"DG-NS-002"}
}

test_build_container_network_join if {
	fx.ids(fx.build({"networkmode": "container:x"})) == set()
	fx.ids_restricted(fx.build({"networkmode": "container:x"})) == {"DG-NS-002"}
}
