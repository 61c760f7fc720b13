package dood.rules.mounts_test

import data.dood.fixtures as fx

mnt001(sources) := fx.violations(fx.with_binds(sources), "DG-MNT-001")

denied(source) if count(mnt001([source])) == 1

allowed(source) if fx.decide(fx.with_binds([source])) == {"allow": true, "violations": []}

test_workspace_binds_allowed if {
	allowed("/srv/ci/workspace")
	allowed("/tmp/build-123")
	allowed("/var/tmp/cache")
	allowed("/var/lib/jenkins/workspace")
	allowed("/mnt/data")
}

test_message_names_the_socket if {
	mnt001(["/var/run"]) == {["bind mount of host path /var/run is not allowed: it exposes /var/run/docker.sock", "HostConfig.Binds[0]"]}
	mnt001(["/run"]) == {["bind mount of host path /run is not allowed: it exposes /run/docker.sock", "HostConfig.Binds[0]"]}
}

test_socket_denied if {
	mnt001(["/var/run/docker.sock"]) == {["bind mount of host path /var/run/docker.sock is not allowed: /var/run/docker.sock is a protected host path", "HostConfig.Binds[0]"]}
	denied("/run/docker.sock")
	denied("/run/containerd/containerd.sock")
	denied("/run/containerd")
	denied("/var/run/containerd")
}

test_protected_trees_denied if {
	every p in data.guard.protected_paths {
		denied(p)
	}
	mnt001(["/etc"]) == {["bind mount of host path /etc is not allowed: /etc is a protected host path", "HostConfig.Binds[0]"]}
}

test_below_protected_denied if {
	mnt001(["/etc/ssl"]) == {["bind mount of host path /etc/ssl is not allowed: /etc is a protected host path", "HostConfig.Binds[0]"]}
	denied("/proc/1/root")
	denied("/sys/fs/cgroup")
	denied("/dev/sda")
	denied("/root/.ssh")
	denied("/var/lib/docker/volumes/x/_data")
	denied("/lib/modules/6.1.0")
	denied("/run/user/1000/docker.sock")
	mnt001(["/usr/local/bin"]) == {["bind mount of host path /usr/local/bin is not allowed: /usr is a protected host path", "HostConfig.Binds[0]"]}
}

test_ancestors_denied if {
	mnt001(["/"]) == {["bind mount of host path / is not allowed: it exposes /run/docker.sock", "HostConfig.Binds[0]"]}
	mnt001(["/var"]) == {["bind mount of host path /var is not allowed: it exposes /var/run/docker.sock", "HostConfig.Binds[0]"]}
	mnt001(["/var/lib"]) == {["bind mount of host path /var/lib is not allowed: it exposes /var/lib/buildkit", "HostConfig.Binds[0]"]}
	denied("/var/spool")
}

test_segment_boundaries if {
	allowed("/etcetera")
	allowed("/etc-backup")
	allowed("/procfs")
	allowed("/sysroot")
	allowed("/devel/src")
	allowed("/rootfs/app")
	allowed("/runner/work")
	allowed("/var/runs")
	allowed("/var/run2/docker.sock")
	allowed("/var/lib/dockerd")
	allowed("/var/lib/docker-ci")
	allowed("/usrdata")
	denied("/etc/ssl")
	denied("/etc")
}

# Sources come cleaned, but a stray slash or dot must not change the verdict.
test_unclean_spelling_still_denied if {
	denied("/etc/")
	denied("//etc")
	denied("/./var/run/docker.sock")
	denied("/var//run")
}

test_unjudgeable_sources_denied if {
	mnt001(["/srv/../etc"]) == {["bind mount source \"/srv/../etc\" is not allowed: it is not a clean absolute path", "HostConfig.Binds[0]"]}
	denied("etc")
	denied("")
}

test_read_only_does_not_help if {
	inp := fx.create({"mounts": [object.union(fx.bind("/var/run/docker.sock", 0), {"read_only": true})]})
	fx.ids(inp) == {"DG-MNT-001"}
}

test_mounts_api_bind_denied if {
	inp := fx.create_hc(
		{"Binds": null, "Mounts": [{"Type": "bind", "Source": "/", "Target": "/host"}]},
		{"mounts": [{
			"type": "bind", "source": "/", "target": "/host", "read_only": false,
			"driver": "", "driver_options": {}, "path": "HostConfig.Mounts[0].Source",
		}]},
	)
	fx.violations(inp, "DG-MNT-001") == {["bind mount of host path / is not allowed: it exposes /run/docker.sock", "HostConfig.Mounts[0].Source"]}
}

