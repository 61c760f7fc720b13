package dood.lookups_test

import data.dood.fixtures as fx

# The objects a rule judges on state must be reported, or the request is
# refused: without a state source (dood-guard eval) the state rules do not
# silently pass.
test_no_state_refuses_what_needs_it if {
	some v in fx.decide_stateless(fx.exec_create(false)).violations
	v.id == "DG-STATE-001"
	v.path == "params.name"
	contains(v.msg, "container \"web\"")
}

test_requests_that_need_no_state_pass_without_it if {
	fx.decide_stateless(fx.create({"mounts": []})).allow
}

test_found_false_is_state if {
	inp := object.union(fx.exec_create(false), {"state": {"containers": {"web": {"found": false}}, "volumes": {}}})
	fx.decide_stateless(inp).allow
}

# The missing-state refusal cannot be switched off.
test_cannot_be_disabled if {
	d := fx.decide_stateless(fx.exec_create(false)) with data.guard.disabled_rules as ["DG-STATE-001", "DG-STATE-005"]
	not d.allow
}

# The table and the rules agree: an endpoint the rules judge on a container
# is declared with that lookup.
test_table_covers_reach_in if {
	every endpoint, _ in data.dood.rules.state.reach_in {
		count(data.dood.lookups.endpoints[endpoint]) > 0
	}
}

test_table_covers_starts if {
	every endpoint, _ in data.dood.rules.state.starts {
		"container:params.name" in data.dood.lookups.endpoints[endpoint]
	}
}

# A start judged on the container it names: without its state, refused.
test_start_without_state_refused if {
	inp := {
		"phase": "request", "user": "", "auth_method": "", "method": "POST",
		"path": "/containers/job/start", "api_version": "1.41", "api_version_given": true,
		"endpoint": "container.start", "params": {"name": "job"}, "query": {},
	}
	some v in fx.decide_stateless(inp).violations
	v.id == "DG-STATE-001"
	fx.decide(inp).allow
}
