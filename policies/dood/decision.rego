# The decision dood-guard enforces. It never names a rule: every package
# dood.rules.<group> contributes a partial set `violation` of objects
# {"id", "msg", "path"}, and adding a rule means adding such a package.
package dood

# An exempt identity (a TLS client certificate's CN listed in
# data.guard.exempt_users) is allowed everything the policy judges; the
# guard's own refusals of requests it cannot read still apply. On the unix
# socket dockerd gives no identity, so nobody there is exempt.
decision := {"allow": true, "violations": []} if {
	exempt
} else := {"allow": count(violations) == 0, "violations": violations}

exempt if {
	input.auth_method == "TLS"
	input.user != ""
	input.user in data.guard.exempt_users
}

# violations is sorted by id, then path, then msg.
violations := [{"id": t[0], "msg": t[2], "path": t[1]} |
	some t in sort([[v.id, v.path, v.msg] | some v in reported])
]

disabled := {id | some id in data.guard.disabled_rules; is_string(id)}

reported contains v if {
	some [_, v] in collected
	well_formed(v)
	not disabled[v.id]
}

# A rule that emits anything but {"id", "msg", "path"} strings denies rather
# than being dropped; this cannot be disabled.
reported contains {
	"id": "DG-ENGINE-001",
	"msg": sprintf("rule package dood.rules.%s produced a malformed violation", [group]),
	"path": "",
} if {
	some [group, v] in collected
	not well_formed(v)
}

# A rule that judges on the daemon's state and finds none denies
# (lookups.rego); this cannot be disabled either.
reported contains v if {
	some v in data.dood.lookups.missing
}

# collected holds every rule package's violations, with the package, in one
# complete rule: the rule packages are evaluated once per request.
collected := {[group, v] |
	some group
	some v in data.dood.rules[group].violation
}

well_formed(v) if {
	is_object(v)
	object.keys(v) == {"id", "msg", "path"}
	is_string(v.id)
	is_string(v.msg)
	is_string(v.path)
}