test_each_bind_reported if {
	count(mnt001(["/srv/ci/workspace", "/etc", "/tmp/work", "/"])) == 2
}

test_other_mount_types_ignored if {
	inp := fx.create({"mounts": [
		{"type": "tmpfs", "source": "", "target": "/etc", "read_only": false, "driver": "", "driver_options": {}, "path": "HostConfig.Tmpfs"},
		{"type": "volume", "source": "etc", "target": "/etc", "read_only": false, "driver": "local", "driver_options": {}, "path": "HostConfig.Binds[0]"},
	]})
	fx.ids(inp) == set()
}

test_allowed_bind_paths if {
	fx.ids(fx.with_binds(["/var/lib/docker/volumes/ci/_data"])) == set() with data.guard.allowed_bind_paths as ["/var/lib/docker/volumes/ci"]
	fx.ids(fx.with_binds(["/var/lib/docker/volumes/ci"])) == set() with data.guard.allowed_bind_paths as ["/var/lib/docker/volumes/ci"]

	# segment boundary for exemptions too, and nothing above the exemption
	fx.ids(fx.with_binds(["/var/lib/docker/volumes/ci2"])) == {"DG-MNT-001"} with data.guard.allowed_bind_paths as ["/var/lib/docker/volumes/ci"]
	fx.ids(fx.with_binds(["/var/lib/docker/volumes"])) == {"DG-MNT-001"} with data.guard.allowed_bind_paths as ["/var/lib/docker/volumes/ci"]

	# an empty or relative entry exempts nothing
	fx.ids(fx.with_binds(["/etc"])) == {"DG-MNT-001"} with data.guard.allowed_bind_paths as ["", "etc", "."]
}

test_protected_paths_are_data if {
	fx.ids(fx.with_binds(["/srv/ci/workspace"])) == {"DG-MNT-001"} with data.guard.protected_paths as ["/srv/ci/workspace/secret"]
	fx.ids(fx.with_binds(["/etc"])) == set() with data.guard.protected_paths as ["/srv"]
}

# DG-MNT-002: local volumes that are host mounts in disguise.

vol(opts) := fx.create({"mounts": [{
	"type": "volume", "source": "data", "target": "/data", "read_only": false,
	"driver": "local", "driver_options": opts, "path": "HostConfig.Mounts[0]",
}]})

mnt002(inp) := fx.violations(inp, "DG-MNT-002")

test_volume_create_bind_denied if {
	inp := fx.volume_create("local", {"type": "none", "o": "bind", "device": "/"})
	fx.decide(inp).violations == [{
		"id": "DG-MNT-002",
		"msg": "local volume with o=bind is not allowed: it bind-mounts host path /; bind a project directory instead",
		"path": "DriverOpts",
	}]
}

test_volume_create_default_driver_bind_denied if {
	fx.ids(fx.volume_create("", {"type": "none", "o": "rbind,ro", "device": "/var/run"})) == {"DG-MNT-002"}
}

test_bind_word_anywhere_in_o if {
	every o in ["bind", "rbind", "ro,bind", "rbind,ro", "nosuid,bind,nodev", "defaults,rbind"] {
		count(mnt002(vol({"type": "none", "o": o, "device": "/srv/ci/workspace"}))) == 1
	}
}

test_bind_without_device_denied if {
	mnt002(fx.volume_create("local", {"o": "bind"})) == {["local volume with o=bind is not allowed: it bind-mounts host path (none given); bind a project directory instead", "DriverOpts"]}
}

test_bind_with_any_type_denied if {
	# MS_BIND makes the kernel ignore the type
	count(mnt002(vol({"type": "tmpfs", "o": "bind", "device": "/etc"}))) == 1
	count(mnt002(vol({"type": "nfs", "o": "rbind", "device": "/"}))) == 1
}

test_device_mounts_denied if {
	mnt002(fx.volume_create("local", {"type": "ext4", "device": "/dev/sda1"})) == {["local volume mounting \"/dev/sda1\" as type \"ext4\" is not allowed: only tmpfs, nfs, nfs4, cifs, smb3 mounts are allowed", "DriverOpts"]}
	count(mnt002(vol({"type": "xfs", "device": "/dev/nvme0n1p2", "o": "ro"}))) == 1
	count(mnt002(vol({"type": "none", "device": "/"}))) == 1
}

