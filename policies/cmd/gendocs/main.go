// Command gendocs writes docs/rules.md from the METADATA of the embedded
// Rego library. Run it from the module root: go run ./policies/cmd/gendocs
// (or go generate ./policies/...).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dood-guard/dood-guard/policies/catalogue"
)

func main() {
	out := flag.String("o", "docs/rules.md", "file to write")
	flag.Parse()
	b, err := catalogue.Markdown()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
