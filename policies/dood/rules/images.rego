# Which images a container or service may run, and which may be pulled.
package dood.rules.images

import data.dood.lib

# METADATA
# title: Image not in the allowed list
# description: >-
#   When guard.allowed_images is not empty, refuses a container create, a
#   service, or a pull (POST /images/create with fromImage) or import
#   (repo) whose image reference matches none of its patterns:
#   "registry.example.com/ci/*" (anything below that path), "alpine" (a
#   repository: any tag or digest), "alpine:3.20" (exactly that). References
#   are normalised as the daemon does (alpine is docker.io/library/alpine).
#   Image IDs are refused, since they name no source. An empty list allows
#   every image.
# custom:
#   id: DG-IMG-001
#   endpoints: container create, service create/update, image create
#   why: >-
#     An image is code the host runs, with the image's own defaults (user,
#     entrypoint, volumes); restricting where images come from keeps
#     unreviewed code off the host. Images built, loaded, imported or tagged
#     on the host take any name, so pair this with guard.denied_endpoints
#     (build, image.load, image.tag, container.commit) for a closed set.
#   allow_by: add a pattern to guard.allowed_images
violation contains {"id": "DG-IMG-001", "msg": msg, "path": r.path} if {
	restricts_images
	input.endpoint in {"container.create", "service.create", "service.update", "image.create"}
	some r in references
	not allowed(r.value)
	msg := refusal(r.value)
}

# restricts_images holds when guard.allowed_images lists anything (an empty
# list allows every image). It depends on data only, so the guard computes it
# once per policy load.
restricts_images if count(data.guard.allowed_images) > 0

references contains {"value": object.get(input.body, "Image", ""), "path": "Image"} if {
	input.endpoint == "container.create"
}

references contains input.facts.image if {
	input.endpoint in {"service.create", "service.update"}
}

references contains {"value": with_tag(input.query.fromImage, object.get(input.query, "tag", "")), "path": "query.fromImage"} if {
	input.endpoint == "image.create"
	input.query.fromImage != ""
}

references contains {"value": with_tag(object.get(input.query, "repo", ""), object.get(input.query, "tag", "")), "path": "query.repo"} if {
	input.endpoint == "image.create"
	object.get(input.query, "fromImage", "") == ""
	object.get(input.query, "fromSrc", "") != ""
}

# The pull's tag parameter is a tag, or a digest when it looks like one.
with_tag(name, "") := name

with_tag(name, tag) := concat("@", [name, tag]) if contains(tag, ":")

with_tag(name, tag) := concat(":", [name, tag]) if {
	tag != ""
	not contains(tag, ":")
}

allowed(ref) if {
	ref != ""
	not lib.hex_id(ref)
	some pattern in data.guard.allowed_images
	lib.image_match(ref, pattern)
}

refusal(ref) := sprintf("image %q is not allowed: it matches none of guard.allowed_images", [ref]) if {
	not lib.hex_id(ref)
} else := sprintf("image %q is not allowed: an image ID names no source that guard.allowed_images can judge; use the image's name", [ref])
