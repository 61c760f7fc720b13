package dood.rules.plugins_test

import data.dood.fixtures as fx

privs := [
	{"Name": "network", "Description": "permissions to access a network", "Value": ["host"]},
	{"Name": "mount", "Description": "host path to mount", "Value": ["/"]},
]

test_privileged_pull_denied if {
	fx.decide(fx.plugin_pull("vieux/sshfs:latest", "", privs)).violations == [{
		"id": "DG-PLUGIN-001",
		"msg": "installing plugin \"vieux/sshfs:latest\" with privileges (network [\"host\"]; mount [\"/\"]) is not allowed: a managed plugin runs as root on the host with them; ask for it to be listed in guard.allowed_plugins",
		"path": "",
	}]
}

# dockerd never compares the first privilege (in name order) with the
# plugin's config: one harmless-looking entry can stand for any privilege.
test_any_privilege_counts if {
	fx.ids(fx.plugin_pull("x/y", "", [{"Name": "a", "Description": "", "Value": []}])) == {"DG-PLUGIN-001"}
	fx.ids(fx.plugin_pull("x/y", "", [{"Name": "network", "Description": "", "Value": ["none"]}])) == {"DG-PLUGIN-001"}
}

test_plugin_without_privileges_allowed if {
	fx.ids(fx.plugin_pull("x/y", "", [])) == set()
	fx.ids(fx.plugin_pull("x/y", "", null)) == set()
}

test_allowed_plugins if {
	inp := fx.plugin_pull("vieux/sshfs:1.2", "", privs)
	fx.ids(inp) == set() with data.guard.allowed_plugins as ["vieux/sshfs"]
	fx.ids(inp) == set() with data.guard.allowed_plugins as ["docker.io/vieux/sshfs:1.2"]
	fx.ids(inp) == set() with data.guard.allowed_plugins as ["vieux/*"]
	fx.ids(inp) == {"DG-PLUGIN-001"} with data.guard.allowed_plugins as ["vieux/sshfs:1.1"]
	fx.ids(inp) == {"DG-PLUGIN-001"} with data.guard.allowed_plugins as ["vieux/sshfsx"]
	fx.ids(inp) == {"DG-PLUGIN-001"} with data.guard.allowed_plugins as ["registry.corp/*"]
}

test_privileged_upgrade_denied if {
	inp := fx.with_body(fx.request("POST", "plugin.upgrade", "/plugins/sshfs/upgrade", {"name": "sshfs"}, {"remote": "evil/sshfs:2"}), privs)
	fx.ids(inp) == {"DG-PLUGIN-001"}
}

test_service_plugin_denied if {
	inp := fx.service({"plugin": {"name": "p", "remote": "evil/plugin", "privileges": [], "path": "TaskTemplate.PluginSpec"}})
	fx.decide(inp).violations == [{
		"id": "DG-PLUGIN-001",
		"msg": "a service that installs plugin \"evil/plugin\" is not allowed: the plugin would run as root on every node with the privileges it declares",
		"path": "TaskTemplate.PluginSpec",
	}]
	fx.ids(inp) == set() with data.guard.allowed_plugins as ["evil/plugin"]
}

# DG-PLUGIN-002

test_plugin_create_denied if {
	inp := fx.request("POST", "plugin.create", "/plugins/create", {}, {"name": "evil"})
	fx.decide(inp).violations == [{
		"id": "DG-PLUGIN-002",
		"msg": "creating plugin \"evil\" from an uploaded bundle is not allowed: the guard cannot see the privileges its config.json declares",
		"path": "",
	}]
}

# DG-PLUGIN-003

plugin_set(name) := fx.with_body(fx.request("POST", "plugin.set", sprintf("/plugins/%s/set", [name]), {"name": name}, {}), ["mnt=/"])

