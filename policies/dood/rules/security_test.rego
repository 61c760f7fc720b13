package dood.rules.security_test

import data.dood.fixtures as fx

test_no_security_options_allowed if {
	fx.decide(fx.security_opts([])) == {"allow": true, "violations": []}
}

test_benign_security_options_allowed if {
	inp := fx.security_opts([
		"no-new-privileges", "no-new-privileges=true", "apparmor=docker-default",
		"seccomp=builtin", "label=level:s0:c100,c200", "label=type:container_t",
	])
	fx.decide(inp) == {"allow": true, "violations": []}
}

# DG-SEC-001

test_seccomp_unconfined_denied if {
	fx.decide(fx.security_opts(["seccomp=unconfined"])).violations == [{
		"id": "DG-SEC-001",
		"msg": "seccomp=unconfined is not allowed; keep the default seccomp profile",
		"path": "HostConfig.SecurityOpt[0]",
	}]
}

test_seccomp_legacy_colon_denied if {
	fx.ids(fx.security_opts(["seccomp:unconfined"])) == {"DG-SEC-001"}
}

# A custom profile is judged on what plugin/seccompdiff found in it (tested
# in Go against Docker's default profile); the rule turns each finding into
# a refusal, unless the profile's digest is listed.

custom(found) := fx.create_hc({"SecurityOpt": ["seccomp={...}"]}, {
	"security_options": [{"key": "seccomp", "value": "{...}", "path": "HostConfig.SecurityOpt[0]"}],
	"seccomp": fx.custom_seccomp("HostConfig.SecurityOpt[0]", found),
})

zero := "sha256:0000000000000000000000000000000000000000000000000000000000000000"

test_seccomp_allow_all_profile_denied if {
	fx.violations(custom({"default_action": "SCMP_ACT_ALLOW", "default_allows": true}), "DG-SEC-001") == {[
		concat("", ["a seccomp profile with defaultAction SCMP_ACT_ALLOW is not allowed: it lets every unlisted system call run; keep the default seccomp profile, or have profile ", zero, " listed in guard.allowed_seccomp_profiles"]),
		"HostConfig.SecurityOpt[0]",
	]}
}

test_seccomp_profile_allowing_refused_syscalls_denied if {
	fx.violations(custom({"allows_refused_syscalls": ["keyctl", "mount", "unshare"]}), "DG-SEC-001") == {[
		concat("", ["a seccomp profile that allows keyctl, mount, unshare is not allowed: Docker's default profile refuses them; keep the default seccomp profile, or have profile ", zero, " listed in guard.allowed_seccomp_profiles"]),
		"HostConfig.SecurityOpt[0]",
	]}
}

test_seccomp_profile_without_filter_denied if {
	fx.ids(custom({"unconfined": true, "default_action": ""})) == {"DG-SEC-001"}
}

test_seccomp_profile_that_does_not_load_denied if {
	fx.ids(custom({"error": "Decoding seccomp profile failed: invalid character"})) == {"DG-SEC-001"}
}

test_seccomp_restrictive_profile_allowed if {
	fx.ids(custom({})) == set()
}

test_seccomp_vetted_profile_allowed if {
	weak := custom({"allows_refused_syscalls": ["keyctl"]})
	fx.ids(weak) == {"DG-SEC-001"}
	d := fx.decide(weak) with data.guard.allowed_seccomp_profiles as [zero]
	d.allow

	# the allow-list never covers seccomp=unconfined
	u := fx.decide(fx.security_opts(["seccomp=unconfined"])) with data.guard.allowed_seccomp_profiles as [zero]
	not u.allow
}

# The daemon keeps the last seccomp option.
test_seccomp_last_option_counts if {
	fx.ids(fx.security_opts(["seccomp=unconfined", "seccomp=builtin"])) == set()
	fx.ids(fx.security_opts(["seccomp=builtin", "seccomp:unconfined"])) == {"DG-SEC-001"}
}

# DG-SEC-002

test_apparmor_unconfined_denied if {
	fx.decide(fx.security_opts(["apparmor=unconfined"])).violations == [{
		"id": "DG-SEC-002",
		"msg": "apparmor=unconfined is not allowed; keep the default AppArmor profile",
		"path": "HostConfig.SecurityOpt[0]",
	}]
	fx.ids(fx.security_opts(["apparmor:unconfined"])) == {"DG-SEC-002"}
}

