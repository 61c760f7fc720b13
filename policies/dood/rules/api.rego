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
	data.guard.denied_endpoints != []
	input.endpoint != ""
	some c in candidates
	c in denied
	msg := sprintf("endpoint %s is switched off on this host (guard.denied_endpoints: %s)", [input.endpoint, c])
}

denied := {e | some e in data.guard.denied_endpoints}

# The endpoint name and its group wildcards: container.archive.put gives
# container.archive.put, container.* and container.archive.*.
candidates contains input.endpoint

candidates contains concat("", [concat(".", array.slice(parts, 0, i)), ".*"]) if {
	parts := split(input.endpoint, ".")
	some i in numbers.range(1, count(parts) - 1)
}
