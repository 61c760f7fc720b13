package route

import (
	"strconv"
	"strings"
)

// splitVersion splits the "/v{version:[0-9.]+}" prefix off p. Every route
// template starts with "/" and "/" is not in [0-9.], so the version can only
// be the longest run of [0-9.] after "/v", and it must be followed by "/".
// "/v", "/v/..." and "/vfoo/..." carry no prefix, as in mux.
func splitVersion(p string) (version, rest string, ok bool) {
	if !strings.HasPrefix(p, "/v") {
		return "", p, false
	}
	i := 2
	for i < len(p) && (isDigit(p[i]) || p[i] == '.') {
		i++
	}
	if i == 2 || i == len(p) || p[i] != '/' {
		return "", p, false
	}
	return p[2:i], p[i:], true
}

// CompareVersions compares two API versions the way moby's
// api/types/versions package does and returns -1, 0 or 1. Versions are split
// on "."; a missing part counts as 0 and each part is whatever strconv.Atoi
// returns, error or not: 0 for "x" or "", but the clamped maximum for a part
// too large for an int, so "1.99999999999999999999" is newer than "1.41"
// exactly as in dockerd.
//
// It allocates nothing: it runs for every container create.
func CompareVersions(a, b string) int {
	moreA, moreB := true, true
	for moreA || moreB {
		var pa, pb string
		if moreA {
			pa, a, moreA = strings.Cut(a, ".")
		}
		if moreB {
			pb, b, moreB = strings.Cut(b, ".")
		}
		if x, y := versionPart(pa), versionPart(pb); x != y {
			if x > y {
				return 1
			}
			return -1
		}
	}
	return 0
}

// versionPart is strconv.Atoi's result, error or not ("" and a missing part
// are 0, without the error Atoi would allocate).
func versionPart(s string) int {
	if s == "" {
		return 0
	}
	n, _ := strconv.Atoi(s)
	return n
}