test_plugin_set_denied if {
	fx.decide(plugin_set("vieux/sshfs")).violations == [{
		"id": "DG-PLUGIN-003",
		"msg": "changing the settings of plugin \"vieux/sshfs\" is not allowed: a setting can change a plugin's host mounts, devices, arguments or environment",
		"path": "",
	}]
	fx.ids(plugin_set("vieux/sshfs")) == set() with data.guard.allowed_plugins as ["vieux/sshfs"]
}

# DG-PLUGIN-004: the authorization plugins, whatever their names.

test_guard_cannot_be_disabled if {
	fx.decide(fx.plugin_request("plugin.disable", "dood-guard")).violations == [{
		"id": "DG-PLUGIN-004",
		"msg": "plugin \"dood-guard\" is the daemon's authorization plugin \"dood-guard:latest\": an authorization plugin cannot be disabled, removed, replaced or reconfigured through the API it guards",
		"path": "",
	}]
}

test_every_spelling_of_the_guard if {
	every name in [
		"dood-guard", "dood-guard:latest", "library/dood-guard", "docker.io/library/dood-guard:latest",
		"index.docker.io/library/dood-guard", "DOOD-GUARD",
	] {
		every endpoint in ["plugin.enable", "plugin.disable", "plugin.delete", "plugin.set", "plugin.upgrade", "plugin.push"] {
			"DG-PLUGIN-004" in fx.ids(fx.plugin_request(endpoint, name))
		}
	}
}

# Another tag is another plugin: the daemon resolves it to that one.
test_other_tags_are_other_plugins if {
	fx.ids(fx.plugin_request("plugin.disable", "dood-guard:v2")) == set()
}

test_ids_and_id_prefixes_protected if {
	every name in [fx.guard_id, "4f2a9c", "4"] {
		fx.ids(fx.plugin_request("plugin.disable", name)) == {"DG-PLUGIN-004"}
	}
	every name in ["a1b2c3", "0", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"] {
		fx.ids(fx.plugin_request("plugin.disable", name)) == set()
	}
}

# Installed as registry/team/guard:1.0 (no --alias), the guard is known by
# the chain the daemon reports, with no configuration.
chain_state := {"containers": {}, "volumes": {}, "authz_plugins": [
	{"name": "localhost:5000/team/guard:1.0", "id": "9c1f0e2d3b4a59687706f5e4d3c2b1a0918273645546372819a0b1c2d3e4f5a6", "plugin": "localhost:5000/team/guard:1.0"},
	{"name": "legacy-authz", "id": "", "plugin": ""},
]}

on_chain(inp) := object.union(inp, {"state": chain_state})

test_chain_protected_whatever_the_names if {
	every endpoint in ["plugin.enable", "plugin.disable", "plugin.delete", "plugin.set", "plugin.upgrade", "plugin.push"] {
		every name in ["localhost:5000/team/guard:1.0", "9c1f", "9c1f0e2d3b4a59687706f5e4d3c2b1a0918273645546372819a0b1c2d3e4f5a6"] {
			"DG-PLUGIN-004" in fx.ids(on_chain(fx.plugin_request(endpoint, name)))
		}
	}
	fx.violations(on_chain(fx.plugin_request("plugin.disable", "9c1f")), "DG-PLUGIN-004") == {[
		"plugin \"9c1f\" is an ID prefix of the daemon's authorization plugin \"localhost:5000/team/guard:1.0\": an authorization plugin cannot be disabled, removed, replaced or reconfigured through the API it guards",
		"",
	]}

	# the name a legacy plugin answers to cannot be taken by a managed one
	fx.ids(on_chain(fx.plugin_pull("evil/x", "legacy-authz", []))) == {"DG-PLUGIN-004"}
	"DG-PLUGIN-004" in fx.ids(on_chain(fx.request("POST", "plugin.create", "/plugins/create", {}, {"name": "legacy-authz:latest"})))

	# the plugins outside the chain are managed as before; dood-guard is
	# still a reserved name (self_names)
	fx.ids(on_chain(fx.plugin_request("plugin.disable", "4f2a"))) == set()
	fx.ids(on_chain(fx.plugin_request("plugin.disable", "localhost:5000/team/guard:2.0"))) == set()
	fx.ids(on_chain(fx.plugin_request("plugin.disable", "dood-guard"))) == {"DG-PLUGIN-004"}
}

