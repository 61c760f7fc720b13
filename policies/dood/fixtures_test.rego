# Realistic inputs (see docs/input.md) shared by the Rego tests.
package dood.fixtures

# What `docker run -d --name web -v cache:/cache -v /srv/ci/workspace:/workspace
# --cap-drop ALL -p 8080:80 nginx` sends, as the plugin normalises it.
cli_create := {
	"phase": "request",
	"user": "",
	"auth_method": "",
	"method": "POST",
	"path": "/containers/create",
	"api_version": "1.41",
	"api_version_given": true,
	"endpoint": "container.create",
	"params": {},
	"query": {"name": "web"},
	"body": {
		"Image": "nginx:1.25",
		"Cmd": null,
		"Env": [],
		"User": "",
		"Tty": false,
		"ExposedPorts": {"80/tcp": {}},
		"HostConfig": {
			"Binds": ["cache:/cache", "/srv/ci/workspace:/workspace"],
			"NetworkMode": "default",
			"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
			"RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
			"AutoRemove": false,
			"VolumeDriver": "",
			"VolumesFrom": null,
			"CapAdd": null,
			"CapDrop": ["ALL"],
			"CgroupnsMode": "",
			"Dns": [],
			"DnsOptions": [],
			"DnsSearch": [],
			"ExtraHosts": null,
			"GroupAdd": null,
			"IpcMode": "",
			"Cgroup": "",
			"Links": null,
			"OomScoreAdj": 0,
			"PidMode": "",
			"Privileged": false,
			"PublishAllPorts": false,
			"ReadonlyRootfs": false,
			"SecurityOpt": [],
			"UTSMode": "",
			"UsernsMode": "",
			"ShmSize": 0,
			"Devices": [],
			"DeviceCgroupRules": null,
			"Mounts": null,
			"MaskedPaths": null,
			"ReadonlyPaths": null,
		},
		"NetworkingConfig": {"EndpointsConfig": {}},
	},
	"facts": {
		"privileged": {"value": false, "path": "HostConfig.Privileged"},
		"mounts": [
			{
				"type": "volume", "source": "cache", "target": "/cache", "read_only": false,
				"driver": "local", "driver_options": {}, "path": "HostConfig.Binds[0]",
			},
			{
				"type": "bind", "source": "/srv/ci/workspace", "target": "/workspace", "read_only": false,
				"driver": "", "driver_options": {}, "path": "HostConfig.Binds[1]",
			},
		],
		"capabilities": {
			"add": [],
			"drop": [{"value": "ALL", "path": "HostConfig.CapDrop[0]"}],
		},
		"namespaces": {
			"pid": {"mode": "", "path": "HostConfig.PidMode"},
			"network": {"mode": "default", "path": "HostConfig.NetworkMode"},
			"ipc": {"mode": "", "path": "HostConfig.IpcMode"},
			"uts": {"mode": "", "path": "HostConfig.UTSMode"},
			"user": {"mode": "", "path": "HostConfig.UsernsMode"},
			"cgroup": {"mode": "", "path": "HostConfig.CgroupnsMode"},
		},
		"devices": [],
		"device_cgroup_rules": [],
		"security_options": [],
		"seccomp": {"mode": "default", "path": ""},
		"user": user_fact("", null, ""),
	},
}

# user_fact(value, uid, name) is facts.user as the guard resolves User
# (the resolution itself is tested in Go: plugin/normalize).
user_fact(value, uid, name) := {"value": value, "path": "User", "uid": uid, "name": name}

# create(facts) is cli_create with some facts replaced.
create(facts) := object.union(cli_create, {"facts": object.union(cli_create.facts, facts)})

# create_hc(host_config, facts) also replaces HostConfig fields in the body.
create_hc(host_config, facts) := object.union(create(facts), {"body": {"HostConfig": object.union(cli_create.body.HostConfig, host_config)}})

# bind(source, i) is the fact for HostConfig.Binds[i] = "source:/mnt".
bind(source, i) := {
	"type": "bind", "source": source, "target": "/mnt", "read_only": false,
	"driver": "", "driver_options": {}, "path": sprintf("HostConfig.Binds[%d]", [i]),
}

# with_binds(sources) is cli_create with exactly these binds.
with_binds(sources) := create({"mounts": [bind(s, i) | some i, s in sources]})