test_apparmor_profiles_allowed if {
	fx.ids(fx.security_opts(["apparmor=docker-default"])) == set()
	fx.ids(fx.security_opts(["apparmor=my-ci-profile"])) == set()
}

# DG-SEC-003

test_label_disable_denied if {
	fx.decide(fx.security_opts(["label=disable"])).violations == [{
		"id": "DG-SEC-003",
		"msg": "label=disable (SELinux labeling off) is not allowed",
		"path": "HostConfig.SecurityOpt[0]",
	}]
	fx.ids(fx.security_opts(["label:disable"])) == {"DG-SEC-003"}
}

test_bare_disable_denied if {
	# the daemon reads a bare "disable" as label=disable
	fx.violations(fx.security_opts(["no-new-privileges", "disable"]), "DG-SEC-003") == {["label=disable (SELinux labeling off) is not allowed", "HostConfig.SecurityOpt[1]"]}

	# and should the input keep it under its own key
	inp := fx.create({"security_options": [{"key": "disable", "value": "", "path": "HostConfig.SecurityOpt[0]"}]})
	fx.ids(inp) == {"DG-SEC-003"}
}

test_permissive_selinux_type_denied if {
	fx.violations(fx.security_opts(["label=type:spc_t"]), "DG-SEC-003") == {["SELinux process type spc_t is not allowed: it is unconfined", "HostConfig.SecurityOpt[0]"]}
	fx.ids(fx.security_opts(["label=user:system_u", "label=type:unconfined_t"])) == {"DG-SEC-003"}
}

test_label_options_that_keep_confinement_allowed if {
	# InitLabels only disables on the exact word "disable"
	fx.ids(fx.security_opts(["label=type:container_t", "label=level:s0:c1,c2", "label=filetype:container_file_t"])) == set()
	fx.ids(fx.security_opts(["label=disabled"])) == set()
}

# DG-SEC-004

test_systempaths_unconfined_denied if {
	fx.decide(fx.security_opts(["systempaths=unconfined"])).violations == [{
		"id": "DG-SEC-004",
		"msg": "systempaths=unconfined is not allowed: it unmasks /proc and /sys paths",
		"path": "HostConfig.SecurityOpt[0]",
	}]
}

# What the CLI actually sends for --security-opt systempaths=unconfined.
test_empty_masked_and_readonly_paths_denied if {
	inp := fx.create_hc({"MaskedPaths": [], "ReadonlyPaths": []}, {})
	fx.decide(inp).violations == [
		{
			"id": "DG-SEC-004",
			"msg": "MaskedPaths leaves /proc/asound, /proc/acpi, /proc/kcore, /proc/keys, /proc/latency_stats, /proc/timer_list, /proc/timer_stats, /proc/sched_debug, /proc/scsi, /sys/firmware unmasked; omit MaskedPaths to keep the defaults",
			"path": "HostConfig.MaskedPaths",
		},
		{
			"id": "DG-SEC-004",
			"msg": "ReadonlyPaths leaves /proc/bus, /proc/fs, /proc/irq, /proc/sys, /proc/sysrq-trigger writable; omit ReadonlyPaths to keep the defaults",
			"path": "HostConfig.ReadonlyPaths",
		},
	]
}

test_partial_readonly_paths_denied if {
	inp := fx.create_hc({"ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger"]}, {})
	fx.violations(inp, "DG-SEC-004") == {["ReadonlyPaths leaves /proc/sys writable; omit ReadonlyPaths to keep the defaults", "HostConfig.ReadonlyPaths"]}
}

test_default_or_stricter_paths_allowed if {
	# null keeps the daemon's defaults
	fx.ids(fx.create_hc({"MaskedPaths": null, "ReadonlyPaths": null}, {})) == set()

	# the defaults spelled out, with extras, are fine
	masked := array.concat(data.guard.required_masked_paths, ["/proc/interrupts", "/sys/devices/virtual/powercap"])
	fx.ids(fx.create_hc({"MaskedPaths": masked, "ReadonlyPaths": data.guard.required_readonly_paths}, {})) == set()

	# a parent directory covers the paths below it
	fx.ids(fx.create_hc({"ReadonlyPaths": ["/proc"], "MaskedPaths": array.concat(["/sys/firmware/"], [p | some p in data.guard.required_masked_paths; startswith(p, "/proc/")])}, {})) == set()
}

