# Managed plugins: they run as root on the host with whatever privileges
# they declare, and one of them may be the guard itself.
package dood.rules.plugins

import data.dood.lib
import data.dood.lookups

# METADATA
# title: Plugin with privileges
# description: >-
#   Refuses a plugin pull or upgrade whose accepted privileges (the request
#   body) are not empty, and a swarm service that installs a plugin
#   (TaskTemplate.PluginSpec), unless the plugin's remote reference matches
#   guard.allowed_plugins. Every privilege counts: host network or pid/ipc
#   namespace, a host mount, a device, all devices, capabilities. Also
#   refuses enabling a plugin not listed there: the request does not show
#   the privileges the plugin runs with, and a plugin installed before the
#   guard (or by the host's admin, disabled) may hold any.
# custom:
#   id: DG-PLUGIN-001
#   endpoints: plugin pull, plugin upgrade, plugin enable, service create/update
#   why: >-
#     A managed plugin runs as root in the host's view with the mounts,
#     devices, capabilities and namespaces it declares. The list a client
#     accepts is not a safe summary either: dockerd (20.10 to v28) compares
#     it with the plugin's config skipping the first entry in name order, so
#     a list of one harmless-looking entry can stand for "mount /".
#   allow_by: >-
#     list the plugin's repository (or registry/prefix/*) in
#     guard.allowed_plugins, or list DG-PLUGIN-001 in guard.disabled_rules
violation contains {"id": "DG-PLUGIN-001", "msg": f.msg, "path": f.path} if {
	input.endpoint in {"plugin.pull", "plugin.upgrade", "plugin.enable", "service.create", "service.update"}
	some f in privileged_installs
}

privileged_installs contains {"msg": msg, "path": ""} if {
	input.endpoint in {"plugin.pull", "plugin.upgrade"}
	is_array(input.body)
	count(input.body) > 0
	remote := object.get(input.query, "remote", "")
	not allowed_plugin(remote)
	msg := sprintf("installing plugin %q with privileges (%s) is not allowed: a managed plugin runs as root on the host with them; ask for it to be listed in guard.allowed_plugins", [remote, summary(input.body)])
}

privileged_installs contains {"msg": msg, "path": p.path} if {
	p := input.facts.plugin
	not allowed_plugin(p.remote)
	msg := sprintf("a service that installs plugin %q is not allowed: the plugin would run as root on every node with the privileges it declares", [p.remote])
}

privileged_installs contains {"msg": msg, "path": ""} if {
	input.endpoint == "plugin.enable"
	not allowed_plugin(input.params.name)
	msg := sprintf("enabling plugin %q is not allowed: the guard cannot see the privileges it would run with as root; ask for it to be listed in guard.allowed_plugins", [input.params.name])
}

allowed_plugin(remote) if {
	remote != ""
	some pattern in data.guard.allowed_plugins
	lib.image_match(remote, pattern)
}

summary(privileges) := concat("; ", [sprintf("%v %v", [object.get(p, "Name", ""), object.get(p, "Value", [])]) |
	some p in privileges
	is_object(p)
])

# METADATA
# title: Plugin created from an uploaded bundle
# description: >-
#   Refuses POST /plugins/create, whose body is a tar of the plugin's
#   config.json and root file system.
# custom:
#   id: DG-PLUGIN-002
#   endpoints: plugin create
#   why: >-
#     The guard cannot read the tar stream, and the config inside it chooses
#     the plugin's privileges (host mounts, devices, capabilities, host
#     network) with no privilege list to accept; enabling it then runs it
#     as root.
#   allow_by: >-
#     create plugins from the host (or as an identity in guard.exempt_users),
#     or list DG-PLUGIN-002 in guard.disabled_rules
violation contains {"id": "DG-PLUGIN-002", "msg": msg, "path": ""} if {
	input.endpoint == "plugin.create"
	msg := sprintf("creating plugin %q from an uploaded bundle is not allowed: the guard cannot see the privileges its config.json declares", [object.get(input.query, "name", "")])
}

# METADATA
# title: Plugin settings
# description: >-
#   Refuses POST /plugins/{name}/set unless the plugin's name matches
#   guard.allowed_plugins.
# custom:
#   id: DG-PLUGIN-003
#   endpoints: plugin set
#   why: >-
#     A setting can be a mount's host source ("mnt=/" sets the source of a
#     mount named mnt), a device path, the plugin's arguments or its
#     environment; the guard cannot tell which without the plugin's config,
#     and any of them can turn a privileged plugin against the host.
#   allow_by: >-
#     list the plugin in guard.allowed_plugins, or list DG-PLUGIN-003 in
#     guard.disabled_rules
violation contains {"id": "DG-PLUGIN-003", "msg": msg, "path": ""} if {
	input.endpoint == "plugin.set"
	not allowed_plugin(input.params.name)
	msg := sprintf("changing the settings of plugin %q is not allowed: a setting can change a plugin's host mounts, devices, arguments or environment", [input.params.name])
}