# security_opts(raw) is cli_create with these SecurityOpt entries, parsed as
# the plugin parses them.
security_opts(raw) := create_hc({"SecurityOpt": raw}, {
	"security_options": [sec_opt(o, i) | some i, o in raw],
	"seccomp": seccomp_fact([sec_opt(o, i) | some i, o in raw]),
})

# seccomp_fact(opts) is facts.seccomp for parsed options: the last seccomp
# option's mode. A custom profile's analysis is the Go side's
# (plugin/seccompdiff); here it finds nothing unless a test gives it.
seccomp_fact(opts) := f if {
	s := [o | some o in opts; o.key == "seccomp"]
	count(s) > 0
	last := s[count(s) - 1]
	f := seccomp_mode(last)
} else := {"mode": "default", "path": ""}

seccomp_mode(o) := {"mode": "default", "path": o.path} if {
	o.value in {"", "builtin"}
} else := {"mode": "unconfined", "path": o.path} if {
	o.value == "unconfined"
} else := custom_seccomp(o.path, {})

# custom_seccomp(path, found) is a custom profile's fact: nothing found,
# with found's fields replacing those.
custom_seccomp(path, found) := object.union(
	{
		"mode": "custom", "path": path, "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		"error": "", "unconfined": false, "default_action": "SCMP_ACT_ERRNO", "default_allows": false,
		"allows_refused_syscalls": [],
	},
	found,
)

sec_opt(o, i) := {"key": k, "value": v, "path": sprintf("HostConfig.SecurityOpt[%d]", [i])} if {
	contains(o, "=")
	[k, v] := split_once(o, "=")
} else := {"key": "label", "value": "disable", "path": sprintf("HostConfig.SecurityOpt[%d]", [i])} if {
	o == "disable"
} else := {"key": k, "value": v, "path": sprintf("HostConfig.SecurityOpt[%d]", [i])} if {
	[k, v] := split_once(o, ":")
}

split_once(s, sep) := [substring(s, 0, i), substring(s, i + count(sep), -1)] if {
	i := indexof(s, sep)
	i >= 0
}

# POST /volumes/create with the given driver and options.
volume_create(driver, opts) := {
	"phase": "request",
	"user": "",
	"auth_method": "",
	"method": "POST",
	"path": "/volumes/create",
	"api_version": "1.41",
	"api_version_given": true,
	"endpoint": "volume.create",
	"params": {},
	"query": {},
	"body": {"Name": "data", "Driver": driver, "DriverOpts": opts, "Labels": {}},
	"facts": {"mounts": [{
		"type": "volume", "source": "data", "target": "", "read_only": false,
		"driver": volume_driver(driver), "driver_options": opts, "path": "DriverOpts",
	}]},
}

volume_driver("") := "local"

volume_driver(d) := d if d != ""

# POST /containers/{id}/exec.
exec_create(privileged) := {
	"phase": "request",
	"user": "",
	"auth_method": "",
	"method": "POST",
	"path": "/containers/web/exec",
	"api_version": "1.41",
	"api_version_given": true,
	"endpoint": "exec.create",
	"params": {"name": "web"},
	"query": {},
	"body": {"Privileged": privileged, "User": "", "Cmd": ["sh"], "Env": null, "WorkingDir": "", "AttachStdin": true, "AttachStdout": true, "AttachStderr": true, "Tty": true},
	"facts": {
		"privileged": {"value": privileged, "path": "Privileged"},
		"user": user_fact("", null, ""),
	},
}

# decide(inp) is the decision on a daemon where nothing the request names
# exists and the guard (dood-guard:latest, ID guard_id) is the only
# authorization plugin: inp gets the state the guard would look up there,
# unless it brings its own. decide_stateless(inp) is the decision without
# any state (dood-guard eval).
decide(inp) := d if {
	d := data.dood.decision with input as on_empty_daemon(inp)
}

decide_stateless(inp) := d if {
	d := data.dood.decision with input as inp
}

guard_id := "4f2a9c0e7b1d3a5f6e8c0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a"

guard_chain := [{"name": "dood-guard:latest", "id": guard_id, "plugin": "dood-guard:latest"}]

on_empty_daemon(inp) := inp if {
	inp.state
} else := object.union(inp, {"state": empty_state(inp)}) if {
	count(needs(inp)) > 0
} else := inp

