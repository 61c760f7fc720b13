package dood.rules.cgroups_test

import data.dood.fixtures as fx

test_cgroup_parent_denied if {
	inp := fx.create({"cgroup_parent": {"value": "/", "path": "HostConfig.CgroupParent"}})
	fx.decide(inp).violations == [{"id": "DG-CGRP-001", "msg": "cgroup parent \"/\" is not allowed: leave CgroupParent empty", "path": "HostConfig.CgroupParent"}]
	fx.ids(fx.create({"cgroup_parent": {"value": "system.slice", "path": "HostConfig.CgroupParent"}})) == {"DG-CGRP-001"}
}

test_empty_cgroup_parent_allowed if {
	fx.ids(fx.create({"cgroup_parent": {"value": "", "path": "HostConfig.CgroupParent"}})) == set()
}

test_build_cgroup_parent_denied if {
	fx.decide(fx.build({"cgroupparent": "/"})).violations == [{
		"id": "DG-CGRP-001",
		"msg": "builds with cgroupparent \"/\" are not allowed: RUN steps would run outside the daemon's cgroup",
		"path": "query.cgroupparent",
	}]
	fx.ids(fx.build({"cgroupparent": ""})) == set()
}
