# Confinement turned off: seccomp, AppArmor, SELinux, masked and read-only
# /proc and /sys paths. Security options are matched as the daemon's
# parseSecurityOpt reads them: exact keys, bare "disable" meaning
# label=disable.
package dood.rules.security

import data.dood.lib

# METADATA
# title: Seccomp disabled or weaker than the default
# description: >-
#   Refuses seccomp=unconfined, and a custom seccomp profile (inline JSON in
#   SecurityOpt, a service's Privileges.Seccomp) that lets through what
#   Docker's default profile refuses: one with no defaultAction and no
#   syscalls (the daemon then applies no filter), one whose defaultAction
#   lets unlisted syscalls run (ALLOW, LOG, TRACE, NOTIFY), one that allows
#   a syscall the default profile refuses for the same container
#   (facts.seccomp.allows_refused_syscalls: unshare, mount, keyctl, bpf,
#   clone3, open_by_handle_at, init_module...), and one that does not load.
#   The last seccomp option counts, as in the daemon. Profiles whose digest
#   is listed in guard.allowed_seccomp_profiles are allowed.
# custom:
#   id: DG-SEC-001
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     Without seccomp, or with a profile that allows them, the container
#     reaches the system calls (keyctl, bpf, unshare, mount,
#     open_by_handle_at, module loading...) behind most container escapes.
#   allow_by: >-
#     list the profile's digest (named in the denial) in
#     guard.allowed_seccomp_profiles, or list DG-SEC-001 in
#     guard.disabled_rules
violation contains {"id": "DG-SEC-001", "msg": msg, "path": s.path} if {
	input.facts.seccomp.mode != "default"
	s := input.facts.seccomp
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	not vetted(s)
	msg := seccomp_refusal(s)
}

vetted(s) if {
	s.mode == "custom"
	s.digest in data.guard.allowed_seccomp_profiles
}

seccomp_refusal(s) := "seccomp=unconfined is not allowed; keep the default seccomp profile" if {
	s.mode == "unconfined"
} else := sprintf("a seccomp profile that does not load is not allowed (%s)", [s.error]) if {
	s.error != ""
} else := sprintf("a seccomp profile with no defaultAction and no syscalls is not allowed: the daemon runs the container without seccomp (profile %s)", [s.digest]) if {
	s.unconfined
} else := sprintf("a seccomp profile with defaultAction %s is not allowed: it lets every unlisted system call run; keep the default seccomp profile, or have profile %s listed in guard.allowed_seccomp_profiles", [s.default_action, s.digest]) if {
	s.default_allows
} else := sprintf("a seccomp profile that allows %s is not allowed: Docker's default profile refuses them; keep the default seccomp profile, or have profile %s listed in guard.allowed_seccomp_profiles", [concat(", ", s.allows_refused_syscalls), s.digest]) if {
	count(s.allows_refused_syscalls) > 0
}

# METADATA
# title: AppArmor disabled
# description: Refuses apparmor=unconfined.
# custom:
#   id: DG-SEC-002
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     The docker-default AppArmor profile blocks mounts and writes to /proc
#     and /sys paths that lead out of the container.
#   allow_by: list DG-SEC-002 in guard.disabled_rules
violation contains {"id": "DG-SEC-002", "msg": "apparmor=unconfined is not allowed; keep the default AppArmor profile", "path": o.path} if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.security_options[0]
	some o in input.facts.security_options
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	o.key == "apparmor"
	o.value == "unconfined"
}

# METADATA
# title: SELinux labeling disabled
# description: >-
#   Refuses label=disable (also given as a bare "disable" or "label:disable"),
#   and label=type:T for a process type in guard.permissive_selinux_types.
# custom:
#   id: DG-SEC-003
#   endpoints: container create, legacy container start, service create/update
#   why: >-
#     Without the container_t label (or with an unconfined type such as spc_t)
#     SELinux no longer keeps the container away from host files.
#   allow_by: >-
#     remove the type from guard.permissive_selinux_types, or list DG-SEC-003
#     in guard.disabled_rules
violation contains {"id": "DG-SEC-003", "msg": msg, "path": o.path} if {
	input.facts.security_options[0]
	some o in input.facts.security_options
	input.endpoint in {"container.create", "container.start", "service.create", "service.update"}
	msg := label_refusal(o)
}

