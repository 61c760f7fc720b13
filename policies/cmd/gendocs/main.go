// Command gendocs writes docs/rules.md from the METADATA of the embedded
// Rego library, and docs/input.md from the types of plugin/input. Run it
// from the module root: go run ./policies/cmd/gendocs (or go generate
// ./policies/...).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dood-guard/dood-guard/plugin/input/inputdoc"
	"github.com/dood-guard/dood-guard/policies/catalogue"
)

func main() {
	out := flag.String("o", "docs/rules.md", "file to write the rule catalogue to")
	inputOut := flag.String("input", "docs/input.md", "file to write the input document's reference to")
	inputSrc := flag.String("input-src", "plugin/input", "the source of plugin/input")
	flag.Parse()
	doc, err := inputdoc.Markdown(*inputSrc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*inputOut, doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
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
