# Builds (POST /build and BuildKit's streams) and other daemon-side fetches.
# A build's host network and cgroup parent are judged by DG-NS-001,
# DG-NS-002 and DG-CGRP-001; form-encoded build parameters are refused by
# the guard itself (DG-BODY-003).
package dood.rules.build

# METADATA
# title: Remote URL fetched by the daemon
# description: >-
#   Refuses a build whose context is a remote URL (the remote parameter: a
#   git repository or an HTTP URL; the BuildKit markers client-session and
#   upload-request are not URLs), and an image import from a URL
#   (POST /images/create with fromSrc other than "-").
# custom:
#   id: DG-BUILD-001
#   endpoints: build, image create (import)
#   why: >-
#     The daemon fetches the URL itself, as root, from the host's network
#     namespace: it reaches host-only and metadata services, and a git
#     context is cloned with the host root's git configuration and SSH
#     keys (remote contexts have carried command injection before,
#     CVE-2019-13139).
#   allow_by: >-
#     send the context (or the image tarball) in the request body instead,
#     or list DG-BUILD-001 in guard.disabled_rules
violation contains {"id": "DG-BUILD-001", "msg": f.msg, "path": f.path} if {
	input.endpoint in {"build", "image.create"}
	some f in remote_fetches
}

remote_fetches contains {"msg": msg, "path": "query.remote"} if {
	input.endpoint == "build"
	r := object.get(input.query, "remote", "")
	not r in {"", "client-session", "upload-request"}
	msg := sprintf("builds from a remote context (%s) are not allowed: the daemon would fetch it on the host; send the context in the request body", [r])
}

remote_fetches contains {"msg": msg, "path": "query.fromSrc"} if {
	input.endpoint == "image.create"
	src := object.get(input.query, "fromSrc", "")
	not src in {"", "-"}
	msg := sprintf("image import from a URL (%s) is not allowed: the daemon would fetch it on the host; send the tarball in the request body", [src])
}

# METADATA
# title: BuildKit streams (restricted)
# description: >-
#   Under the restricted profile, refuses BuildKit: the /session and /grpc
#   streams, and POST /build with version=2. The baseline profile allows
#   them; see allow_by for the daemon settings that close them there.
# custom:
#   id: DG-BUILD-002
#   profile: restricted
#   endpoints: session, grpc, build
#   why: >-
#     /grpc is BuildKit's whole control API and /session a tunnel from the
#     client; both are HTTP upgrades the guard cannot read. With them a
#     client can ask for RUN steps on the host network (BuildKit grants the
#     network.host entitlement by default) and for any frontend or export.
#   allow_by: >-
#     use the baseline profile (and there, set "builder": {"Entitlements":
#     {"network-host": false}} in daemon.json, or turn BuildKit off with
#     "features": {"buildkit": false} so that builds use the classic
#     builder the guard can judge), or list DG-BUILD-002 in
#     guard.disabled_rules
violation contains {"id": "DG-BUILD-002", "msg": f.msg, "path": f.path} if {
	data.guard.profile == "restricted"
	input.endpoint in {"session", "grpc", "build"}
	some f in buildkit
}

buildkit contains {"msg": msg, "path": ""} if {
	input.endpoint in {"session", "grpc"}
	msg := sprintf("BuildKit's /%s stream is not allowed in the restricted profile: the guard cannot see what it carries; build with the classic builder (DOCKER_BUILDKIT=0)", [input.endpoint])
}

buildkit contains {"msg": "BuildKit builds (version=2) are not allowed in the restricted profile: build with the classic builder (DOCKER_BUILDKIT=0)", "path": "query.version"} if {
	input.endpoint == "build"
	input.query.version == "2"
}
