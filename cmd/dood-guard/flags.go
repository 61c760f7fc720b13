package main

import (
	"flag"
	"io"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/config"
)

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// policyFlags binds the flags shared by serve and eval.
func policyFlags(fs *flag.FlagSet, c *config.Config) {
	fs.Var((*multiFlag)(&c.PolicyPaths), "policy", "a .rego file or a directory of them (repeatable); replaces the embedded policy")
	fs.StringVar(&c.DataPath, "data", "", "JSON or YAML policy data, merged over the embedded defaults")
	fs.BoolVar(&c.AllowUnknownRoutes, "allow-unknown-routes", false, "let the policy judge mutating calls to routes the guard does not know, instead of denying them")
	fs.StringVar(&c.DefaultAPIVersion, "default-api-version", "", "API version dockerd assumes for requests without a /vX.Y prefix (default 1.41)")
	fs.StringVar(&c.Cgroup, "cgroup", "", "host cgroup version: auto, v1 or v2 (default auto)")
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("dood-guard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
