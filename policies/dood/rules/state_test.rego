package dood.rules.state_test

import data.dood.fixtures as fx

# Containers as the guard reports them in input.state (plugin/state): what
# they are, their mounts, and "body" and "facts" as a create of them would
# be read now (normalize.Existing), bind sources resolved on the host.
existing(id, name, facts, body_hc) := {
	"found": true, "id": id, "name": name, "labels": {},
	"mounts": [
		{"type": "bind", "source": "/srv/ci/workspace", "destination": "/w", "driver": "", "name": ""},
		{"type": "volume", "source": "/var/lib/docker/volumes/cache/_data", "destination": "/cache", "driver": "local", "name": "cache"},
	],
	"body": object.union(fx.cli_create.body, {"HostConfig": object.union(fx.cli_create.body.HostConfig, body_hc)}),
	"facts": object.union(fx.cli_create.facts, facts),
}

harmless := existing("1111", "web", {}, {})

root_bind := existing("2222", "rootfs", {"mounts": [fx.bind_on_host("/", "/", "dir", 0)]}, {})

socket_holder := existing("3333", "ci", {"mounts": [fx.bind_on_host("/var/run/docker.sock", "/run/docker.sock", "socket", 0)]}, {})

privileged := existing("4444", "dind", {"privileged": {"value": true, "path": "HostConfig.Privileged"}}, {})

host_pid := existing("5555", "monitor", {"namespaces": object.union(fx.cli_create.facts.namespaces, {"pid": {"mode": "host", "path": "HostConfig.PidMode"}})}, {})

sys_admin := existing("6666", "fuse", {"capabilities": {"add": [{"value": "CAP_SYS_ADMIN", "path": "HostConfig.CapAdd[0]"}], "drop": []}}, {})

cgroup_host := existing("7777", "v1", {"namespaces": object.union(fx.cli_create.facts.namespaces, {"cgroup": {"mode": "host", "path": "HostConfig.CgroupnsMode"}})}, {})

host_volume_user := object.union(harmless, {"id": "8888", "name": "vol", "mounts": [{"type": "volume", "source": "/var/lib/docker/volumes/hostroot/_data", "destination": "/h", "driver": "local", "name": "hostroot"}]})

# The hazards the reach-in rules did not see before issue 11 (item 5).
with_device := existing("a1", "disk", {"devices": [{"path_on_host": "/dev/sda", "path_in_container": "/dev/sda", "permissions": "rwm", "path": "HostConfig.Devices[0]"}]}, {})

with_device_rule := existing("a2", "mknod", {"device_cgroup_rules": [{"value": "b 8:* rwm", "path": "HostConfig.DeviceCgroupRules[0]"}]}, {})

apparmor_off := existing("a3", "loose", {"security_options": [{"key": "apparmor", "value": "unconfined", "raw": "apparmor=unconfined", "path": "HostConfig.SecurityOpt[0]"}]}, {})

unmasked := existing("a4", "procfs", {"masked_paths": {"set": true, "value": [], "path": "HostConfig.MaskedPaths"}}, {"MaskedPaths": []})

# Created when /srv/ci/workspace/x was a directory; x is now a symlink to /.
swapped := existing("a5", "job", {"mounts": [fx.bind_on_host("/srv/ci/workspace/x", "/", "dir", 0)]}, {})

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
	fx.violations(exec_into(root_bind), "DG-STATE-005") == {["exec in container rootfs is not allowed: bind mount of host path / is not allowed: it exposes /run/docker.sock (DG-MNT-001)", "params.name"]}
	fx.violations(exec_into(privileged), "DG-STATE-005") == {["exec in container dind is not allowed: privileged containers are not allowed (DG-PRIV-001)", "params.name"]}
	fx.violations(exec_into(host_pid), "DG-STATE-005") == {["exec in container monitor is not allowed: host pid namespace is not allowed (DG-NS-001)", "params.name"]}
	fx.violations(exec_into(sys_admin), "DG-STATE-005") == {["exec in container fuse is not allowed: adding capability CAP_SYS_ADMIN is not allowed (DG-CAP-001)", "params.name"]}
	fx.violations(exec_into(host_volume_user), "DG-STATE-005") == {["exec in container vol is not allowed: it mounts volume hostroot, local volume with o=bind is not allowed: it bind-mounts host path /; bind a project directory instead", "params.name"]}
	ids(exec_into(socket_holder)) == {"DG-STATE-005"}
}

