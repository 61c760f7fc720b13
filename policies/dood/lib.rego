# Helpers shared by the rule packages. This is not a rule package: it defines
# no violation.
package dood.lib

# within(child, parent) holds when child is parent or lies below it. Both
# must be clean absolute paths (bind sources are cleaned by the guard, and
# the loader refuses policy data paths that are not clean), so a string
# prefix ending at a "/" compares whole segments: "/etcfoo" is not below
# "/etc". Every absolute path is within "/".
within(child, parent) if child == parent

within(child, "/") if startswith(child, "/")

within(child, parent) if {
	parent != "/"
	startswith(child, concat("", [parent, "/"]))
}

# clean_absolute holds for an absolute path with no empty, "." or ".."
# segment and no trailing slash: the only spelling within() can judge.
clean_absolute("/")

# String tests rather than a walk over the segments: this runs for every
# bind source of every request.
clean_absolute(p) if {
	startswith(p, "/")
	not endswith(p, "/")
	not endswith(p, "/.")
	not endswith(p, "/..")
	not contains(p, "//")
	not contains(p, "/./")
	not contains(p, "/../")
}

# string_list holds for an array of strings.
string_list(x) if {
	is_array(x)
	every e in x {
		is_string(e)
	}
}
