# Helpers shared by the rule packages. This is not a rule package: it defines
# no violation.
package dood.lib

# segments splits a slash-separated path into its parts, ignoring empty and
# "." parts, so "/etc/" and "/etc" compare equal and "/etcfoo" is not "/etc".
segments(p) := [s | some s in split(p, "/"); s != ""; s != "."]

# within(child, parent) holds when child is parent or lies below it,
# compared on path segments. Every path is within "/".
within(child, parent) if {
	c := segments(child)
	q := segments(parent)
	count(c) >= count(q)
	array.slice(c, 0, count(q)) == q
}

# clean_absolute holds for an absolute path without ".." parts: the only
# paths segment comparison can judge.
clean_absolute(p) if {
	startswith(p, "/")
	not ".." in split(p, "/")
}

# string_list holds for an array of strings.
string_list(x) if {
	is_array(x)
	every e in x {
		is_string(e)
	}
}
