package dood.decision_test

import data.dood.fixtures as fx

test_cli_create_is_allowed if {
	fx.decide(fx.cli_create) == {"allow": true, "violations": []}
}

test_request_without_facts_is_allowed if {
	inp := {
		"phase": "request", "user": "", "auth_method": "", "method": "GET",
		"path": "/containers/json", "api_version": "1.41", "api_version_given": true,
		"endpoint": "container.list", "params": {}, "query": {"all": "1"},
	}
	fx.decide(inp) == {"allow": true, "violations": []}
}

test_decision_shape if {
	d := fx.decide(fx.create({"privileged": {"value": true, "path": "HostConfig.Privileged"}}))
	object.keys(d) == {"allow", "violations"}
	d.allow == false
	is_array(d.violations)
	every v in d.violations {
		object.keys(v) == {"id", "msg", "path"}
		is_string(v.id)
		is_string(v.msg)
		is_string(v.path)
	}
}

# Violations come sorted by id, then path, whatever order the rules emit them.
test_violations_sorted_by_id_then_path if {
	inp := fx.create({
		"privileged": {"value": true, "path": "HostConfig.Privileged"},
		"mounts": [fx.bind("/var/run/docker.sock", 0), fx.bind("/", 1), fx.bind("/etc", 2)],
		"capabilities": {
			"add": [
				{"value": "CAP_SYS_PTRACE", "path": "HostConfig.CapAdd[1]"},
				{"value": "CAP_SYS_ADMIN", "path": "HostConfig.CapAdd[0]"},
			],
			"drop": [],
		},
		"devices": [{"path_on_host": "/dev/sda", "path_in_container": "/dev/sda", "permissions": "rwm", "path": "HostConfig.Devices[0]"}],
	})
	got := [[v.id, v.path] | some v in fx.decide(inp).violations]
	got == [
		["DG-CAP-001", "HostConfig.CapAdd[0]"],
		["DG-CAP-001", "HostConfig.CapAdd[1]"],
		["DG-DEV-001", "HostConfig.Devices[0]"],
		["DG-MNT-001", "HostConfig.Binds[0]"],
		["DG-MNT-001", "HostConfig.Binds[1]"],
		["DG-MNT-001", "HostConfig.Binds[2]"],
		["DG-PRIV-001", "HostConfig.Privileged"],
	]
}

test_disabled_rules_remove_a_violation if {
	inp := fx.create({
		"privileged": {"value": true, "path": "HostConfig.Privileged"},
		"mounts": [fx.bind("/etc", 0)],
	})
	fx.ids(inp) == {"DG-PRIV-001", "DG-MNT-001"}
	d := fx.decide(inp) with data.guard.disabled_rules as ["DG-PRIV-001"]
	d.allow == false
	{v.id | some v in d.violations} == {"DG-MNT-001"}
	d2 := fx.decide(inp) with data.guard.disabled_rules as ["DG-PRIV-001", "DG-MNT-001"]
	d2 == {"allow": true, "violations": []}
}

test_disabled_rules_ignores_non_strings if {
	inp := fx.create({"privileged": {"value": true, "path": "HostConfig.Privileged"}})
	d := fx.decide(inp) with data.guard.disabled_rules as [1, {"DG-PRIV-001": true}, ["DG-PRIV-001"]]

	# non-strings disable nothing (the loader refuses such data before it is served)
	{[v.id, v.path] | some v in d.violations} == {["DG-PRIV-001", "HostConfig.Privileged"]}
}

# A rule package added later needs no change to the decision.
test_new_rule_package_is_collected if {
	d := fx.decide(fx.cli_create) with data.dood.rules.devices.violation as {{"id": "DG-NEW-001", "msg": "new rule", "path": "Image"}}
	d == {"allow": false, "violations": [{"id": "DG-NEW-001", "msg": "new rule", "path": "Image"}]}
}

test_malformed_violation_denies if {
	d := fx.decide(fx.cli_create) with data.dood.rules.devices.violation as {{"id": "DG-X-001", "msg": "no path"}}
	d.allow == false
	d.violations == [{"id": "DG-ENGINE-001", "msg": "rule package dood.rules.devices produced a malformed violation", "path": ""}]
}

test_malformed_violation_extra_key_denies if {
	d := fx.decide(fx.cli_create) with data.dood.rules.devices.violation as {{"id": "DG-X-001", "msg": "m", "path": "p", "extra": 1}}
	{v.id | some v in d.violations} == {"DG-ENGINE-001"}
}

test_malformed_violation_cannot_be_disabled if {
	d := fx.decide(fx.cli_create) with data.dood.rules.devices.violation as {{"id": "DG-X-001", "msg": 1, "path": "p"}}
		with data.guard.disabled_rules as ["DG-X-001", "DG-ENGINE-001"]
	d.allow == false
}

# Exempt identities: TLS client certificate CNs listed in
# data.guard.exempt_users bypass every rule.

tls(inp, cn) := object.union(inp, {"user": cn, "auth_method": "TLS"})

escape := fx.create({"privileged": {"value": true, "path": "HostConfig.Privileged"}})

test_exempt_user_bypasses_every_rule if {
	fx.decide(tls(escape, "ci-admin")) == {"allow": true, "violations": []} with data.guard.exempt_users as ["ci-admin"]
	fx.decide(tls(fx.plugin_request("plugin.disable", "dood-guard"), "ci-admin")) == {"allow": true, "violations": []} with data.guard.exempt_users as ["ci-admin"]
}

test_exempt_user_bypasses_the_restricted_profile_too if {
	d := data.dood.decision with input as tls(escape, "ci-admin")
		with data.guard.exempt_users as ["ci-admin"]
		with data.guard.profile as "restricted"
	d == {"allow": true, "violations": []}
}

test_other_users_are_judged if {
	fx.decide(tls(escape, "ci-runner")).allow == false with data.guard.exempt_users as ["ci-admin"]
	fx.decide(tls(escape, "CI-ADMIN")).allow == false with data.guard.exempt_users as ["ci-admin"]
	fx.decide(tls(escape, "ci-admin")).allow == false
}

test_unix_socket_callers_are_never_exempt if {
	# dockerd gives no identity on the unix socket; an empty entry exempts nobody
	fx.decide(escape).allow == false with data.guard.exempt_users as [""]
	fx.decide(object.union(escape, {"user": "ci-admin", "auth_method": ""})).allow == false with data.guard.exempt_users as ["ci-admin"]
}

test_exemption_does_not_hide_malformed_rules if {
	# exempt: the decision is allow whatever the rules say, malformed or not
	d := fx.decide(tls(fx.cli_create, "ci-admin")) with data.guard.exempt_users as ["ci-admin"]
		with data.dood.rules.devices.violation as {{"id": "DG-X-001", "msg": 1, "path": "p"}}
	d == {"allow": true, "violations": []}
}
