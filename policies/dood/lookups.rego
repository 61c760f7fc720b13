# The daemon's state a request needs (input.state, docs/state.md), declared
# once for both sides. The guard reads `endpoints` when it loads the policy
# and looks up, for a request to one of them, what each kind names
# (plugin/state); the rules read the same table to know which endpoints
# they judge on state. Adding an endpoint is one line here.
#
# Kinds (plugin/state.Kinds lists them; an unknown kind fails the lookup):
#   container:params.name      the container named by the path ({name})
#   container:query.container  the container named by ?container= (commit)
#   create                     the containers and named volumes a create
#                              joins, takes volumes from or mounts (facts)
#   authz_plugins              the daemon's authorization plugin chain
package dood.lookups

endpoints := {
	"exec.create": {"container:params.name"},
	"container.attach": {"container:params.name"},
	"container.attach.ws": {"container:params.name"},
	"container.archive.get": {"container:params.name"},
	"container.archive.head": {"container:params.name"},
	"container.archive.put": {"container:params.name"},
	"container.copy": {"container:params.name"},
	"container.export": {"container:params.name"},
	"container.commit": {"container:query.container"},
	"container.create": {"create"},
	"container.start": {"create", "container:params.name"},
	"container.restart": {"container:params.name"},
	"container.unpause": {"container:params.name"},
	"container.update": {"container:params.name"},
	"plugin.enable": {"authz_plugins"},
	"plugin.disable": {"authz_plugins"},
	"plugin.delete": {"authz_plugins"},
	"plugin.set": {"authz_plugins"},
	"plugin.upgrade": {"authz_plugins"},
	"plugin.push": {"authz_plugins"},
	"plugin.pull": {"authz_plugins"},
	"plugin.create": {"authz_plugins"},
}

# looked_up(kind) holds when the request's endpoint is declared with kind.
looked_up(kind) if endpoints[input.endpoint][kind]

# A rule package that judges on state declares each object it reads in its
# partial set `needs_state`, as {"kind": "container"|"volume"|
# "authz_plugins", "ref": name as given, "path": request field}. For an
# endpoint the table declares, an object the guard did not report (no state
# source, as in `dood-guard eval`; a lookup that did not cover it) is a
# refusal, never a rule that silently matches nothing. decision.rego reports
# these; they cannot be disabled. (Endpoints outside the table get no state
# and are not checked: asking every package on every request cost ~90 µs of
# CPU per decision; the library's rules judge on state only where the table
# says, through looked_up.)
missing contains {"id": "DG-STATE-001", "msg": msg, "path": n.path} if {
	endpoints[input.endpoint]
	some group
	some n in data.dood.rules[group].needs_state
	not present(n)
	msg := sprintf("the guard has no state for %s, which rule package dood.rules.%s judges this request on: it cannot tell whether the request is safe", [what(n), group])
}

what(n) := "the daemon's authorization plugin chain" if {
	n.kind == "authz_plugins"
} else := sprintf("%s %q", [n.kind, n.ref])

present(n) if {
	n.kind == "container"
	is_object(input.state.containers[n.ref])
}

present(n) if {
	n.kind == "volume"
	is_object(input.state.volumes[n.ref])
}

present(n) if {
	n.kind == "authz_plugins"
	is_array(input.state.authz_plugins)
}
