package dood.rules.annotations_test

import data.dood.fixtures as fx

annotated(keys) := fx.create({"annotations": [{
	"key": k, "name": k, "value": "v", "endpoint": false,
	"path": sprintf("HostConfig.Annotations[%q]", [k]),
} |
	some k in keys
]})

with_allowed(inp, list) := d if {
	d := fx.decide(inp) with data.guard.allowed_annotations as list
}

ids_of(d) := {v.id | some v in d.violations}

test_no_annotations_allowed if {
	fx.decide(annotated([])) == {"allow": true, "violations": []}
}

test_unlisted_annotation_denied if {
	fx.decide(annotated(["com.example.team"])).violations == [{
		"id": "DG-ANN-001",
		"msg": "annotation \"com.example.team\" is not allowed: it is not listed in guard.allowed_annotations",
		"path": "HostConfig.Annotations[\"com.example.team\"]",
	}]
}

test_listed_annotation_allowed if {
	with_allowed(annotated(["com.example.team"]), ["com.example.team"]).allow
	with_allowed(annotated(["com.example.ci/job", "com.example.ci/run"]), ["com.example.ci/*"]).allow
	ids_of(with_allowed(annotated(["com.example.cix"]), ["com.example.ci/*"])) == {"DG-ANN-001"}
}

# runc: org.systemd.property.* become systemd unit properties, org.criu.config
# a CRIU configuration file; crun: run.oci.*. Refused even when allowed.
test_runtime_acted_annotations_denied if {
	inp := annotated(["org.systemd.property.DeviceAllow", "org.criu.config", "run.oci.handler", "io.katacontainers.config.hypervisor.path"])
	d := with_allowed(inp, ["*"])
	ids_of(d) == {"DG-ANN-002"}
	count(d.violations) == 4
	fx.violations(annotated(["org.criu.config"]), "DG-ANN-002") == {["annotation \"org.criu.config\" is not allowed: the container runtime acts on it", "HostConfig.Annotations[\"org.criu.config\"]"]}
}

# runc reads "key=value" labels up to the first "=".
test_runtime_key_with_equals_denied if {
	ids_of(with_allowed(annotated(["org.criu.config=/tmp/x"]), ["*"])) == {"DG-ANN-002"}
}

test_runtime_acted_reported_once if {
	ids_of(fx.decide(annotated(["org.systemd.property.Delegate"]))) == {"DG-ANN-002"}
}

test_annotations_judged_on_legacy_start if {
	inp := object.union(annotated(["run.oci.keep_original_groups"]), {"endpoint": "container.start"})
	fx.ids(inp) == {"DG-ANN-002"}
}
