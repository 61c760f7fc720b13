//go:build nocheck

package main

import (
	"fmt"
	"io"
)

// The managed plugin's binary is built with -tags nocheck
// (scripts/build-plugin.sh): `check` links docker/cli and compose-go, whose
// code and start-up allocations would nearly double the memory of a guard
// that never runs it (docs/performance.md).
func checkCmd(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "dood-guard check is not in this build (built with -tags nocheck, as the managed plugin is): run it from the full binary (make build)")
	return 2
}
