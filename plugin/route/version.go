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
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	n := max(len(as), len(bs))
	for i := range n {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x > y {
				return 1
			}
			return -1
		}
	}
	return 0
}
