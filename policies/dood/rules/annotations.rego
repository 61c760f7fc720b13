# OCI annotations (HostConfig.Annotations, API 1.43 / Docker 24): the daemon
# copies them verbatim into the container's OCI spec, where the runtime
# reads some of them as instructions. The guard sees them from the version
# that introduced them (facts.annotations is empty when the request names an
# older API version, which the daemon ignores them under).
package dood.rules.annotations

import data.dood.lib

# METADATA
# title: Annotation not in the allow-list
# description: >-
#   Refuses a HostConfig.Annotations key that guard.allowed_annotations does
#   not list (an entry is a key, or a prefix when it ends in "*"). The list
#   is empty by default: annotations are refused until the admin names the
#   ones the host's runtimes ignore. Keys a runtime acts on are judged by
#   DG-ANN-002 instead.
# custom:
#   id: DG-ANN-001
#   endpoints: container create, legacy container start
#   why: >-
#     An annotation is an instruction to whatever runtime the daemon runs
#     (runc, crun, gVisor, Kata...), and each reads its own set of keys: an
#     allow-list is the only way to be sure that none of them changes how the
#     container is confined.
#   allow_by: >-
#     list the key (or a prefix ending in "*") in guard.allowed_annotations,
#     or list DG-ANN-001 in guard.disabled_rules
violation contains {"id": "DG-ANN-001", "msg": msg, "path": a.path} if {
	# A fact list is an array of objects: [0] is defined unless it is
	# empty, a test OPA's rule index makes without evaluating the rule.
	input.facts.annotations[0]
	some a in input.facts.annotations
	input.endpoint in {"container.create", "container.start"}
	not runtime_acted(a.key)
	not lib.listed(a.key, data.guard.allowed_annotations)
	msg := sprintf("annotation %q is not allowed: it is not listed in guard.allowed_annotations", [a.key])
}

# METADATA
# title: Annotation a runtime acts on
# description: >-
#   Refuses a HostConfig.Annotations key starting with one of
#   guard.runtime_annotation_prefixes (by default runc's
#   org.systemd.property. and org.criu.config, crun's run.oci., and the
#   io.kubernetes.cri-o., io.katacontainers. and dev.gvisor. families),
#   whether or not guard.allowed_annotations lists it.
# custom:
#   id: DG-ANN-002
#   endpoints: container create, legacy container start
#   why: >-
#     runc turns org.systemd.property.* into properties of the container's
#     systemd unit (device access, delegation, limits) and hands
#     org.criu.config to CRIU as a configuration file on checkpoint and
#     restore (CRIU runs as root on the host and can run action scripts);
#     crun's run.oci.* keys choose its handler, hooks' output files, cgroup
#     delegation and seccomp behaviour.
#   allow_by: >-
#     remove the prefix from guard.runtime_annotation_prefixes, or list
#     DG-ANN-002 in guard.disabled_rules
violation contains {"id": "DG-ANN-002", "msg": msg, "path": a.path} if {
	input.facts.annotations[0]
	some a in input.facts.annotations
	input.endpoint in {"container.create", "container.start"}
	runtime_acted(a.key)
	msg := sprintf("annotation %q is not allowed: the container runtime acts on it", [a.key])
}

# runc passes annotations on as "key=value" labels and reads a key back up
# to the first "=", so a key holding "=" is judged by its prefix too (which
# startswith already covers).
runtime_acted(key) if strings.any_prefix_match(key, data.guard.runtime_annotation_prefixes)
