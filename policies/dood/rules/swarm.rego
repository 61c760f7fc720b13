# Swarm mode: a swarm's services run containers that the daemon creates
# internally, without asking the authorization plugin. Services created
# through this daemon are judged by the container rules (their mounts,
# capabilities, security options and networks arrive as facts); the rules
# here keep other managers from scheduling work here.
package dood.rules.swarm

# METADATA
# title: Joining a swarm run elsewhere
# description: >-
#   Refuses POST /swarm/join unless every manager address in RemoteAddrs is
#   listed in guard.allowed_swarm_managers ("host:port"; a listed address
#   without a port also matches port 2377).
# custom:
#   id: DG-SWARM-001
#   endpoints: swarm join
#   why: >-
#     Once this node is in a swarm, that swarm's managers start tasks here,
#     privileged or binding /, through the daemon's internal API: no
#     authorization plugin is asked. Joining a manager the socket holder
#     controls hands the host to it.
#   allow_by: >-
#     list the managers in guard.allowed_swarm_managers, or list
#     DG-SWARM-001 in guard.disabled_rules
violation contains {"id": "DG-SWARM-001", "msg": msg, "path": sprintf("RemoteAddrs[%d]", [i])} if {
	input.endpoint == "swarm.join"
	some i, addr in object.get(input.body, "RemoteAddrs", [])
	not allowed_manager(addr)
	msg := sprintf("joining the swarm managed at %s is not allowed: its managers could run any container on this host without authorization; ask for it to be listed in guard.allowed_swarm_managers", [addr])
}

allowed_manager(addr) if addr in data.guard.allowed_swarm_managers

allowed_manager(addr) if {
	some m in data.guard.allowed_swarm_managers
	addr == concat("", [m, ":2377"])
}

allowed_manager(addr) if {
	some m in data.guard.allowed_swarm_managers
	m == concat("", [addr, ":2377"])
}

# METADATA
# title: Swarm mode (restricted)
# description: >-
#   Under the restricted profile, refuses swarm init, join and update, and
#   service create and update.
# custom:
#   id: DG-SWARM-002
#   profile: restricted
#   endpoints: swarm init, join, update, service create/update
#   why: >-
#     A swarm manager accepts other nodes (whoever holds a join token) as
#     managers, and they run tasks here without authorization; services are
#     a second container API beside the one the guard judges best.
#   allow_by: >-
#     set swarm mode up from the host, use the baseline profile, or list
#     DG-SWARM-002 in guard.disabled_rules
violation contains {"id": "DG-SWARM-002", "msg": msg, "path": ""} if {
	data.guard.profile == "restricted"
	input.endpoint in {"swarm.init", "swarm.join", "swarm.update", "service.create", "service.update"}
	msg := sprintf("%s is not allowed in the restricted profile: swarm mode runs containers without authorization", [input.endpoint])
}

# METADATA
# title: Swarm join tokens and unlock key
# description: >-
#   Refuses GET /swarm, whose answer on a manager carries the worker and
#   manager join tokens, and GET /swarm/unlockkey. (docker info, node,
#   service and stack commands do not need them; docker swarm init and
#   join-token print them, and fail at that step.)
# custom:
#   id: DG-SWARM-003
#   endpoints: swarm inspect, swarm unlockkey
#   why: >-
#     The manager join token lets any machine that reaches this node join
#     as a manager and schedule privileged tasks here, outside the guard;
#     the unlock key decrypts the swarm's raft data and secrets.
#   allow_by: >-
#     read tokens from the host or as an identity in guard.exempt_users, or
#     list DG-SWARM-003 in guard.disabled_rules
violation contains {"id": "DG-SWARM-003", "msg": msg, "path": ""} if {
	input.endpoint in {"swarm.inspect", "swarm.unlockkey"}
	msg := sprintf("%s is not allowed: swarm join tokens and the unlock key let another machine take this node over", [input.endpoint])
}

# METADATA
# title: Templated service mount
# description: >-
#   Refuses a service mount whose host side is a Go template: a bind mount's
#   Source, or a driver option of a local-driver volume, containing "{{"
#   (facts.mounts[].templated). Templated volume names and targets
#   ("data-{{.Task.Slot}}") stay allowed.
# custom:
#   id: DG-SWARM-004
#   endpoints: service create/update
#   why: >-
#     The swarm agent expands templates in a service mount's Source, Target
#     and volume options on the node, after the daemon checked them and
#     after the guard judged them: "/srv/{{\"../..\"}}" is a clean, harmless
#     path to the guard and "/" on the node, and {{"bind"}} hides a bind
#     volume's options. What a template becomes depends on the node and
#     the task, so the guard cannot judge it.
#   allow_by: >-
#     write the path or option out in full, or list DG-SWARM-004 in
#     guard.disabled_rules
violation contains {"id": "DG-SWARM-004", "msg": msg, "path": m.path} if {
	input.endpoint in {"service.create", "service.update"}
	some m in input.facts.mounts
	some field in object.get(m, "templated", [])
	host_side(m, field)
	msg := sprintf("service mount %s is a template (%s): the swarm agent expands it on the node, after the guard has judged it, so it could name any host path; write it out in full", [field, template_shown(m, field)])
}

host_side(m, "Source") if m.type == "bind"

host_side(m, field) if {
	m.type == "volume"
	object.get(m, "driver", "") in {"", "local"}
	startswith(field, "VolumeOptions.DriverConfig.Options.")
}

template_shown(m, "Source") := sprintf("%q", [m.source])

template_shown(m, field) := sprintf("%q", [object.get(m.driver_options, trim_prefix(field, "VolumeOptions.DriverConfig.Options."), "")]) if {
	field != "Source"
}
