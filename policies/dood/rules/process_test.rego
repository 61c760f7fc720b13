package dood.rules.process_test

import data.dood.fixtures as fx

workdir(wd) := object.union(fx.create({}), {"body": {"WorkingDir": wd}})

exec_workdir(wd) := fx.exec_with({"WorkingDir": wd}, {"working_dir": {"value": wd, "path": "WorkingDir"}})

test_proc_fd_workdir_denied if {
	fx.decide(workdir("/proc/self/fd/7")).violations == [{
		"id": "DG-WD-001",
		"msg": "working directory \"/proc/self/fd/7\" is not allowed: it reaches open file descriptors or other roots through /proc (the CVE-2024-21626 shape); use a directory of the image",
		"path": "WorkingDir",
	}]
}

test_workdir_escape_shapes_denied if {
	every wd in [
		"/proc", "/proc/1/root", "/proc/thread-self/fd/8", "//proc/self/cwd", "/./proc/self/fd/9",
		"/dev/fd/7", "/dev/stdin", "/dev//fd/3", "/app/../proc/self/fd/7", "/x/..", "proc/self/fd/7",
	] {
		fx.ids(workdir(wd)) == {"DG-WD-001"}
	}
}

test_exec_workdir_denied if {
	fx.violations(exec_workdir("/proc/self/fd/8"), "DG-WD-001") == {[
		"working directory \"/proc/self/fd/8\" is not allowed: it reaches open file descriptors or other roots through /proc (the CVE-2024-21626 shape); use a directory of the image",
		"WorkingDir",
	]}
}

test_service_workdir_denied if {
	inp := fx.service({"working_dir": {"value": "/proc/1/cwd", "path": "TaskTemplate.ContainerSpec.Dir"}})
	fx.violations(inp, "DG-WD-001") != set()
}

test_ordinary_workdirs_allowed if {
	every wd in ["", "/", "/app", "/workspace/src", "/procfs", "/process", "/dev/shm", "/devices", "/srv/proc"] {
		fx.ids(workdir(wd)) == set()
		fx.ids(exec_workdir(wd)) == set()
	}
}

# DG-USER-001: root under restricted. facts.user carries the uid the
# runtime resolves (plugin/normalize reads every spelling with
# moby/sys/user: TestUserFactResolvesAsTheRuntime); the rule judges it.

user(value, uid, name) := object.union(fx.restricted_create, {"body": {"User": value}, "facts": {"user": fx.user_fact(value, uid, name)}})

test_root_user_denied_in_restricted if {
	fx.decide_restricted(user("", null, "")).violations == [{
		"id": "DG-USER-001",
		"msg": "running as root (User \"\") is not allowed in the restricted profile: set User to a non-root uid such as 1000:1000",
		"path": "User",
	}]

	# uid 0 in every spelling the runtime accepts, and root by name
	every u in [["0", 0], ["+0", 0], ["-0", 0], ["000", 0], ["0:0", 0], ["0:anything", 0], [":1000", 0]] {
		fx.ids_restricted(user(u[0], u[1], "")) == {"DG-USER-001"}
	}
	every u in ["root", "root:root", "root:1000"] {
		fx.ids_restricted(user(u, null, "root")) == {"DG-USER-001"}
	}
}

test_non_root_uids_allowed_in_restricted if {
	every u in [["1000", 1000], ["1000:1000", 1000], ["+1000", 1000], ["10:0", 10]] {
		fx.ids_restricted(user(u[0], u[1], "")) == set()
	}
}

# A name is resolved from the image's /etc/passwd, which the guard does not
# read: the restricted profile asks for a uid.
test_user_names_denied_in_restricted if {
	fx.violations_restricted(user("nobody", null, "nobody"), "DG-USER-001") == {[
		"User \"nobody\" is not allowed in the restricted profile: the name \"nobody\" is resolved from the image's /etc/passwd, which the guard does not read and which can give any name uid 0; set User to a numeric uid such as 1000:1000",
		"User",
	]}
	every u in [["ci:ci", "ci"], ["rooter", "rooter"], ["toor:0", "toor"]] {
		fx.ids_restricted(user(u[0], null, u[1])) == {"DG-USER-001"}
	}

	# out of range: the runtime refuses it
	fx.ids_restricted(user("-1", null, "")) == {"DG-USER-001"}
}

test_root_user_allowed_in_baseline if {
	fx.ids(user("", null, "")) == set()
	fx.ids(user("root", null, "root")) == set()
	fx.ids(user("-0", 0, "")) == set()
}

test_missing_user_is_root if {
	# no body, no facts: nothing to judge
	fx.ids_restricted(object.remove(fx.restricted_create, ["body", "facts"])) == set()

	# a body without User runs as the image's default user
	fx.ids_restricted(user("", null, "")) == {"DG-USER-001"}
}

exec_user(value, uid, name) := fx.exec_with({"User": value}, {"user": fx.user_fact(value, uid, name)})

test_exec_as_root_denied_in_restricted if {
	fx.decide_restricted(exec_user("", null, "")).violations == [{
		"id": "DG-USER-001",
		"msg": "running as root (User \"\") is not allowed in the restricted profile: set User to a non-root uid such as 1000:1000",
		"path": "User",
	}]
	fx.ids_restricted(exec_user("0", 0, "")) == {"DG-USER-001"}
	fx.ids_restricted(exec_user("-0:0", 0, "")) == {"DG-USER-001"}
	fx.ids_restricted(exec_user("root", null, "root")) == {"DG-USER-001"}
	fx.ids_restricted(exec_user("1000", 1000, "")) == set()
	fx.ids(exec_user("", null, "")) == set()
}