# Without the chain, plugin management is refused: DG-STATE-001 (cannot be
# disabled).
test_no_chain_refuses if {
	{v.id | some v in fx.decide_stateless(fx.plugin_request("plugin.disable", "vieux/sshfs")).violations} == {"DG-STATE-001"} with data.guard.disabled_rules as ["DG-STATE-001"]
	fx.ids(object.union(fx.plugin_request("plugin.disable", "vieux/sshfs"), {"state": {"containers": {}, "volumes": {}}})) == {"DG-STATE-001"}
	fx.ids(fx.plugin_request("plugin.disable", "vieux/sshfs")) == set()
}

test_guard_settings_refused_by_both if {
	fx.ids(plugin_set("dood-guard")) == {"DG-PLUGIN-003", "DG-PLUGIN-004"}
	fx.ids(plugin_set("dood-guard")) == {"DG-PLUGIN-004"} with data.guard.allowed_plugins as ["dood-guard"]
}

test_guard_name_cannot_be_taken if {
	fx.ids(fx.plugin_pull("evil/x", "dood-guard", [])) == {"DG-PLUGIN-004"}
	fx.ids(fx.plugin_pull("dood-guard", "", [])) == {"DG-PLUGIN-004"}
	fx.ids(fx.plugin_pull("evil/dood-guard", "", [])) == set()
	"DG-PLUGIN-004" in fx.ids(fx.request("POST", "plugin.create", "/plugins/create", {}, {"name": "dood-guard:latest"}))
}

test_self_names_are_data if {
	inp := fx.plugin_request("plugin.disable", "sec/authz:1.0")
	fx.ids(inp) == set()
	fx.ids(inp) == {"DG-PLUGIN-004"} with data.guard.self_names as ["registry.corp/sec/authz", "sec/authz:1.0"]
}

test_enable_needs_an_allowed_plugin if {
	fx.decide(fx.plugin_request("plugin.enable", "vieux/sshfs")).violations == [{
		"id": "DG-PLUGIN-001",
		"msg": "enabling plugin \"vieux/sshfs\" is not allowed: the guard cannot see the privileges it would run with as root; ask for it to be listed in guard.allowed_plugins",
		"path": "",
	}]
	fx.ids(fx.plugin_request("plugin.enable", "vieux/sshfs:latest")) == set() with data.guard.allowed_plugins as ["vieux/sshfs"]
	fx.ids(fx.plugin_request("plugin.enable", "dood-guard")) == {"DG-PLUGIN-001", "DG-PLUGIN-004"}
}

test_other_plugins_can_be_managed if {
	every endpoint in ["plugin.disable", "plugin.delete", "plugin.push"] {
		fx.ids(fx.plugin_request(endpoint, "vieux/sshfs")) == set()
	}
	fx.ids(fx.request("GET", "plugin.list", "/plugins", {}, {})) == set()
	fx.ids(fx.request("GET", "plugin.inspect", "/plugins/dood-guard/json", {"name": "dood-guard"}, {})) == set()
	fx.ids(fx.request("GET", "plugin.privileges", "/plugins/privileges", {}, {"remote": "vieux/sshfs"})) == set()
}

# DG-PLUGIN-005

test_restricted_refuses_plugin_changes if {
	fx.violations_restricted(fx.plugin_request("plugin.disable", "vieux/sshfs"), "DG-PLUGIN-005") == {[
		"plugin.disable is not allowed in the restricted profile: plugins are managed by the host's admin",
		"",
	]}
	fx.ids_restricted(fx.plugin_request("plugin.enable", "vieux/sshfs")) == {"DG-PLUGIN-001", "DG-PLUGIN-005"}
	fx.ids_restricted(fx.plugin_pull("x/y", "", [])) == {"DG-PLUGIN-005"}
	fx.ids_restricted(fx.request("GET", "plugin.list", "/plugins", {}, {})) == set()
}
