# The policy data every rule relies on.
package dood.rules.config

import data.dood.lib

lists := [
	"disabled_rules",
	"allowed_bind_paths",
	"protected_paths",
	"dangerous_capabilities",
	"allowed_local_volume_types",
	"permissive_selinux_types",
	"required_masked_paths",
	"required_readonly_paths",
]

guard := g if {
	g := data.guard
	is_object(g)
} else := {}

# METADATA
# title: Policy data missing or malformed
# description: >-
#   Refuses every request while a list under data.guard that the rules read is
#   missing or not a list of strings (e.g. after a --data file replaced it).
# custom:
#   id: DG-CONF-001
#   why: >-
#     A rule reading a missing list matches nothing; without this the guard
#     would silently allow what the list was meant to refuse.
#   allow_by: fix the --data file; listing DG-CONF-001 in guard.disabled_rules is not advised
violation contains {"id": "DG-CONF-001", "msg": sprintf("policy data guard.%s is missing or not a list of strings", [key]), "path": sprintf("data.guard.%s", [key])} if {
	some key in lists
	not lib.string_list(object.get(guard, key, null))
}
