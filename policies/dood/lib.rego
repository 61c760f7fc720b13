# Helpers shared by the rule packages. This is not a rule package: it defines
# no violation.
package dood.lib

# restricted holds under the restricted profile (data.guard.profile); the
# baseline profile is everything else.
restricted if data.guard.profile == "restricted"

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

# One regular expression rather than a walk over the segments (or a string
# test per bad spelling): this runs for every bind source of every request.
# Each segment is non-empty and neither "." nor "..": it starts with a
# character other than "." and "/", or is "." then such a character, or is
# ".." then anything but "/".
clean_absolute(p) if regex.match(`^(/([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+))+$`, p)

# dir_key(p) is p with one trailing slash: "/etc/" and "/". For clean
# paths, dir_key(a) is a prefix of dir_key(b) exactly when b is a or lies
# below it, so one startswith compares whole segments.
dir_key(p) := concat("", [trim_suffix(p, "/"), "/"])

# string_list holds for an array of strings.
string_list(x) if {
	is_array(x)
	every e in x {
		is_string(e)
	}
}

# Image and plugin references, normalised as the daemon's reference parser
# does: "alpine" is docker.io/library/alpine, "index.docker.io" is
# "docker.io", and a reference without a tag or digest means ":latest".

# ref(s) is {"name", "tag", "digest"} with the name fully qualified.
ref(s) := {"name": image_name(n), "tag": t, "digest": d} if {
	[nt, d] := cut_digest(s)
	[n, t] := cut_tag(nt)
}

# ref_string(s) is the fully qualified reference: name, then @digest or
# :tag (":latest" when neither is given).
ref_string(s) := concat("", [r.name, "@", r.digest]) if {
	r := ref(s)
	r.digest != ""
} else := concat("", [r.name, ":", tag_or_latest(r.tag)]) if {
	r := ref(s)
}

tag_or_latest("") := "latest"

tag_or_latest(t) := t if t != ""

cut_digest(s) := [substring(s, 0, i), substring(s, i + 1, -1)] if {
	i := indexof(s, "@")
	i >= 0
} else := [s, ""]

# A tag is what follows the last ":" after the last "/" (a ":" before it is
# a registry port).
cut_tag(s) := [substring(s, 0, i), substring(s, i + 1, -1)] if {
	i := max(indexof_n(s, ":"))
	i > max(array.concat([-1], indexof_n(s, "/")))
} else := [s, ""]

image_name(n) := name if {
	parts := split(n, "/")
	count(parts) > 1
	domain_like(parts[0])
	name := hub_name(canonical_domain(parts[0]), concat("/", array.slice(parts, 1, count(parts))))
} else := hub_name("docker.io", n)

# The first component is a registry when it looks like a host name.
domain_like(d) if contains(d, ".")

domain_like(d) if contains(d, ":")

domain_like("localhost")

domain_like(d) if lower(d) != d

canonical_domain("index.docker.io") := "docker.io"

canonical_domain(d) := d if d != "index.docker.io"

hub_name(domain, path) := concat("/", [domain, "library", path]) if {
	domain == "docker.io"
	not contains(path, "/")
} else := concat("/", [domain, path])

# image_match(s, pattern) holds when reference s is allowed by a pattern
# of guard.allowed_images or guard.allowed_plugins: "registry/prefix/*"
# (anything below that path), a repository ("alpine": any tag or digest),
# or a repository with a tag or digest (exactly that).
image_match(s, pattern) if {
	endswith(pattern, "/*")
	startswith(ref(s).name, name_prefix(trim_suffix(pattern, "*")))
}

image_match(s, pattern) if {
	not endswith(pattern, "/*")
	p := ref(pattern)
	p.tag == ""
	p.digest == ""
	ref(s).name == p.name
}

image_match(s, pattern) if {
	not endswith(pattern, "/*")
	p := ref(pattern)
	concat("", [p.tag, p.digest]) != ""
	ref_string(s) == ref_string(pattern)
}

# name_prefix qualifies a pattern prefix ending in "/": a registry path
# ("registry.corp/ci/") as it is, a Docker Hub path ("library/") under
# docker.io.
name_prefix(p) := concat("/", array.concat([canonical_domain(parts[0])], array.slice(parts, 1, count(parts)))) if {
	parts := split(p, "/")
	domain_like(parts[0])
} else := concat("", ["docker.io/", p])

# hex_id holds for what the daemon may read as an image or plugin ID (or ID
# prefix) rather than a name.
hex_id(s) if regex.match(`^(sha256:)?[0-9a-f]+$`, s)

# segments(p) lists the segments of a slash path that name something: empty
# and "." segments are dropped, ".." is kept.
segments(p) := [s | some s in split(p, "/"); s != ""; s != "."]

# listed(s, list) holds when list names s: an entry equal to it, or an entry
# ending in "*" whose part before the "*" starts it.
listed(s, list) if s in list

listed(s, list) if {
	some e in list
	endswith(e, "*")
	startswith(s, trim_suffix(e, "*"))
}
