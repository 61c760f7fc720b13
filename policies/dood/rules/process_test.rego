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

# DG-USER-001: root under restricted.

user(u) := object.union(fx.restricted_create, {"body": {"User": u}})

test_root_user_denied_in_restricted if {
	fx.decide_restricted(user("")).violations == [{
		"id": "DG-USER-001",
		"msg": "running as root (User \"\") is not allowed in the restricted profile: set User to a non-root user such as 1000:1000",
		"path": "User",
	}]
	every u in ["root", "0", "0:0", "00", "root:wheel", "0:1000", ":1000"] {
		fx.ids_restricted(user(u)) == {"DG-USER-001"}
	}
}

test_non_root_users_allowed_in_restricted if {
	every u in ["1000", "1000:1000", "nobody", "ci:ci", "10", "rooter"] {
		fx.ids_restricted(user(u)) == set()
	}
}

test_root_user_allowed_in_baseline if {
	fx.ids(user("")) == set()
	fx.ids(user("root")) == set()
}

test_missing_user_is_root if {
	no_body := object.remove(fx.restricted_create, ["body"])

	# no body: nothing to judge
	fx.ids_restricted(no_body) == set()

	# a body without User runs as the image's default user
	fx.ids_restricted(object.union(no_body, {"body": object.remove(fx.restricted_create.body, ["User"])})) == {"DG-USER-001"}
}

exec_user(u) := fx.exec_with({"User": u}, {"user": {"value": u, "path": "User"}})

test_exec_as_root_denied_in_restricted if {
	fx.decide_restricted(exec_user("")).violations == [{
		"id": "DG-USER-001",
		"msg": "running as root (User \"\") is not allowed in the restricted profile: set User to a non-root user such as 1000:1000",
		"path": "User",
	}]
	fx.ids_restricted(exec_user("0")) == {"DG-USER-001"}
	fx.ids_restricted(exec_user("1000")) == set()
	fx.ids(exec_user("")) == set()
}
