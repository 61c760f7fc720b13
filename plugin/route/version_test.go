package route

import (
	"strconv"
	"strings"
	"testing"
)

// splitCompare is CompareVersions as moby's versions.compare reads:
// strings.Split, then strconv.Atoi per part, errors ignored.
func splitCompare(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
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

// FuzzCompareVersionsIsSplitCompare: the allocation-free CompareVersions
// orders every pair of strings as the split-based reading does.
func FuzzCompareVersionsIsSplitCompare(f *testing.F) {
	for _, s := range [][2]string{{"1.41", "1.41"}, {"1.41.", "1.41"}, {"", "0"}, {".", "1.12"}, {"1..41", "1.12"},
		{"1.-5", "1.0"}, {"1.99999999999999999999", "1.41"}, {"1.+2", "1.2"}, {"1.41", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := CompareVersions(a, b), splitCompare(a, b); got != want {
			t.Fatalf("CompareVersions(%q, %q) = %d, split reading %d", a, b, got, want)
		}
	})
}
