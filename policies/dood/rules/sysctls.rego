# Sysctls the daemon itself writes. HostConfig.Sysctls are applied by the
# runtime, which refuses those its namespaces do not confine; per-endpoint
# sysctls (API 1.46 / Docker 27, the driver option
# com.docker.network.endpoint.sysctls on create and network connect) are
# written by dockerd as root into /proc/sys/net/X/Y/<interface>/Z inside
# the container's network namespace, with no runtime check in between.
package dood.rules.sysctls

# METADATA
# title: Endpoint sysctl outside the container's interface
# description: >-
#   Refuses a per-endpoint sysctl (EndpointsConfig.<net>.DriverOpts
#   "com.docker.network.endpoint.sysctls", on container create and network
#   connect) unless it has the only shape that stays on the container's own
#   interface: net.ipv4|ipv6|mpls.<group>.IFNAME.<name>=<value>, each part
#   plain ([A-Za-z0-9_-]), as the daemon's own validation demands.
# custom:
#   id: DG-NET-001
#   endpoints: container create, network connect
#   why: >-
#     The daemon builds a /proc/sys path from the name and writes the value
#     there itself; only the IFNAME shape keeps that write on the
#     container's interface in the container's network namespace. The guard
#     checks the shape rather than rely on the daemon version in front of it
#     validating it.
#   allow_by: list DG-NET-001 in guard.disabled_rules
violation contains {"id": "DG-NET-001", "msg": msg, "path": s.path} if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.sysctls[0]
	some s in input.facts.sysctls
	input.endpoint in {"container.create", "container.start", "network.connect"}
	s.endpoint == true
	not interface_sysctl(s.name)
	msg := sprintf("endpoint sysctl %q is not allowed: only net.ipv4|ipv6|mpls.<group>.IFNAME.<name> settings on the container's interface are", [s.raw])
}

interface_sysctl(name) if regex.match(`^net\.(ipv4|ipv6|mpls)\.[A-Za-z0-9_-]+\.(IFNAME|ifname)\.[A-Za-z0-9_-]+$`, name)