needs(inp) := ns if {
	ns := {n | some g; some n in data.dood.rules[g].needs_state} with input as inp
}

empty_state(inp) := {
	"containers": {n.ref: {"found": false, "path": n.path} | some n in needs(inp); n.kind == "container"},
	"volumes": {n.ref: {"found": false, "path": n.path} | some n in needs(inp); n.kind == "volume"},
	"authz_plugins": guard_chain,
}

ids(inp) := {v.id | some v in decide(inp).violations}

# violations(inp, id) lists the violations with that id, as [msg, path].
violations(inp, id) := {[v.msg, v.path] | some v in decide(inp).violations; v.id == id}

# bind_on_host(source, host, kind, i) is a bind fact with its host
# resolution, as the guard builds it when it resolves sources on the host.
bind_on_host(source, host, kind, i) := object.union(bind(source, i), {
	"host_source": host, "host_kind": kind, "create_mountpoint": false,
})

# request(method, endpoint, path, params, query) is a body-less request.
request(method, endpoint, path, params, query) := {
	"phase": "request",
	"user": "",
	"auth_method": "",
	"method": method,
	"path": path,
	"api_version": "1.41",
	"api_version_given": true,
	"endpoint": endpoint,
	"params": params,
	"query": query,
}

# with_body(inp, body) adds a decoded body.
with_body(inp, body) := object.union(inp, {"body": body})

# build(query) is POST /build with these query parameters.
build(query) := request("POST", "build", "/build", {}, query)

# exec_with(body, facts) is exec_create(false) with body and facts fields
# replaced.
exec_with(body, facts) := object.union(exec_create(false), {
	"body": object.union(exec_create(false).body, body),
	"facts": object.union(exec_create(false).facts, facts),
})

# A service as `docker service create --name web nginx` sends it, with the
# facts the guard derives; service(spec, facts) replaces parts of both.
service_create := {
	"phase": "request",
	"user": "",
	"auth_method": "",
	"method": "POST",
	"path": "/services/create",
	"api_version": "1.41",
	"api_version_given": true,
	"endpoint": "service.create",
	"params": {},
	"query": {},
	"body": {
		"Name": "web",
		"Labels": {},
		"TaskTemplate": {
			"ContainerSpec": {"Image": "nginx:1.25", "Init": false},
			"Resources": {"Limits": {}, "Reservations": {}},
			"Placement": {},
			"ForceUpdate": 0,
			"Runtime": "container",
		},
		"Mode": {"Replicated": {"Replicas": 1}},
		"EndpointSpec": {"Mode": "vip"},
	},
	"facts": {
		"mounts": [],
		"capabilities": {"add": [], "drop": []},
		"security_options": [],
		"seccomp": {"mode": "default", "path": ""},
		"networks": [],
		"image": {"value": "nginx:1.25", "path": "TaskTemplate.ContainerSpec.Image"},
		"user": {"value": "", "path": "TaskTemplate.ContainerSpec.User", "uid": null, "name": ""},
		"working_dir": {"value": "", "path": "TaskTemplate.ContainerSpec.Dir"},
	},
}

service(facts) := object.union(service_create, {"facts": object.union(service_create.facts, facts)})

# plugin_request(endpoint, name) is a body-less plugin call on a named
# plugin (enable, disable, delete, push...).
plugin_request(endpoint, name) := request("POST", endpoint, sprintf("/plugins/%s/x", [name]), {"name": name}, {})

# plugin_pull(remote, name, privileges) is POST /plugins/pull.
plugin_pull(remote, name, privileges) := with_body(
	request("POST", "plugin.pull", "/plugins/pull", {}, {"remote": remote, "name": name}),
	privileges,
)

# restricted(inp) evaluates under the restricted profile.
decide_restricted(inp) := d if {
	d := data.dood.decision with input as on_empty_daemon(inp) with data.guard.profile as "restricted"
}

ids_restricted(inp) := {v.id | some v in decide_restricted(inp).violations}

violations_restricted(inp, id) := {[v.msg, v.path] | some v in decide_restricted(inp).violations; v.id == id}

# A create that the restricted profile allows: cli_create with a non-root
# user and no host bind.
restricted_create := object.union(create({"mounts": [cli_create.facts.mounts[0]], "user": user_fact("1000:1000", 1000, "")}), {"body": {"User": "1000:1000"}})
