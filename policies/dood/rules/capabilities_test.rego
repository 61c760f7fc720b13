package dood.rules.capabilities_test

import data.dood.fixtures as fx

caps(add) := fx.create({"capabilities": {
	"add": [{"value": c, "path": sprintf("HostConfig.CapAdd[%d]", [i])} | some i, c in add],
	"drop": [],
}})

test_sys_admin_denied if {
	fx.violations(caps(["CAP_SYS_ADMIN"]), "DG-CAP-001") == {["adding capability CAP_SYS_ADMIN is not allowed", "HostConfig.CapAdd[0]"]}
}

test_all_denied if {
	fx.violations(caps(["ALL"]), "DG-CAP-001") == {["adding ALL capabilities is not allowed; add only the capabilities the workload needs", "HostConfig.CapAdd[0]"]}
}

test_each_dangerous_capability_denied if {
	every c in data.guard.dangerous_capabilities {
		fx.ids(caps([c])) == {"DG-CAP-001"}
	}
	count(data.guard.dangerous_capabilities) > 10
}

test_escape_capabilities_listed if {
	every c in ["ALL", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_DAC_READ_SEARCH", "CAP_NET_ADMIN", "CAP_SYS_RAWIO", "CAP_BPF"] {
		c in data.guard.dangerous_capabilities
	}
}

test_benign_capabilities_allowed if {
	inp := caps(["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL"])
	fx.decide(inp) == {"allow": true, "violations": []}
}

test_only_dangerous_entries_reported if {
	inp := caps(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_BPF"])
	fx.decide(inp).violations == [
		{"id": "DG-CAP-001", "msg": "adding capability CAP_SYS_ADMIN is not allowed", "path": "HostConfig.CapAdd[1]"},
		{"id": "DG-CAP-001", "msg": "adding capability CAP_BPF is not allowed", "path": "HostConfig.CapAdd[3]"},
	]
}

test_dropping_is_allowed if {
	inp := fx.create({"capabilities": {"add": [], "drop": [{"value": "CAP_SYS_ADMIN", "path": "HostConfig.CapDrop[0]"}, {"value": "ALL", "path": "HostConfig.CapDrop[1]"}]}})
	fx.ids(inp) == set()
}

test_capability_list_is_data if {
	fx.ids(caps(["CAP_SYS_ADMIN"])) == set() with data.guard.dangerous_capabilities as ["ALL"]
	fx.ids(caps(["CAP_CHOWN"])) == {"DG-CAP-001"} with data.guard.dangerous_capabilities as ["CAP_CHOWN"]
}

test_allowed_capabilities_exempt if {
	fx.ids(caps(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"])) == {"DG-CAP-001"} with data.guard.allowed_capabilities as ["CAP_NET_ADMIN"]
	fx.violations(caps(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]), "DG-CAP-001") == {["adding capability CAP_SYS_ADMIN is not allowed", "HostConfig.CapAdd[1]"]} with data.guard.allowed_capabilities as ["CAP_NET_ADMIN"]

	# ALL is only allowed by name
	fx.ids(caps(["ALL"])) == {"DG-CAP-001"} with data.guard.allowed_capabilities as ["CAP_SYS_ADMIN"]
}

test_service_capabilities_denied if {
	inp := fx.service({"capabilities": {"add": [{"value": "CAP_SYS_ADMIN", "path": "TaskTemplate.ContainerSpec.CapabilityAdd[0]"}], "drop": []}})
	fx.decide(inp).violations == [{"id": "DG-CAP-001", "msg": "adding capability CAP_SYS_ADMIN is not allowed", "path": "TaskTemplate.ContainerSpec.CapabilityAdd[0]"}]
}

# DG-CAP-002: no added capability at all under restricted.

restricted_caps(add) := object.union(fx.restricted_create, {"facts": {"capabilities": {
	"add": [{"value": c, "path": sprintf("HostConfig.CapAdd[%d]", [i])} | some i, c in add],
	"drop": [],
}}})

test_restricted_refuses_any_added_capability if {
	inp := restricted_caps(["CAP_NET_BIND_SERVICE"])
	fx.ids(inp) == set()
	fx.decide_restricted(inp).violations == [{
		"id": "DG-CAP-002",
		"msg": "adding capability CAP_NET_BIND_SERVICE is not allowed in the restricted profile; drop it, or ask for it to be listed in guard.allowed_capabilities",
		"path": "HostConfig.CapAdd[0]",
	}]

	# dangerous ones are refused by both rules
	fx.ids_restricted(restricted_caps(["CAP_SYS_ADMIN"])) == {"DG-CAP-001", "DG-CAP-002"}
}

test_restricted_allowed_capabilities if {
	fx.ids_restricted(restricted_caps(["CAP_NET_BIND_SERVICE"])) == set() with data.guard.allowed_capabilities as ["CAP_NET_BIND_SERVICE"]
	fx.ids_restricted(restricted_caps([])) == set()

	# dropping is always fine
	inp := object.union(fx.restricted_create, {"facts": {"capabilities": {"add": [], "drop": [{"value": "ALL", "path": "HostConfig.CapDrop[0]"}]}}})
	fx.ids_restricted(inp) == set()
}
