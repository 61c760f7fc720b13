package dood.rules.state_test

import data.dood.fixtures as fx

# Containers as the guard reports them in input.state (plugin/state).
harmless := {
	"found": true, "id": "1111", "name": "web", "privileged": false,
	"mounts": [
		{"type": "bind", "source": "/srv/ci/workspace", "destination": "/w", "driver": "", "name": ""},
		{"type": "volume", "source": "/var/lib/docker/volumes/cache/_data", "destination": "/cache", "driver": "local", "name": "cache"},
	],
	"namespaces": {"pid": "", "network": "bridge", "ipc": "private", "uts": "", "user": "", "cgroup": "private"},
	"cap_add": ["CAP_NET_BIND_SERVICE"], "labels": {},
}

root_bind := object.union(harmless, {"id": "2222", "name": "rootfs", "mounts": [{"type": "bind", "source": "/", "destination": "/host", "driver": "", "name": ""}]})

socket_holder := object.union(harmless, {"id": "3333", "name": "ci", "mounts": [{"type": "bind", "source": "/var/run/docker.sock", "destination": "/var/run/docker.sock", "driver": "", "name": ""}]})

privileged := object.union(harmless, {"id": "4444", "name": "dind", "privileged": true})

host_pid := object.union(harmless, {"id": "5555", "name": "monitor", "namespaces": object.union(harmless.namespaces, {"pid": "host"})})

sys_admin := object.union(harmless, {"id": "6666", "name": "fuse", "cap_add": ["CAP_SYS_ADMIN"]})

cgroup_host := object.union(harmless, {"id": "7777", "name": "v1", "namespaces": object.union(harmless.namespaces, {"cgroup": "host"})})

host_volume_user := object.union(harmless, {"id": "8888", "name": "vol", "mounts": [{"type": "volume", "source": "/var/lib/docker/volumes/hostroot/_data", "destination": "/h", "driver": "local", "name": "hostroot"}]})

volumes := {
	"cache": {"found": true, "name": "cache", "driver": "local", "options": {}, "path": "HostConfig.Binds[0]"},
	"hostroot": {"found": true, "name": "hostroot", "driver": "local", "options": {"type": "none", "o": "bind", "device": "/"}, "path": "HostConfig.Binds[0]"},
	"disk": {"found": true, "name": "disk", "driver": "local", "options": {"type": "ext4", "device": "/dev/sda1"}, "path": "HostConfig.Binds[0]"},
	"nfs": {"found": true, "name": "nfs", "driver": "local", "options": {"type": "nfs", "o": "addr=10.0.0.1", "device": ":/export"}, "path": "HostConfig.Binds[0]"},
	"plugin": {"found": true, "name": "plugin", "driver": "rexray", "options": {"o": "bind", "device": "/"}, "path": "HostConfig.Binds[0]"},
	"gone": {"found": false, "path": "HostConfig.Binds[0]"},
}

state(containers) := {"containers": containers, "volumes": volumes}

# exec_into(c) is `docker exec web sh` where "web" designates c.
exec_into(c) := object.union(fx.exec_create(false), {"state": state({"web": c})})

reach(endpoint, method, path, c) := object.union(exec_into(c), {"endpoint": endpoint, "method": method, "path": path, "body": {}, "facts": {}})

commit(c) := object.union(exec_into(c), {"endpoint": "container.commit", "path": "/commit", "params": {}, "query": {"container": "web"}, "body": {}, "facts": {}})

ids(inp) := {id | some id in fx.ids(inp); startswith(id, "DG-STATE-")}

as_tls(inp, cn) := object.union(inp, {"user": cn, "auth_method": "TLS"})

with_exempt(inp, users) := d if {
	d := data.dood.decision with input as inp with data.guard.exempt_users as users
}

test_exec_into_harmless_allowed if {
	fx.decide(exec_into(harmless)) == {"allow": true, "violations": []}
}