test_pseudo_filesystems_denied if {
	# no path in device, yet the host's view of /proc, /dev or / is mounted
	count(mnt002(vol({"type": "proc", "device": "proc"}))) == 1
	count(mnt002(vol({"type": "devtmpfs", "device": "devtmpfs"}))) == 1
	count(mnt002(vol({"type": "overlay", "device": "overlay", "o": "lowerdir=/,upperdir=/tmp/u,workdir=/tmp/w"}))) == 1
	count(mnt002(vol({"type": "sysfs", "device": "sysfs"}))) == 1
}

test_safe_local_volumes_allowed if {
	fx.ids(vol({})) == set()
	fx.ids(vol({"size": "10G"})) == set()
	fx.ids(vol({"type": "tmpfs", "device": "tmpfs", "o": "size=100m,uid=1000"})) == set()
	fx.ids(vol({"type": "nfs", "device": ":/exports/ci", "o": "addr=10.0.0.5,rw,nfsvers=4"})) == set()
	fx.ids(vol({"type": "cifs", "device": "//fileserver/share", "o": "addr=10.0.0.6,username=ci"})) == set()
	fx.ids(fx.volume_create("local", {})) == set()
	fx.ids(fx.volume_create("", {"type": "tmpfs", "device": "tmpfs", "o": "size=1g"})) == set()
}

test_bind_like_words_that_are_not_bind if {
	# only the exact words bind/rbind set MS_BIND
	fx.ids(vol({"type": "nfs", "device": "srv:/x", "o": "binder=1,unbindable"})) == set()
	fx.ids(vol({"type": "tmpfs", "device": "tmpfs", "o": "size=1m,rbinds"})) == set()
}

# The local driver reads exactly "type", "o", "device" (and refuses any other
# key), so other spellings neither mount nor need judging.
test_option_keys_are_case_sensitive if {
	fx.ids(fx.volume_create("local", {"TYPE": "none", "O": "bind", "DEVICE": "/"})) == set()
	fx.ids(fx.volume_create("local", {"type": "none", "o": "bind", "device": "/"})) == {"DG-MNT-002"}
}

test_other_drivers_ignored if {
	fx.ids(fx.volume_create("rexray/ebs", {"type": "none", "o": "bind", "device": "/"})) == set()
	fx.ids(fx.volume_create("LOCAL", {"o": "bind"})) == set()
}

test_allowed_local_volume_types_are_data if {
	fx.ids(vol({"type": "ext4", "device": "/dev/sdb1"})) == set() with data.guard.allowed_local_volume_types as ["ext4"]

	# bind stays refused whatever the type list says
	fx.ids(vol({"type": "none", "o": "bind", "device": "/"})) == {"DG-MNT-002"} with data.guard.allowed_local_volume_types as ["none"]
}

test_home_is_protected_unless_allowed if {
	mnt001(["/home/runner/work"]) == {["bind mount of host path /home/runner/work is not allowed: /home is a protected host path", "HostConfig.Binds[0]"]}
	fx.ids(fx.with_binds(["/home/runner/work/repo"])) == set() with data.guard.allowed_bind_paths as ["/home/runner/work"]
}

test_extra_protected_paths_add_to_the_defaults if {
	inp := fx.with_binds(["/srv/secrets/db", "/etc"])
	count(fx.violations(inp, "DG-MNT-001")) == 1
	count(fx.violations(inp, "DG-MNT-001")) == 2 with data.guard.extra_protected_paths as ["/srv/secrets"]
	fx.violations(fx.with_binds(["/srv"]), "DG-MNT-001") == {["bind mount of host path /srv is not allowed: it exposes /srv/secrets", "HostConfig.Binds[0]"]} with data.guard.extra_protected_paths as ["/srv/secrets"]
}

# --- host-aware: the path the host resolves is judged as well ------------

on_host(source, host, kind) := fx.create({"mounts": [fx.bind_on_host(source, host, kind, 0)]})

