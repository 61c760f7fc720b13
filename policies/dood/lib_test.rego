package dood.lib_test

import data.dood.lib

test_ref_normalisation if {
	lib.ref("alpine") == {"name": "docker.io/library/alpine", "tag": "", "digest": ""}
	lib.ref("alpine:3.20") == {"name": "docker.io/library/alpine", "tag": "3.20", "digest": ""}
	lib.ref("library/alpine") == {"name": "docker.io/library/alpine", "tag": "", "digest": ""}
	lib.ref("docker.io/alpine") == {"name": "docker.io/library/alpine", "tag": "", "digest": ""}
	lib.ref("index.docker.io/x/y:1") == {"name": "docker.io/x/y", "tag": "1", "digest": ""}
	lib.ref("localhost:5000/app") == {"name": "localhost:5000/app", "tag": "", "digest": ""}
	lib.ref("localhost/app:v1") == {"name": "localhost/app", "tag": "v1", "digest": ""}
	lib.ref("registry.corp:5000/ci/app:1.0@sha256:ab") == {"name": "registry.corp:5000/ci/app", "tag": "1.0", "digest": "sha256:ab"}
	lib.ref("Registry/app") == {"name": "Registry/app", "tag": "", "digest": ""}
}

test_ref_string if {
	lib.ref_string("alpine") == "docker.io/library/alpine:latest"
	lib.ref_string("dood-guard:latest") == lib.ref_string("docker.io/library/dood-guard")
	lib.ref_string("x@sha256:ab") == "docker.io/library/x@sha256:ab"
}

test_segments if {
	lib.segments("//a/./b/../c/") == ["a", "b", "..", "c"]
	lib.segments("") == []
}

# clean_absolute is one regular expression: the spellings it must refuse
# (an empty, "." or ".." segment, a trailing slash, a relative path) and
# the segment names that only look like them.
test_clean_absolute if {
	every p in ["/", "/a", "/srv/ci/workspace", "/.a", "/a.", "/..a", "/...", "/a/.b/..c/...", "/a b", "/ä/ö"] {
		lib.clean_absolute(p)
	}
	every p in ["", "a", "a/b", "./a", "//", "/a/", "/a//b", "/.", "/..", "/a/.", "/a/..", "/a/./b", "/a/../b", "/./", "/../a"] {
		not lib.clean_absolute(p)
	}
}
