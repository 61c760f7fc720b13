package dood.rules.api_test

import data.dood.fixtures as fx

put_archive := fx.request("PUT", "container.archive.put", "/containers/web/archive", {"name": "web"}, {"path": "/"})

test_denied_endpoint_by_name if {
	fx.decide(put_archive).violations == [{
		"id": "DG-API-001",
		"msg": "endpoint container.archive.put is switched off on this host (guard.denied_endpoints: container.archive.put)",
		"path": "",
	}] with data.guard.denied_endpoints as ["container.archive.put"]
}

test_denied_endpoint_groups if {
	fx.ids(put_archive) == {"DG-API-001"} with data.guard.denied_endpoints as ["container.*"]
	fx.ids(put_archive) == {"DG-API-001"} with data.guard.denied_endpoints as ["container.archive.*"]
	fx.ids(fx.cli_create) == {"DG-API-001"} with data.guard.denied_endpoints as ["container.*"]
	fx.ids(fx.plugin_request("plugin.disable", "x/y")) == {"DG-API-001"} with data.guard.denied_endpoints as ["plugin.*"]
}

test_other_endpoints_unaffected if {
	fx.ids(put_archive) == set()
	fx.ids(fx.cli_create) == set() with data.guard.denied_endpoints as ["container.archive.*", "plugin.*", "container.create.x"]
	fx.ids(put_archive) == set() with data.guard.denied_endpoints as ["container.archive", "container.archive.get"]

	# a wildcard names whole segments
	fx.ids(fx.request("GET", "image.list", "/images/json", {}, {})) == set() with data.guard.denied_endpoints as ["ima.*", "image.list.*"]

	# requests the router does not know have no endpoint to match
	fx.ids(fx.request("GET", "", "/nope", {}, {})) == set() with data.guard.denied_endpoints as ["container.*"]
}