test_masked_paths_prefix_is_not_a_parent if {
	inp := fx.create_hc({"ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sy", "/proc/sysrq-trigger"]}, {})
	fx.ids(inp) == {"DG-SEC-004"}
}

test_legacy_start_body_checked if {
	inp := object.union(fx.create({}), {
		"path": "/containers/web/start", "api_version": "1.23", "endpoint": "container.start",
		"params": {"name": "web"}, "query": {}, "body": {"HostConfig": {"ReadonlyPaths": []}},
	})
	fx.ids(inp) == {"DG-SEC-004"}
}

test_each_option_reported if {
	inp := fx.security_opts(["seccomp=unconfined", "apparmor=unconfined", "label=disable", "systempaths=unconfined"])
	[[v.id, v.path] | some v in fx.decide(inp).violations] == [
		["DG-SEC-001", "HostConfig.SecurityOpt[0]"],
		["DG-SEC-002", "HostConfig.SecurityOpt[1]"],
		["DG-SEC-003", "HostConfig.SecurityOpt[2]"],
		["DG-SEC-004", "HostConfig.SecurityOpt[3]"],
	]
}

# Keys are matched exactly, as the daemon's parseSecurityOpt does (it refuses
# other spellings).
test_keys_are_exact if {
	fx.ids(fx.security_opts(["SECCOMP=unconfined", "AppArmor=unconfined"])) == set()
}

# Services: Privileges arrive as the SecurityOpt entries the swarm executor
# writes.

svc_opts(opts) := fx.service({"security_options": opts})

test_service_privileges_denied if {
	base := "TaskTemplate.ContainerSpec.Privileges"
	inp := object.union(
		svc_opts([
			{"key": "seccomp", "value": "unconfined", "path": concat(".", [base, "Seccomp.Mode"])},
			{"key": "apparmor", "value": "unconfined", "path": concat(".", [base, "AppArmor.Mode"])},
			{"key": "label", "value": "disable", "path": concat(".", [base, "SELinuxContext.Disable"])},
			{"key": "label", "value": "type:spc_t", "path": concat(".", [base, "SELinuxContext.Type"])},
		]),
		{"facts": {"seccomp": {"mode": "unconfined", "path": concat(".", [base, "Seccomp.Mode"])}}},
	)
	[[v.id, v.path] | some v in fx.decide(inp).violations] == [
		["DG-SEC-001", "TaskTemplate.ContainerSpec.Privileges.Seccomp.Mode"],
		["DG-SEC-002", "TaskTemplate.ContainerSpec.Privileges.AppArmor.Mode"],
		["DG-SEC-003", "TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Disable"],
		["DG-SEC-003", "TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Type"],
	]
}

test_service_default_privileges_allowed if {
	inp := svc_opts([
		{"key": "no-new-privileges", "value": "true", "path": "TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges"},
		{"key": "label", "value": "level:s0:c1", "path": "TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Level"},
	])
	fx.decide(inp) == {"allow": true, "violations": []}
}

# DG-SEC-005

runtime(r) := fx.create({"runtime": {"value": r, "path": "HostConfig.Runtime"}})

test_non_default_runtime_denied if {
	fx.decide(runtime("sysbox-runc")).violations == [{
		"id": "DG-SEC-005",
		"msg": "runtime \"sysbox-runc\" is not allowed: only the daemon's default and runc, io.containerd.runc.v2 are",
		"path": "HostConfig.Runtime",
	}]
	fx.ids(runtime("RUNC")) == {"DG-SEC-005"}
}

test_default_runtimes_allowed if {
	fx.ids(runtime("")) == set()
	fx.ids(runtime("runc")) == set()
	fx.ids(runtime("io.containerd.runc.v2")) == set()
	fx.ids(runtime("nvidia")) == set() with data.guard.allowed_runtimes as ["runc", "nvidia"]
}