test_symlink_to_protected_path_denied if {
	fx.decide(on_host("/work/link", "/run", "dir")).violations == [{
		"id": "DG-MNT-001",
		"msg": "bind mount of host path /work/link is not allowed: it resolves to /run on the host, and it exposes /run/docker.sock",
		"path": "HostConfig.Binds[0]",
	}]
	fx.violations(on_host("/srv/ci/workspace/e", "/etc/ssl", "dir"), "DG-MNT-001") == {["bind mount of host path /srv/ci/workspace/e is not allowed: it resolves to /etc/ssl on the host, and /etc is a protected host path", "HostConfig.Binds[0]"]}
}

test_symlink_out_of_an_allowed_tree_denied if {
	# the exemption covers the written path, not where a symlink in it leads
	fx.ids(on_host("/srv/ci/workspace/up", "/", "dir")) == {"DG-MNT-001"} with data.guard.allowed_bind_paths as ["/srv/ci"]
	fx.ids(on_host("/srv/ci/workspace/x", "/srv/ci/other", "dir")) == set() with data.guard.allowed_bind_paths as ["/srv/ci"]
}

test_lexical_finding_comes_first if {
	fx.violations(on_host("/etc", "/etc", "dir"), "DG-MNT-001") == {["bind mount of host path /etc is not allowed: /etc is a protected host path", "HostConfig.Binds[0]"]}
}

test_resolved_benign_paths_allowed if {
	fx.decide(on_host("/srv/ci/workspace", "/srv/ci/workspace", "dir")) == {"allow": true, "violations": []}
	fx.decide(on_host("/srv/ci/new/dir", "/srv/ci/new/dir", "missing")) == {"allow": true, "violations": []}
	fx.decide(on_host("/srv/ci/workspace/link", "/srv/data", "dir")) == {"allow": true, "violations": []}
	fx.decide(on_host("/srv/ci/workspace/f", "/srv/ci/workspace/f", "file")) == {"allow": true, "violations": []}
}

# DG-MNT-003: sockets, whatever they are called.

test_socket_denied if {
	fx.decide(on_host("/srv/ci/api.sock", "/srv/ci/api.sock", "socket")).violations == [{
		"id": "DG-MNT-003",
		"msg": "bind mount of unix socket /srv/ci/api.sock is not allowed: a container holding a runtime socket is root on the host; list it in guard.allowed_sockets if this socket is safe",
		"path": "HostConfig.Binds[0]",
	}]
}

test_symlink_to_socket_denied if {
	fx.violations(on_host("/srv/ci/workspace/d", "/tmp/docker-alt.sock", "socket"), "DG-MNT-003") == {[
		"bind mount of /srv/ci/workspace/d is not allowed: it resolves to the unix socket /tmp/docker-alt.sock on the host, and a container holding a runtime socket is root on the host; list it in guard.allowed_sockets if this socket is safe",
		"HostConfig.Binds[0]",
	]}

	# a symlink to docker.sock is refused by both rules
	fx.ids(on_host("/srv/ci/workspace/d", "/run/docker.sock", "socket")) == {"DG-MNT-001", "DG-MNT-003"}
}

test_allowed_sockets if {
	fx.ids(on_host("/srv/ci/api.sock", "/srv/ci/api.sock", "socket")) == set() with data.guard.allowed_sockets as ["/srv/ci/api.sock"]

	# listed by the resolved path, not the link
	fx.ids(on_host("/srv/ci/link.sock", "/srv/agent.sock", "socket")) == set() with data.guard.allowed_sockets as ["/srv/agent.sock"]
	fx.ids(on_host("/srv/ci/link.sock", "/srv/agent.sock", "socket")) == {"DG-MNT-003"} with data.guard.allowed_sockets as ["/srv/ci/link.sock"]

	# allowing a socket does not lift the protected paths
	fx.ids(on_host("/run/docker.sock", "/run/docker.sock", "socket")) == {"DG-MNT-001"} with data.guard.allowed_sockets as ["/run/docker.sock"]
}

test_non_sockets_not_judged_as_sockets if {
	every kind in ["dir", "file", "missing", "other", "unknown"] {
		not "DG-MNT-003" in fx.ids(on_host("/srv/x", "/srv/x", kind))
	}
}

# DG-MNT-004: CreateMountpoint.

create_mountpoint(source) := fx.create({"mounts": [{
	"type": "bind", "source": source, "target": "/m", "read_only": false, "driver": "", "driver_options": {},
	"path": "HostConfig.Mounts[0].Source", "host_source": source, "host_kind": "missing", "create_mountpoint": true,
}]})

