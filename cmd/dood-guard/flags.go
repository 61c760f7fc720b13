package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/hostpath"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/policy"
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
	fs.StringVar(&c.DefaultAPIVersion, "default-api-version", "", "API version of requests without a /vX.Y prefix, over what the daemon says (default: the daemon's, from GET /version through --docker-host; while unknown, the newest the guard knows)")
	fs.StringVar(&c.Cgroup, "cgroup", "", "host cgroup version: auto, v1 or v2 (default auto)")
	fs.Var((*multiFlag)(&c.RulesDirs), "rules", "a directory of a team's own rule packages (dood.rules.<name>), added beside the policy (repeatable)")
	fs.StringVar(&c.Profile, "profile", "", "policy profile: baseline or restricted (default: data.guard.profile, baseline)")
	fs.StringVar(&c.HostRoot, "host-root", "", "where the host's file system is seen, for resolving bind sources (default /; a managed plugin mounts it at /host)")
	fs.StringVar(&c.ConfigDir, "config-dir", "", "optional directory of policies/, rules/ and data.yaml, each loaded when present (a managed plugin: /host/etc/dood-guard)")
}

// policyOptions says what to load for a configuration.
func policyOptions(c config.Config) policy.Options {
	return policy.Options{Policies: c.PolicyPaths, Rules: c.RulesDirs, Data: c.DataPath, Profile: c.Profile, ConfigDir: c.ConfigDir}
}

// normalizeOptions are the host facts the normaliser needs: the cgroup
// version, and bind sources resolved on the host under --host-root.
func normalizeOptions(c config.Config) (normalize.Options, error) {
	r, err := hostpath.New(c.HostRoot)
	if err != nil {
		return normalize.Options{}, err
	}
	return normalize.Options{CgroupV1: c.CgroupV1(), Resolve: r.Resolve}, nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("dood-guard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// validConfig validates c (injecting defaults) and, when it is invalid, says
// why on stderr in the one format every command uses.
func validConfig(cmd string, c *config.Config, stderr io.Writer) bool {
	if err := c.Validate(); err != nil {
		fmt.Fprintf(stderr, "dood-guard %s: invalid configuration:\n%v\n", cmd, err)
		return false
	}
	return true
}

// Exit codes every command uses (documented in the usage text and README).
const (
	exitOK    = 0 // done, nothing found
	exitError = 1 // could not do it
	exitUsage = 2 // bad flags, arguments or configuration
	exitFound = 3 // done, and something was refused or found
)

// parseArgs parses args with fs and checks the number of positional
// arguments against maxArgs (-1: any number). done is true when the
// command should exit now with code: -h and --help print the usage and exit
// 0; a bad flag or a stray argument is a usage error (2).
func parseArgs(fs *flag.FlagSet, args []string, maxArgs int) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	if maxArgs >= 0 && fs.NArg() > maxArgs {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(maxArgs))
		fs.Usage()
		return exitUsage, true
	}
	return exitOK, false
}
