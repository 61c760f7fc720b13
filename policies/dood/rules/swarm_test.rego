package dood.rules.swarm_test

import data.dood.fixtures as fx

join(addrs) := fx.with_body(fx.request("POST", "swarm.join", "/swarm/join", {}, {}), {
	"ListenAddr": "0.0.0.0:2377", "AdvertiseAddr": "", "DataPathAddr": "",
	"RemoteAddrs": addrs, "Availability": "",
})

test_join_outside_manager_denied if {
	fx.decide(join(["203.0.113.7:2377"])).violations == [{
		"id": "DG-SWARM-001",
		"msg": "joining the swarm managed at 203.0.113.7:2377 is not allowed: its managers could run any container on this host without authorization; ask for it to be listed in guard.allowed_swarm_managers",
		"path": "RemoteAddrs[0]",
	}]
}

test_join_allowed_managers if {
	fx.ids(join(["10.0.0.1:2377"])) == set() with data.guard.allowed_swarm_managers as ["10.0.0.1:2377"]
	fx.ids(join(["10.0.0.1"])) == set() with data.guard.allowed_swarm_managers as ["10.0.0.1:2377"]
	fx.ids(join(["10.0.0.1:2377"])) == set() with data.guard.allowed_swarm_managers as ["10.0.0.1"]

	# every address must be allowed
	fx.violations(join(["10.0.0.1:2377", "10.0.0.9:2377"]), "DG-SWARM-001") == {[
		"joining the swarm managed at 10.0.0.9:2377 is not allowed: its managers could run any container on this host without authorization; ask for it to be listed in guard.allowed_swarm_managers",
		"RemoteAddrs[1]",
	]} with data.guard.allowed_swarm_managers as ["10.0.0.1:2377"]
	fx.ids(join(["10.0.0.1:2378"])) == {"DG-SWARM-001"} with data.guard.allowed_swarm_managers as ["10.0.0.1"]
}

init := fx.with_body(fx.request("POST", "swarm.init", "/swarm/init", {}, {}), {"ListenAddr": "0.0.0.0:2377", "AdvertiseAddr": "", "ForceNewCluster": false, "Spec": {}})

test_swarm_mode_allowed_in_baseline if {
	fx.ids(init) == set()
	fx.ids(fx.service_create) == set()
	fx.ids(fx.request("POST", "swarm.leave", "/swarm/leave", {}, {"force": "1"})) == set()
}

test_swarm_mode_denied_in_restricted if {
	fx.decide_restricted(init).violations == [{
		"id": "DG-SWARM-002",
		"msg": "swarm.init is not allowed in the restricted profile: swarm mode runs containers without authorization",
		"path": "",
	}]
	fx.ids_restricted(fx.service_create) == {"DG-SWARM-002"}
	"DG-SWARM-002" in fx.ids_restricted(join(["10.0.0.1:2377"]))
	fx.ids_restricted(fx.request("POST", "swarm.leave", "/swarm/leave", {}, {})) == set()
}

test_join_tokens_denied if {
	fx.decide(fx.request("GET", "swarm.inspect", "/swarm", {}, {})).violations == [{
		"id": "DG-SWARM-003",
		"msg": "swarm.inspect is not allowed: swarm join tokens and the unlock key let another machine take this node over",
		"path": "",
	}]
	fx.ids(fx.request("GET", "swarm.unlockkey", "/swarm/unlockkey", {}, {})) == {"DG-SWARM-003"}
	fx.ids(fx.request("GET", "info", "/info", {}, {})) == set()
	fx.ids(fx.request("GET", "node.list", "/nodes", {}, {})) == set()
}

# DG-SWARM-004: templates in a service mount's host side. The facts carry
# which fields hold a template (plugin/normalize TestServiceMountTemplates).

svc_mount(m) := fx.service({"mounts": [object.union(
	{
		"type": "bind", "source": "/srv/ci/ws", "target": "/w", "read_only": false, "driver": "",
		"driver_options": {}, "path": "TaskTemplate.ContainerSpec.Mounts[0].Source",
		"host_source": "/srv/ci/ws", "host_kind": "unknown", "create_mountpoint": false, "templated": [],
	},
	m,
)]})

test_templated_bind_source_denied if {
	fx.decide(svc_mount({"source": "/srv/{{\"../..\"}}", "host_source": "/srv/{{\"../..\"}}", "templated": ["Source"]})).violations == [{
		"id": "DG-SWARM-004",
		"msg": "service mount Source is a template (\"/srv/{{\\\"../..\\\"}}\"): the swarm agent expands it on the node, after the guard has judged it, so it could name any host path; write it out in full",
		"path": "TaskTemplate.ContainerSpec.Mounts[0].Source",
	}]
}

test_templated_local_volume_option_denied if {
	inp := svc_mount({
		"type": "volume", "source": "v", "driver": "local", "path": "TaskTemplate.ContainerSpec.Mounts[0]",
		"driver_options": {"type": "none", "o": "{{\"bind\"}}", "device": "/"}, "templated": ["VolumeOptions.DriverConfig.Options.o"],
	})
	"DG-SWARM-004" in fx.ids(inp)
}

test_templated_names_and_targets_allowed if {
	fx.ids(svc_mount({
		"type": "volume", "source": "data-{{.Task.Slot}}", "target": "/d/{{.Task.Slot}}", "driver": "local",
		"path": "TaskTemplate.ContainerSpec.Mounts[0]", "templated": ["Source", "Target"],
	})) == set()
	fx.ids(svc_mount({"target": "/w/{{.Task.Slot}}", "templated": ["Target"]})) == set()

	# another driver's options mean what that driver makes of them
	fx.ids(svc_mount({
		"type": "volume", "source": "v", "driver": "nfs-plugin", "path": "TaskTemplate.ContainerSpec.Mounts[0]",
		"driver_options": {"share": "{{.Node.Hostname}}"}, "templated": ["VolumeOptions.DriverConfig.Options.share"],
	})) == set()
}