test_create_mountpoint_denied if {
	fx.decide(create_mountpoint("/srv/ci/new")).violations == [{
		"id": "DG-MNT-004",
		"msg": "bind mount with CreateMountpoint is not allowed for /srv/ci/new: the daemon would create it on the host as root; create the directory beforehand",
		"path": "HostConfig.Mounts[0].Source",
	}]
}

test_create_mountpoint_within_allowed_paths if {
	fx.ids(create_mountpoint("/srv/ci/new")) == set() with data.guard.allowed_bind_paths as ["/srv/ci"]
	fx.ids(create_mountpoint("/srv/cid/new")) == {"DG-MNT-004"} with data.guard.allowed_bind_paths as ["/srv/ci"]
}

test_existing_mount_sources_not_judged_by_mnt004 if {
	fx.ids(on_host("/srv/ci/new", "/srv/ci/new", "missing")) == set()
}

# DG-MNT-005, DG-MNT-006: the restricted profile.

test_volumes_from_restricted_only if {
	inp := object.union(fx.restricted_create, {"facts": {"volumes_from": [{"value": "data:ro", "path": "HostConfig.VolumesFrom[0]"}]}})
	fx.ids(inp) == set()
	fx.decide_restricted(inp).violations == [{
		"id": "DG-MNT-005",
		"msg": "VolumesFrom data:ro is not allowed in the restricted profile: it copies mounts the guard cannot judge; declare the volumes instead",
		"path": "HostConfig.VolumesFrom[0]",
	}]
}

restricted_binds(mounts) := object.union(fx.restricted_create, {"facts": {"mounts": mounts}})

test_restricted_binds_only_from_the_allow_list if {
	inp := restricted_binds([fx.bind("/srv/ci/workspace", 0)])
	fx.ids(inp) == set()
	fx.decide_restricted(inp).violations == [{
		"id": "DG-MNT-006",
		"msg": "bind mount of host path /srv/ci/workspace is not allowed in the restricted profile: only paths within guard.allowed_bind_paths may be bound (none are listed)",
		"path": "HostConfig.Binds[0]",
	}]
	fx.ids_restricted(inp) == set() with data.guard.allowed_bind_paths as ["/srv/ci"]
	fx.ids_restricted(restricted_binds([fx.bind("/srv/other", 0)])) == {"DG-MNT-006"} with data.guard.allowed_bind_paths as ["/srv/ci"]

	# named volumes stay allowed
	fx.decide_restricted(fx.restricted_create) == {"allow": true, "violations": []}
}

test_restricted_judges_the_resolved_path if {
	inp := restricted_binds([fx.bind_on_host("/srv/ci/link", "/srv/elsewhere", "dir", 0)])
	fx.ids_restricted(inp) == {"DG-MNT-006"} with data.guard.allowed_bind_paths as ["/srv/ci"]
}

# Services: their mounts arrive as the same facts.

svc_mount(m) := fx.service({"mounts": [m]})

test_service_bind_of_root_denied if {
	inp := svc_mount({
		"type": "bind", "source": "/", "target": "/host", "read_only": false, "driver": "", "driver_options": {},
		"path": "TaskTemplate.ContainerSpec.Mounts[0].Source", "host_source": "/", "host_kind": "unknown", "create_mountpoint": false,
	})
	fx.decide(inp).violations == [{"id": "DG-MNT-001", "msg": "bind mount of host path / is not allowed: it exposes /run/docker.sock", "path": "TaskTemplate.ContainerSpec.Mounts[0].Source"}]
}

test_service_local_volume_bind_denied if {
	inp := svc_mount({
		"type": "volume", "source": "v", "target": "/v", "read_only": false, "driver": "local",
		"driver_options": {"type": "none", "o": "bind", "device": "/etc"}, "path": "TaskTemplate.ContainerSpec.Mounts[0]",
	})
	fx.ids(inp) == {"DG-MNT-002"}
}

test_service_named_volume_allowed if {
	inp := svc_mount({
		"type": "volume", "source": "data", "target": "/data", "read_only": false, "driver": "local",
		"driver_options": {}, "path": "TaskTemplate.ContainerSpec.Mounts[0]",
	})
	fx.decide(inp) == {"allow": true, "violations": []}
	fx.decide(fx.service_create) == {"allow": true, "violations": []}
}