# METADATA
# title: Disabling, removing or replacing an authorization plugin
# description: >-
#   Refuses enable, disable, remove, set, upgrade and push of any
#   authorization plugin, whatever its name: the daemon's chain (GET /info
#   Plugins.Authorization), every managed plugin implementing docker.authz
#   (a reload can put one in the chain without /info showing it), and the
#   guard's own legacy socket name; referred to by any spelling the daemon
#   resolves to it, by its ID or by an ID prefix. Also refuses a plugin pull
#   or create that would install a plugin under the name of one of them (a
#   legacy plugin's included: dockerd prefers a managed plugin of that
#   name). Plugins named in guard.self_names are protected the same way.
#   When the plugins cannot be read, these requests are refused
#   (DG-STATE-001).
# custom:
#   id: DG-PLUGIN-004
#   endpoints: plugin enable, disable, remove, set, upgrade, push, pull, create
#   why: >-
#     dockerd does not protect its authorization plugins: a socket holder
#     who disables, removes or upgrades one (or installs another plugin under
#     its name for the next daemon restart) switches authorization off.
#   allow_by: >-
#     manage the authorization plugins from the host or as an identity in
#     guard.exempt_users; listing DG-PLUGIN-004 in guard.disabled_rules lets
#     every socket holder turn the guard off
violation contains {"id": "DG-PLUGIN-004", "msg": msg, "path": ""} if {
	judges_chain
	some [name, why] in protected
	msg := sprintf("plugin %q %s: an authorization plugin cannot be disabled, removed, replaced or reconfigured through the API it guards", [name, why])
}

# The chain is read for every request this rule judges (lookups.rego).
needs_state contains {"kind": "authz_plugins", "ref": "", "path": ""} if judges_chain

# judges_chain holds for the endpoints the chain is looked up for: a rule,
# evaluated once per request for both uses.
judges_chain if lookups.looked_up("authz_plugins")

# targets are the plugin references the request acts on, with how the
# daemon reads them: "ref" (a name, an ID or an ID prefix) or "name" (the
# name a new plugin is installed under).
targets contains [input.params.name, "ref"] if {
	input.endpoint in {"plugin.enable", "plugin.disable", "plugin.delete", "plugin.set", "plugin.upgrade", "plugin.push"}
	input.params.name != ""
}

targets contains [pull_name, "name"] if input.endpoint == "plugin.pull"

targets contains [input.query.name, "name"] if input.endpoint == "plugin.create"

# The name a pull installs under: "name", or else the remote reference.
pull_name := input.query.name if {
	input.query.name != ""
} else := object.get(input.query, "remote", "")

# chain is the daemon's authorization plugins (plugin/state): the name as
# configured, and for a managed plugin its ID and plugin name.
chain := object.get(object.get(input, "state", {}), "authz_plugins", [])

# protected holds [target, why] for each target that designates a
# protected plugin: one in the chain, or else one named in self_names.
protected contains t if some t in chained

protected contains [name, "is named in guard.self_names"] if {
	some [name, _] in targets
	not chained_names[name]
	some n in data.guard.self_names
	same_name(name, n)
}

chained_names := {name | some [name, _] in chained}

chained contains [name, sprintf("is the daemon's authorization plugin %q", [p.name])] if {
	some [name, _] in targets
	some p in chain
	some n in [p.name, object.get(p, "plugin", "")]
	n != ""
	same_name(name, n)
}

# dockerd resolves a reference that names no plugin as a full ID or an ID
# prefix (a prefix shared by several plugins fails, but only until the
# others are gone).
chained contains [name, sprintf("is an ID prefix of the daemon's authorization plugin %q", [p.name])] if {
	some [name, "ref"] in targets
	some p in chain
	id := object.get(p, "id", "")
	id != ""
	startswith(id, lower(name))
}

# Names compared as the daemon normalises them (docker.io/library/, :latest).
same_name(a, b) if lib.ref_string(lower(a)) == lib.ref_string(lower(b))

# METADATA
# title: Plugin management (restricted)
# description: >-
#   Under the restricted profile, refuses every plugin change: pull,
#   create, enable, disable, remove, set, upgrade and push.
# custom:
#   id: DG-PLUGIN-005
#   profile: restricted
#   endpoints: plugin pull, create, enable, disable, remove, set, upgrade, push
#   why: >-
#     Plugins are host software running as root; under the restricted
#     profile only the host's admin installs and manages them.
#   allow_by: >-
#     manage plugins from the host or as an identity in guard.exempt_users,
#     use the baseline profile, or list DG-PLUGIN-005 in
#     guard.disabled_rules
violation contains {"id": "DG-PLUGIN-005", "msg": msg, "path": ""} if {
	data.guard.profile == "restricted"
	input.endpoint in {
		"plugin.pull", "plugin.create", "plugin.enable", "plugin.disable",
		"plugin.delete", "plugin.set", "plugin.upgrade", "plugin.push",
	}
	msg := sprintf("%s is not allowed in the restricted profile: plugins are managed by the host's admin", [input.endpoint])
}