# Item 5: everything a create is judged on.
test_exec_into_container_with_any_create_hazard_denied if {
	every c in [with_device, with_device_rule, apparmor_off, unmasked, swapped, socket_holder] {
		ids(exec_into(c)) == {"DG-STATE-005"}
	}
	fx.violations(exec_into(with_device), "DG-STATE-005") == {["exec in container disk is not allowed: host device /dev/sda is not allowed (DG-DEV-001)", "params.name"]}
	fx.violations(exec_into(apparmor_off), "DG-STATE-005") == {["exec in container loose is not allowed: apparmor=unconfined is not allowed; keep the default AppArmor profile (DG-SEC-002)", "params.name"]}
	fx.violations(exec_into(swapped), "DG-STATE-005") == {["exec in container job is not allowed: bind mount of host path /srv/ci/workspace/x is not allowed: it resolves to / on the host, and it exposes /run/docker.sock (DG-MNT-001)", "params.name"]}
}

# A rule switched off does not count.
test_disabled_rule_is_no_hazard if {
	d := data.dood.decision with input as exec_into(with_device) with data.guard.disabled_rules as ["DG-DEV-001"]
	d.allow
}

test_all_hazards_named if {
	both := object.union(root_bind, {"facts": object.union(root_bind.facts, {"privileged": {"value": true, "path": "HostConfig.Privileged"}})})
	fx.violations(exec_into(both), "DG-STATE-005") == {["exec in container rootfs is not allowed: bind mount of host path / is not allowed: it exposes /run/docker.sock (DG-MNT-001); privileged containers are not allowed (DG-PRIV-001)", "params.name"]}
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
	fx.violations(reach("container.archive.put", "PUT", "/containers/web/archive", privileged), "DG-STATE-005") == {["copying files into container dind is not allowed: privileged containers are not allowed (DG-PRIV-001)", "params.name"]}
	fx.violations(commit(socket_holder), "DG-STATE-005") == {["committing container ci is not allowed: bind mount of /var/run/docker.sock is not allowed: it resolves to the unix socket /run/docker.sock on the host, and a container holding a runtime socket is root on the host; list it in guard.allowed_sockets if this socket is safe (DG-MNT-003); bind mount of host path /var/run/docker.sock is not allowed: /var/run/docker.sock is a protected host path (DG-MNT-001)", "query.container"]}
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
	fx.violations(volumes_from(["rootfs:ro"], {"rootfs": root_bind}), "DG-STATE-003") == {["volumes from container rootfs are not allowed: bind mount of host path / is not allowed: it exposes /run/docker.sock (DG-MNT-001)", "HostConfig.VolumesFrom[0]"]}
	{v[1] | some v in fx.violations(volumes_from(["web", "2222"], {"web": harmless, "2222": socket_holder}), "DG-STATE-003")} == {"HostConfig.VolumesFrom[1]"}
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
	fx.violations(join("pid", "monitor", {"monitor": host_pid}), "DG-STATE-004") == {["joining the pid namespace of container monitor is not allowed: host pid namespace is not allowed (DG-NS-001)", "HostConfig.PidMode"]}
	fx.violations(join("network", "dind", {"dind": privileged}), "DG-STATE-004") == {["joining the network namespace of container dind is not allowed: privileged containers are not allowed (DG-PRIV-001)", "HostConfig.NetworkMode"]}
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

	# a volume the guard did not report is a refusal, not a pass
	ids(named_volume("unknown")) == {"DG-STATE-001"}

	# another driver's options mean what that driver makes of them
	ids(named_volume("plugin")) == set()
}

test_benign_create_with_state_allowed if {
	fx.decide(object.union(fx.cli_create, {"state": state({})})) == {"allow": true, "violations": []}
}

# Item 1: start, restart, unpause and a restart-policy update are judged on
# the container as it is now.
start_of(endpoint, c) := object.union(
	fx.request("POST", endpoint, "/containers/web/x", {"name": "web"}, {}),
	{"state": state({"web": c})},
)

