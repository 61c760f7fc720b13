package dood.rules.build_test

import data.dood.fixtures as fx

test_remote_context_denied if {
	fx.decide(fx.build({"remote": "https://github.com/x/y.git#main"})).violations == [{
		"id": "DG-BUILD-001",
		"msg": "builds from a remote context (https://github.com/x/y.git#main) are not allowed: the daemon would fetch it on the host; send the context in the request body",
		"path": "query.remote",
	}]
	fx.ids(fx.build({"remote": "http://169.254.169.254/latest/"})) == {"DG-BUILD-001"}
	fx.ids(fx.build({"remote": "git@github.com:x/y.git"})) == {"DG-BUILD-001"}
}

test_buildkit_context_markers_allowed if {
	fx.ids(fx.build({"remote": "client-session", "version": "2"})) == set()
	fx.ids(fx.build({"remote": "upload-request", "version": "2"})) == set()
	fx.ids(fx.build({"remote": ""})) == set()
}

import_from(src) := fx.request("POST", "image.create", "/images/create", {}, {"fromSrc": src, "repo": "x"})

test_image_import_from_url_denied if {
	fx.decide(import_from("http://10.0.0.1/secret")).violations == [{
		"id": "DG-BUILD-001",
		"msg": "image import from a URL (http://10.0.0.1/secret) is not allowed: the daemon would fetch it on the host; send the tarball in the request body",
		"path": "query.fromSrc",
	}]
}

test_image_import_from_body_and_pulls_allowed if {
	fx.ids(import_from("-")) == set()
	fx.ids(fx.request("POST", "image.create", "/images/create", {}, {"fromImage": "alpine", "tag": "3.20"})) == set()
}

# DG-BUILD-002: BuildKit under restricted.

test_buildkit_streams_allowed_in_baseline if {
	fx.ids(fx.request("POST", "session", "/session", {}, {})) == set()
	fx.ids(fx.request("POST", "grpc", "/grpc", {}, {})) == set()
	fx.ids(fx.build({"version": "2", "session": "abc", "remote": "client-session"})) == set()
}

test_buildkit_streams_denied_in_restricted if {
	fx.decide_restricted(fx.request("POST", "session", "/session", {}, {})).violations == [{
		"id": "DG-BUILD-002",
		"msg": "BuildKit's /session stream is not allowed in the restricted profile: the guard cannot see what it carries; build with the classic builder (DOCKER_BUILDKIT=0)",
		"path": "",
	}]
	fx.ids_restricted(fx.request("POST", "grpc", "/grpc", {}, {})) == {"DG-BUILD-002"}
	fx.violations_restricted(fx.build({"version": "2"}), "DG-BUILD-002") == {["BuildKit builds (version=2) are not allowed in the restricted profile: build with the classic builder (DOCKER_BUILDKIT=0)", "query.version"]}
}

test_classic_build_allowed_in_restricted if {
	fx.ids_restricted(fx.build({"t": "app"})) == set()
	fx.ids_restricted(fx.build({"t": "app", "version": "1"})) == set()
}