label_refusal(o) := "label=disable (SELinux labeling off) is not allowed" if {
	o.key == "label"
	o.value == "disable"
} else := "label=disable (SELinux labeling off) is not allowed" if {
	# a bare "disable", should the input keep it as its own key
	o.key == "disable"
} else := sprintf("SELinux process type %s is not allowed: it is unconfined", [t]) if {
	o.key == "label"
	startswith(o.value, "type:")
	t := trim_prefix(o.value, "type:")
	t in data.guard.permissive_selinux_types
}

# METADATA
# title: Masked and read-only system paths removed
# description: >-
#   Refuses systempaths=unconfined, and a HostConfig.MaskedPaths or
#   HostConfig.ReadonlyPaths list (which replaces the daemon's defaults) that
#   leaves any of guard.required_masked_paths unmasked or
#   guard.required_readonly_paths writable. null keeps the defaults; [] is what
#   the CLI sends for --security-opt systempaths=unconfined.
# custom:
#   id: DG-SEC-004
#   endpoints: container create, legacy container start
#   why: >-
#     A writable /proc/sys lets root in the container set
#     kernel.core_pattern, which the host kernel runs as root; /proc/sysrq-trigger
#     reboots the host; unmasked /proc/kcore and /proc/keys leak host secrets.
#   allow_by: list DG-SEC-004 in guard.disabled_rules
violation contains {"id": "DG-SEC-004", "msg": f.msg, "path": f.path} if {
	some f in system_paths_findings
	input.endpoint in {"container.create", "container.start"}
}

system_paths_findings contains {"msg": "systempaths=unconfined is not allowed: it unmasks /proc and /sys paths", "path": o.path} if {
	input.facts.security_options[0]
	some o in input.facts.security_options
	o.key == "systempaths"
	o.value == "unconfined"
}

system_paths_findings contains {"msg": msg, "path": "HostConfig.MaskedPaths"} if {
	given := input.body.HostConfig.MaskedPaths
	is_array(given)
	missing := uncovered(given, data.guard.required_masked_paths)
	count(missing) > 0
	msg := sprintf("MaskedPaths leaves %s unmasked; omit MaskedPaths to keep the defaults", [concat(", ", missing)])
}

system_paths_findings contains {"msg": msg, "path": "HostConfig.ReadonlyPaths"} if {
	given := input.body.HostConfig.ReadonlyPaths
	is_array(given)
	missing := uncovered(given, data.guard.required_readonly_paths)
	count(missing) > 0
	msg := sprintf("ReadonlyPaths leaves %s writable; omit ReadonlyPaths to keep the defaults", [concat(", ", missing)])
}

# uncovered lists the required paths that a given list (not null) neither
# names nor covers with a parent directory.
uncovered(given, required) := [r |
	some r in required
	not covered(given, r)
] if {
	is_array(given)
}

# A trailing slash names the same directory to the kernel; other unclean
# spellings cover nothing, which errs on the side of refusing.
covered(given, r) if {
	some g in given
	is_string(g)
	d := trim_suffix_once(g)
	lib.clean_absolute(d)
	lib.within(r, d)
}

trim_suffix_once(g) := g if g == "/"

trim_suffix_once(g) := trim_suffix(g, "/") if g != "/"

# METADATA
# title: Non-default container runtime
# description: >-
#   Refuses HostConfig.Runtime unless it is empty (the daemon's default) or
#   listed in guard.allowed_runtimes.
# custom:
#   id: DG-SEC-005
#   endpoints: container create, legacy container start
#   why: >-
#     A runtime is whatever binary the admin registered under that name:
#     one configured for a special purpose (a debugging runtime, a wrapper
#     that skips namespaces or seccomp, an older runc) may not confine the
#     container as runc does.
#   allow_by: >-
#     list the runtime in guard.allowed_runtimes, or list DG-SEC-005 in
#     guard.disabled_rules
violation contains {"id": "DG-SEC-005", "msg": msg, "path": r.path} if {
	input.facts.runtime.value != ""
	r := input.facts.runtime
	input.endpoint in {"container.create", "container.start"}
	not r.value in data.guard.allowed_runtimes
	msg := sprintf("runtime %q is not allowed: only the daemon's default and %s are", [r.value, concat(", ", data.guard.allowed_runtimes)])
}