test_exec_into_missing_container_left_to_the_daemon if {
	fx.decide(exec_into({"found": false, "path": "params.name"})) == {"allow": true, "violations": []}
}

test_exec_into_dangerous_denied if {
	fx.violations(exec_into(root_bind), "DG-STATE-005") == {["exec in container rootfs is not allowed: it bind-mounts host path /", "params.name"]}
	fx.violations(exec_into(socket_holder), "DG-STATE-005") == {["exec in container ci is not allowed: it bind-mounts host path /var/run/docker.sock", "params.name"]}
	fx.violations(exec_into(privileged), "DG-STATE-005") == {["exec in container dind is not allowed: it is privileged", "params.name"]}
	fx.violations(exec_into(host_pid), "DG-STATE-005") == {["exec in container monitor is not allowed: it shares the host's pid namespace", "params.name"]}
	fx.violations(exec_into(sys_admin), "DG-STATE-005") == {["exec in container fuse is not allowed: it has capability CAP_SYS_ADMIN", "params.name"]}
	fx.violations(exec_into(host_volume_user), "DG-STATE-005") == {["exec in container vol is not allowed: it mounts volume hostroot, local volume with o=bind is not allowed: it bind-mounts host path /; bind a project directory instead", "params.name"]}
}

test_all_hazards_named if {
	both := object.union(root_bind, {"privileged": true})
	fx.violations(exec_into(both), "DG-STATE-005") == {["exec in container rootfs is not allowed: it bind-mounts host path /; it is privileged", "params.name"]}
}

test_host_cgroup_namespace_alone_is_not_a_hazard if {
	ids(exec_into(cgroup_host)) == set()
}

test_every_reach_in_endpoint if {
	every e in [
		["container.attach", "POST", "/containers/web/attach"],
		["container.attach.ws", "GET", "/containers/web/attach/ws"],
		["container.archive.get", "GET", "/containers/web/archive"],
		["container.archive.head", "HEAD", "/containers/web/archive"],
		["container.archive.put", "PUT", "/containers/web/archive"],
		["container.copy", "POST", "/containers/web/copy"],
		["container.export", "GET", "/containers/web/export"],
	] {
		ids(reach(e[0], e[1], e[2], root_bind)) == {"DG-STATE-005"}
		ids(reach(e[0], e[1], e[2], harmless)) == set()
	}
	fx.violations(reach("container.archive.put", "PUT", "/containers/web/archive", privileged), "DG-STATE-005") == {["copying files into container dind is not allowed: it is privileged", "params.name"]}
	fx.violations(commit(socket_holder), "DG-STATE-005") == {["committing container ci is not allowed: it bind-mounts host path /var/run/docker.sock", "query.container"]}
	ids(commit(harmless)) == set()
}

test_other_endpoints_ignore_state if {
	ids(reach("container.logs", "GET", "/containers/web/logs", root_bind)) == set()
	ids(reach("container.inspect", "GET", "/containers/web/json", root_bind)) == set()
}

test_label_exempts_reach_in_only if {
	labelled := object.union(privileged, {"labels": {"dood-guard.allow-exec": "true"}})
	ids(exec_into(labelled)) == set()
	ids(exec_into(object.union(privileged, {"labels": {"dood-guard.allow-exec": "yes"}}))) == {"DG-STATE-005"}
	ids(volumes_from(["dind"], {"dind": labelled})) == {"DG-STATE-003"}
}

test_exempt_tls_user if {
	with_exempt(as_tls(exec_into(root_bind), "admin"), ["admin"]) == {"allow": true, "violations": []}
	with_exempt(as_tls(exec_into(root_bind), "ci"), ["admin"]).allow == false

	# a unix-socket caller has no identity, even if it names one
	with_exempt(object.union(exec_into(root_bind), {"user": "admin"}), ["admin"]).allow == false
}

# A create with these facts and state.
create_with(facts, containers) := object.union(fx.create(facts), {"state": state(containers)})

