package apiversion

import (
	"strconv"
	"strings"
)

// GRPCFromVersion is the first engine version that serves BuildKit's gRPC
// API on its API socket: an HTTP/2 request (h2c on a unix socket) with
// Content-Type application/grpc goes to BuildKit's gRPC server (and the
// daemon's extension services) past the router and every middleware, so no
// authorization plugin ever sees it (daemon/command/httphandler.go). The
// server is registered whatever features.buildkit says.
const GRPCFromVersion = "29.2.0"

// GRPCUnguarded reports whether the daemon has that path open: a Linux
// engine at GRPCFromVersion or later.
func (d Daemon) GRPCUnguarded() bool {
	if d.Os != "" && d.Os != "linux" {
		return false
	}
	return CompareEngine(d.Version, GRPCFromVersion) >= 0
}

// CompareEngine compares two engine versions ("29.8.0", "20.10.24+dfsg1",
// "29.2.0-rc.1") by their numeric major.minor.patch; a pre-release counts as
// its release (the guard warns about a path its release opens). A version
// with no number first ("library-import", "dev") compares as newer than
// everything: an unknown build is assumed to have every path the newest has.
func CompareEngine(a, b string) int {
	pa, oka := engineParts(a)
	pb, okb := engineParts(b)
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return 1
	case !okb:
		return -1
	}
	for i := range pa {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func engineParts(v string) ([3]int, bool) {
	var out [3]int
	v, _, _ = strings.Cut(v, "+")
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			if i == 0 {
				return out, false
			}
			break
		}
		out[i] = n
	}
	return out, true
}
