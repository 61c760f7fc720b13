package main

import (
	"fmt"
	"io"

	opaversion "github.com/open-policy-agent/opa/v1/version"
)

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "dood-guard %s\ncommit: %s\nopa: %s\n", version, commit, opaversion.Version)
}