volumes_from(refs, containers) := create_with(
	{"volumes_from": [{"value": r, "path": sprintf("HostConfig.VolumesFrom[%d]", [i])} | some i, r in refs]},
	containers,
)

test_volumes_from if {
	fx.violations(volumes_from(["rootfs:ro"], {"rootfs": root_bind}), "DG-STATE-003") == {["volumes from container rootfs are not allowed: it bind-mounts host path /", "HostConfig.VolumesFrom[0]"]}
	fx.violations(volumes_from(["web", "2222"], {"web": harmless, "2222": socket_holder}), "DG-STATE-003") == {["volumes from container ci are not allowed: it bind-mounts host path /var/run/docker.sock", "HostConfig.VolumesFrom[1]"]}
	ids(volumes_from(["dind"], {"dind": privileged})) == {"DG-STATE-003"}
	ids(volumes_from(["web:rw"], {"web": harmless})) == set()
	ids(volumes_from(["nope"], {"nope": {"found": false}})) == set()
}

join(kind, ref, containers) := create_with(
	{"namespaces": object.union(fx.cli_create.facts.namespaces, {kind: {"mode": concat(":", ["container", ref]), "path": ns_path[kind]}})},
	containers,
)

ns_path := {"pid": "HostConfig.PidMode", "network": "HostConfig.NetworkMode", "ipc": "HostConfig.IpcMode"}

test_namespace_join if {
	fx.violations(join("pid", "monitor", {"monitor": host_pid}), "DG-STATE-004") == {["joining the pid namespace of container monitor is not allowed: it shares the host's pid namespace", "HostConfig.PidMode"]}
	fx.violations(join("network", "dind", {"dind": privileged}), "DG-STATE-004") == {["joining the network namespace of container dind is not allowed: it is privileged", "HostConfig.NetworkMode"]}
	ids(join("ipc", "rootfs", {"rootfs": root_bind})) == {"DG-STATE-004"}
	ids(join("pid", "web", {"web": harmless})) == set()
	ids(join("network", "gone", {"gone": {"found": false}})) == set()
}

named_volume(name) := create_with(
	{"mounts": [{
		"type": "volume", "source": name, "target": "/data", "read_only": false,
		"driver": "local", "driver_options": {}, "path": "HostConfig.Binds[0]",
	}]},
	{},
)

test_existing_host_volume if {
	fx.violations(named_volume("hostroot"), "DG-STATE-002") == {["existing volume hostroot is a host mount and is not allowed: local volume with o=bind is not allowed: it bind-mounts host path /; bind a project directory instead", "HostConfig.Binds[0]"]}
	ids(named_volume("disk")) == {"DG-STATE-002"}
	ids(named_volume("cache")) == set()
	ids(named_volume("nfs")) == set()
	ids(named_volume("gone")) == set()
	ids(named_volume("unknown")) == set()

	# another driver's options mean what that driver makes of them
	ids(named_volume("plugin")) == set()
}

test_benign_create_with_state_allowed if {
	fx.decide(object.union(fx.cli_create, {"state": state({})})) == {"allow": true, "violations": []}
}

# A Subpath (API 1.45) into a host-bind volume is a host directory below the
# bound one: refused like the volume; into an ordinary volume, allowed.
subpath_volume(name, sub) := create_with(
	{"mounts": [{
		"type": "volume", "source": name, "target": "/data", "read_only": false,
		"driver": "local", "driver_options": {}, "path": "HostConfig.Mounts[0]", "subpath": sub,
	}]},
	{},
)

test_subpath_into_host_bind_volume_denied if {
	fx.violations(subpath_volume("hostroot", "etc"), "DG-STATE-002") == {["existing volume hostroot (Subpath etc) is a host mount and is not allowed: local volume with o=bind is not allowed: it bind-mounts host path /; bind a project directory instead", "HostConfig.Mounts[0]"]}
}

test_subpath_into_ordinary_volume_allowed if {
	ids(subpath_volume("cache", "sub/dir")) == set()
}
