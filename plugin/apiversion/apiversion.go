// Package apiversion decides which Docker API version the guard reads a
// request under. dockerd gives a request without a /vX.Y prefix its own
// newest version, and every version-dependent behaviour (fields ignored below
// the version that introduced them, defaults that changed) follows from the
// version the request ends up with. So the guard follows the daemon in front
// of it: it learns the daemon's versions from GET /version, and an operator's
// explicit --default-api-version overrides what it learned. When neither is
// known, the guard reads an unprefixed request as the newest version it knows
// (Newest): under that reading no version-gated field the daemon could honour
// is ignored.
package apiversion

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/route"
)

// Newest is the newest API version whose requests the guard reads (Docker
// 29.8, API 1.56): the reading that sees the most, used for a request
// without a prefix when the daemon's version is unknown.
const Newest = "1.56"

// Daemon is what the daemon in front of the guard says of itself in GET
// /version.
type Daemon struct {
	Version       string `json:"Version"`       // engine version: "20.10.24", "29.8.0"
	APIVersion    string `json:"ApiVersion"`    // newest API version it serves: its default for unprefixed paths
	MinAPIVersion string `json:"MinAPIVersion"` // below it the daemon refuses the request
	Os            string `json:"Os"`            // "linux"
}

// Validate checks that the daemon named versions the guard can compare.
func (d Daemon) Validate() error {
	if !Valid(d.APIVersion) {
		return fmt.Errorf("daemon API version %q is not a version such as 1.41", d.APIVersion)
	}
	if d.MinAPIVersion != "" && !Valid(d.MinAPIVersion) {
		return fmt.Errorf("daemon minimum API version %q is not a version such as 1.24", d.MinAPIVersion)
	}
	return nil
}

// Where the default version for unprefixed requests came from.
const (
	FromFlag   = "flag"    // --default-api-version: the operator said so
	FromDaemon = "daemon"  // GET /version's ApiVersion
	Assumed    = "assumed" // unknown: Newest, the reading that sees the most
)

// Versions is how the guard reads requests' API versions.
type Versions struct {
	// Default is the version of a request without a /vX.Y prefix.
	Default string
	// Source says where Default came from: FromFlag, FromDaemon or Assumed.
	Source string
	// Daemon is what the daemon said; nil when it has not been learned.
	Daemon *Daemon
}

// Resolve combines the operator's --default-api-version (flag, "" when not
// given) with what the daemon said (nil when unknown). An explicit flag wins:
// the operator may know better (a proxy in between that rewrites paths, a
// daemon whose /version cannot be read).
func Resolve(flag string, d *Daemon) Versions {
	v := Versions{Daemon: d}
	switch {
	case flag != "":
		v.Default, v.Source = Canonical(flag), FromFlag
	case d != nil && d.APIVersion != "":
		v.Default, v.Source = Canonical(d.APIVersion), FromDaemon
	default:
		v.Default, v.Source = Newest, Assumed
	}
	return v
}

// Effective is the version a request is read under: its prefix as dockerd
// compares it, or the default when it has none.
func (v Versions) Effective(given string) string {
	if given == "" {
		return v.Default
	}
	return Canonical(given)
}

// Supported reports whether the daemon serves version: false when it is
// below the daemon's minimum or above its newest, where dockerd refuses the
// request after the authorization plugins were asked. True when the daemon's
// range is unknown.
func (v Versions) Supported(version string) bool {
	if v.Daemon == nil {
		return true
	}
	if m := v.Daemon.MinAPIVersion; m != "" && route.CompareVersions(version, m) < 0 {
		return false
	}
	if m := v.Daemon.APIVersion; m != "" && route.CompareVersions(version, m) > 0 {
		return false
	}
	return true
}

// Canonical renders a version as dockerd compares it: "01.41" is 1.41.
func Canonical(version string) string {
	parts := strings.Split(version, ".")
	for i, p := range parts {
		n, _ := strconv.Atoi(p)
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// Valid reports whether s is a version the operator or the daemon may name:
// two or three dot-separated decimal numbers.
func Valid(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 6 {
			return false
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}
