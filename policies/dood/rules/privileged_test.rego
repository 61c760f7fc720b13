package dood.rules.privileged_test

import data.dood.fixtures as fx

privileged := {"privileged": {"value": true, "path": "HostConfig.Privileged"}}

test_privileged_container_denied if {
	fx.violations(fx.create(privileged), "DG-PRIV-001") == {["privileged containers are not allowed", "HostConfig.Privileged"]}
	fx.decide(fx.create(privileged)).allow == false
}

test_unprivileged_container_allowed if {
	fx.violations(fx.cli_create, "DG-PRIV-001") == set()
}

# API < 1.24: a start body carrying a HostConfig.
test_privileged_legacy_start_denied if {
	inp := object.union(fx.create(privileged), {
		"method": "POST", "path": "/containers/web/start", "api_version": "1.23",
		"endpoint": "container.start", "params": {"name": "web"}, "query": {},
		"body": {"HostConfig": {"Privileged": true}},
	})
	fx.ids(inp) == {"DG-PRIV-001"}
}

test_privileged_exec_denied if {
	d := fx.decide(fx.exec_create(true))
	d.violations == [{"id": "DG-PRIV-002", "msg": "privileged exec is not allowed", "path": "Privileged"}]
}

test_unprivileged_exec_allowed if {
	fx.decide(fx.exec_create(false)) == {"allow": true, "violations": []}
}