update_of(policy, c) := object.union(start_of("container.update", c), {"body": {"RestartPolicy": {"Name": policy, "MaximumRetryCount": 0}}})

test_start_of_swapped_bind_denied if {
	fx.violations(start_of("container.start", swapped), "DG-STATE-006") == {["starting container job is not allowed: bind mount of host path /srv/ci/workspace/x is not allowed: it resolves to / on the host, and it exposes /run/docker.sock (DG-MNT-001)", "params.name"]}
	every e in ["container.start", "container.restart", "container.unpause"] {
		ids(start_of(e, swapped)) == {"DG-STATE-006"}
		ids(start_of(e, harmless)) == set()
		ids(start_of(e, with_device)) == {"DG-STATE-006"}
	}
	ids(start_of("container.start", {"found": false})) == set()
}

# The label lets socket holders reach into a container an admin made
# dangerous on purpose; it does not let them start it.
test_label_does_not_exempt_start if {
	labelled := object.union(privileged, {"labels": {"dood-guard.allow-exec": "true"}})
	ids(start_of("container.start", labelled)) == {"DG-STATE-006"}
}

# A container in the state without its configuration is not taken as
# harmless.
test_state_without_facts_denies if {
	bare := {"found": true, "id": "b1", "name": "bare", "mounts": [], "labels": {}}
	ids(exec_into(bare)) == {"DG-STATE-005"}
	ids(start_of("container.start", bare)) == {"DG-STATE-006"}
}

test_update_restart_policy if {
	ids(object.union(start_of("container.update", swapped), {"body": {}})) == set()
	ids(update_of("always", swapped)) == {"DG-STATE-006"}
	ids(update_of("no", swapped)) == set()
	ids(update_of("", swapped)) == set()
	ids(object.union(start_of("container.update", swapped), {"body": {"Memory": 1024}})) == set()
	ids(update_of("unless-stopped", harmless)) == set()
}

# Restricted: a restart policy on a bind below an allowed path is refused
# at create (DG-MNT-007) and when an update sets it (DG-STATE-006).
restricted_with_bind(source, policy) := object.union(fx.restricted_create, {"facts": object.union(fx.restricted_create.facts, {
	"mounts": [fx.bind_on_host(source, source, "dir", 0)],
	"restart_policy": {"value": policy, "path": "HostConfig.RestartPolicy.Name"},
})})

test_restart_policy_on_swappable_bind_restricted if {
	vs := fx.violations_restricted(restricted_with_bind("/srv/ci/workspace/job1", "always"), "DG-MNT-007") with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]
	vs == {[
		"restart policy \"always\" is not allowed in the restricted profile with a bind of /srv/ci/workspace/job1: /srv/ci/workspace may be bound by any socket holder, who can replace a directory below it with a symlink before an automatic restart, which the guard never sees; bind /srv/ci/workspace itself or drop the restart policy",
		"HostConfig.Binds[0]",
	]}
	fx.ids_restricted(restricted_with_bind("/srv/ci/workspace", "always")) == set() with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]
	fx.ids_restricted(restricted_with_bind("/srv/ci/workspace/job1", "no")) == set() with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]
	fx.ids_restricted(restricted_with_bind("/srv/ci/workspace/job1", "")) == set() with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]

	# the baseline leaves the window open (docs/state.md)
	not "DG-MNT-007" in fx.ids(restricted_with_bind("/srv/ci/workspace/job1", "always")) with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]
}

test_update_restart_policy_restricted if {
	job := existing("a6", "job", object.union(fx.restricted_create.facts, {"mounts": [fx.bind_on_host("/srv/ci/workspace/job1", "/srv/ci/workspace/job1", "dir", 0)]}), {})
	inp := object.union(update_of("on-failure", job), {"state": state({"web": object.union(job, {"body": fx.restricted_create.body})})})
	vs := fx.violations_restricted(inp, "DG-STATE-006") with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]
	count(vs) == 1
	some v in vs
	contains(v[0], "(DG-MNT-007)")
	fx.ids_restricted(update_of("no", job)) == set() with data.guard.allowed_bind_paths as ["/srv/ci/workspace"]
}
