package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/fleet"
	"github.com/dood-guard/dood-guard/plugin/policy"
)

// bundle builds the OPA bundle a fleet's guards download (docs/fleet.md):
// the policy (the embedded library, or --policy), a team's --rules and the
// data, loaded, validated and compiled exactly as serve loads them, so a
// bundle that would be refused on the hosts fails here, in the security
// team's CI.
func bundle(args []string, stdout, stderr io.Writer) int {
	var c config.Config
	var o fleet.BuildOptions
	var out string
	fs := newFlagSet("bundle", stderr)
	fs.Var((*multiFlag)(&c.PolicyPaths), "policy", "a .rego file or a directory of them (repeatable; default: the embedded library)")
	fs.Var((*multiFlag)(&c.RulesDirs), "rules", "a directory of a team's own rule packages (dood.rules.<name>), added beside the policy (repeatable)")
	fs.StringVar(&c.DataPath, "data", "", "JSON or YAML policy data, merged over the embedded defaults")
	fs.StringVar(&c.Profile, "profile", "", "policy profile written into the data: baseline or restricted")
	fs.StringVar(&out, "output", "", "the bundle file to write (.tar.gz; - for stdout)")
	fs.StringVar(&o.Revision, "revision", "", "the bundle's revision (in the manifest, the guards' logs and the decision events)")
	fs.StringVar(&o.SigningKey, "signing-key", "", "sign the bundle: a PEM private key file, or the secret of an HS* algorithm")
	fs.StringVar(&o.SigningAlg, "signing-alg", "RS256", "the signing algorithm (RS256, ES256, HS256, …)")
	fs.StringVar(&o.KeyID, "signing-key-id", "", "the keyid claim: the name of the key in the guards' configuration (keys.<id>) that verifies it")
	if code, done := parseArgs(fs, args, 0); done {
		return code
	}
	if out == "" {
		fmt.Fprintf(stderr, "dood-guard bundle: invalid configuration:\n--output: where to write the bundle is required\n")
		return exitUsage
	}
	if c.Profile != "" && !oneOfStr(c.Profile, config.Profiles) {
		fmt.Fprintf(stderr, "dood-guard bundle: invalid configuration:\nprofile %q: want %s\n", c.Profile, strings.Join(config.Profiles, " or "))
		return exitUsage
	}
	if err := writeBundle(c, o, out, stdout); err != nil {
		fmt.Fprintf(stderr, "dood-guard bundle: %v\n", err)
		return exitError
	}
	return exitOK
}

func oneOfStr(v string, list []string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func writeBundle(c config.Config, o fleet.BuildOptions, out string, stdout io.Writer) (err error) {
	src, err := policy.LoadOptions(policyOptions(c))
	if err != nil {
		return err
	}
	if _, err := engine.New(context.Background(), src.Modules, src.Data); err != nil {
		return err
	}
	modules, err := bundlePaths(src.Modules, c)
	if err != nil {
		return err
	}
	if out == "-" {
		return fleet.Build(stdout, modules, src.Data, o)
	}
	// Written beside the target and renamed: a server serving the file
	// never sees half a bundle.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".bundle-*.tar.gz")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := fleet.Build(tmp, modules, src.Data, o); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// bundlePaths names each module in the bundle by where it sits below the
// directory it was loaded from — policy/… for --policy, rules/<dir>/… for
// --rules, the library's own dood/… — not by the build machine's paths.
func bundlePaths(mods map[string]string, c config.Config) (map[string]string, error) {
	type root struct{ dir, prefix string }
	var roots []root
	for _, p := range c.PolicyPaths {
		roots = append(roots, root{filepath.Clean(p), "policy"})
	}
	for _, p := range c.RulesDirs {
		roots = append(roots, root{filepath.Clean(p), path.Join("rules", filepath.Base(filepath.Clean(p)))})
	}
	out := make(map[string]string, len(mods))
	for name, m := range mods {
		p := name // the embedded library: dood/…
		for _, r := range roots {
			if rel, err := filepath.Rel(r.dir, filepath.Clean(name)); err == nil && !strings.HasPrefix(rel, "..") {
				if rel == "." {
					rel = filepath.Base(name)
				}
				p = path.Join(r.prefix, filepath.ToSlash(rel))
				break
			}
		}
		if _, dup := out[p]; dup {
			return nil, errors.New("two modules would have the same path in the bundle: " + p)
		}
		out[p] = m
	}
	return out, nil
}
