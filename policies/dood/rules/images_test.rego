package dood.rules.images_test

import data.dood.fixtures as fx

image(ref) := object.union(fx.cli_create, {"body": {"Image": ref}})

allowed_list := ["registry.corp/ci/*", "alpine", "busybox:1.36", "nginx"]

test_every_image_allowed_by_default if {
	fx.ids(image("anything/at:all")) == set()
	fx.ids(image("0123abcd")) == set()
}

test_image_outside_the_list_denied if {
	fx.decide(image("evil/miner")).violations == [{
		"id": "DG-IMG-001",
		"msg": "image \"evil/miner\" is not allowed: it matches none of guard.allowed_images",
		"path": "Image",
	}] with data.guard.allowed_images as allowed_list
}

test_image_patterns if {
	every ref in [
		"registry.corp/ci/app", "registry.corp/ci/team/app:1.0", "registry.corp/ci/app@sha256:abc",
		"alpine", "alpine:3.20", "docker.io/library/alpine", "library/alpine:edge", "index.docker.io/library/alpine",
		"busybox:1.36", "docker.io/library/busybox:1.36", "nginx:1.25",
	] {
		fx.ids(image(ref)) == set() with data.guard.allowed_images as allowed_list
	}
	every ref in [
		"registry.corp/cix/app", "registry.corp/app", "registry.corp:5000/ci/app", "evil.io/alpine",
		"someone/alpine", "busybox", "busybox:1.35", "alpine-evil", "nginx-x:1",
	] {
		fx.ids(image(ref)) == {"DG-IMG-001"} with data.guard.allowed_images as allowed_list
	}
}

test_docker_hub_prefixes if {
	fx.ids(image("myorg/app:1")) == set() with data.guard.allowed_images as ["myorg/*"]
	fx.ids(image("docker.io/myorg/app")) == set() with data.guard.allowed_images as ["myorg/*"]
	fx.ids(image("alpine")) == set() with data.guard.allowed_images as ["docker.io/library/*"]
	fx.ids(image("myorg/app")) == {"DG-IMG-001"} with data.guard.allowed_images as ["docker.io/library/*"]
	fx.ids(image("localhost:5000/app")) == set() with data.guard.allowed_images as ["localhost:5000/*"]
}

test_image_ids_denied_when_listing if {
	fx.violations(image("sha256:0123456789abcdef"), "DG-IMG-001") == {[
		"image \"sha256:0123456789abcdef\" is not allowed: an image ID names no source that guard.allowed_images can judge; use the image's name",
		"Image",
	]} with data.guard.allowed_images as ["docker.io/*"]
	fx.ids(image("0123abcd")) == {"DG-IMG-001"} with data.guard.allowed_images as ["docker.io/*"]
}

pull(query) := fx.request("POST", "image.create", "/images/create", {}, query)

test_pulls_judged if {
	fx.violations(pull({"fromImage": "evil/miner", "tag": "latest"}), "DG-IMG-001") == {[
		"image \"evil/miner:latest\" is not allowed: it matches none of guard.allowed_images",
		"query.fromImage",
	]} with data.guard.allowed_images as allowed_list
	fx.ids(pull({"fromImage": "alpine", "tag": "3.20"})) == set() with data.guard.allowed_images as allowed_list
	fx.ids(pull({"fromImage": "busybox", "tag": "1.36"})) == set() with data.guard.allowed_images as allowed_list
	fx.ids(pull({"fromImage": "busybox", "tag": "1.35"})) == {"DG-IMG-001"} with data.guard.allowed_images as allowed_list
	fx.ids(pull({"fromImage": "registry.corp/ci/app", "tag": "sha256:abc"})) == set() with data.guard.allowed_images as allowed_list
}

test_imports_judged_by_repo if {
	fx.ids(pull({"fromSrc": "-", "repo": "evil/x"})) == {"DG-IMG-001"} with data.guard.allowed_images as allowed_list
	fx.ids(pull({"fromSrc": "-", "repo": "registry.corp/ci/base", "tag": "1"})) == set() with data.guard.allowed_images as allowed_list
	fx.ids(pull({"fromSrc": "-", "repo": ""})) == {"DG-IMG-001"} with data.guard.allowed_images as allowed_list
}

test_service_images_judged if {
	fx.violations(fx.service_create, "DG-IMG-001") == {[
		"image \"nginx:1.25\" is not allowed: it matches none of guard.allowed_images",
		"TaskTemplate.ContainerSpec.Image",
	]} with data.guard.allowed_images as ["alpine"]
	fx.ids(fx.service_create) == set() with data.guard.allowed_images as allowed_list
}
