# Endpoints an admin switches off outright.
package dood.rules.api

# METADATA
# title: Denied endpoint
# description: >-
#   Refuses requests to endpoints listed in guard.denied_endpoints: endpoint
#   names such as "container.export", or wildcards such as "plugin.*" and
#   "container.archive.*" (docs/input.md and plugin/route list the names).
# custom:
#   id: DG-API-001
#   endpoints: every endpoint
#   why: >-
#     Some hosts need none of an API area (plugins, swarm, image load,
#     builds); refusing it outright removes whatever escape it may hold that
#     no rule knows yet.
#   allow_by: remove the entry from guard.denied_endpoints
violation contains {"id": "DG-API-001", "msg": msg, "path": ""} if {
	denies_endpoints
	input.endpoint != ""
	some c in candidates
	c in denied
	msg := sprintf("endpoint %s is switched off on this host (guard.denied_endpoints: %s)", [input.endpoint, c])
}

denied := {e | some e in data.guard.denied_endpoints}

# denies_endpoints depends on data only: the guard computes it once per
# policy load.
denies_endpoints if data.guard.denied_endpoints != []

# The endpoint name and its group wildcards: container.archive.put gives
# container.archive.put, container.* and container.archive.*.
candidates contains input.endpoint

candidates contains concat("", [concat(".", array.slice(parts, 0, i)), ".*"]) if {
	parts := split(input.endpoint, ".")
	some i in numbers.range(1, count(parts) - 1)
}

# METADATA
# title: Daemon debug endpoints (restricted)
# description: >-
#   Under the restricted profile, refuses the daemon's /debug/ endpoints
#   (expvar and pprof: debug.vars, debug.pprof.*), which every dockerd
#   serves on its API socket, debug mode or not.
# custom:
#   id: DG-API-002
#   profile: restricted
#   endpoints: debug.*
#   why: >-
#     They hand out the daemon's command line, memory statistics, every
#     goroutine's stack and CPU profiles or traces that run for as long as
#     the client asks: internals of a root process that a CI job has no use
#     for. They give no host access, so the baseline profile allows them.
#   allow_by: use the baseline profile, or list DG-API-002 in guard.disabled_rules
violation contains {"id": "DG-API-002", "msg": msg, "path": ""} if {
	data.guard.profile == "restricted"
	startswith(input.endpoint, "debug.")
	msg := sprintf("endpoint %s (the daemon's debug interface) is not allowed in the restricted profile", [input.endpoint])
}
