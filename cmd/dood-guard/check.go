//go:build !nocheck

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dood-guard/dood-guard/check"
	"github.com/dood-guard/dood-guard/check/compose"
	"github.com/dood-guard/dood-guard/check/dockercli"
	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/hostpath"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/moby/moby/client"
	"github.com/sirupsen/logrus"
)

const checkUsage = `usage: dood-guard check [flags] -- docker run|create|service create [docker flags] IMAGE [COMMAND]
       dood-guard check [flags] compose.yaml [more compose files]

Judges the requests a docker command line or a compose project would send,
with the same pipeline and policy as serve, before they reach a daemon.
Exit status: 0 nothing refused, 3 something refused, 1 could not check,
2 usage.

flags:
`

// check judges docker command lines and compose files offline (docs/check.md).
func checkCmd(args []string, stdout, stderr io.Writer) int {
	var c config.Config
	fs := newFlagSet("check", stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), checkUsage); fs.PrintDefaults() }
	policyFlags(fs, &c)
	format := fs.String("format", "text", "output format: text, json or sarif")
	apiVersion := fs.String("api-version", client.MaxAPIVersion, "API version the daemon is taken to speak; the docker CLI negotiates down to it")
	source := fs.String("source", "", "FILE[:LINE] where the docker command line is written (a CI file), for locations in the output")
	var copts compose.Options
	fs.StringVar(&copts.ProjectName, "project-name", "", "compose project name (default: as docker compose chooses it)")
	fs.Var((*multiFlag)(&copts.Profiles), "compose-profile", "compose profile to enable (repeatable)")
	fs.Var((*multiFlag)(&copts.EnvFiles), "env-file", "compose environment file (repeatable; default: .env beside the first compose file)")
	dashes := slices.Index(args, "--")
	own, cmdline := args, []string(nil)
	if dashes >= 0 {
		own, cmdline = args[:dashes], args[dashes+1:]
	}
	// Flags may follow the compose files, as in docker compose.
	var files []string
	for rest := own; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if !validConfig("check", &c, stderr) {
		return exitUsage
	}
	if !slices.Contains([]string{"text", "json", "sarif"}, *format) {
		fmt.Fprintf(stderr, "dood-guard check: --format %q: want text, json or sarif\n", *format)
		return exitUsage
	}
	switch {
	case *source != "" && dashes < 0:
		fmt.Fprintln(stderr, "dood-guard check: --source locates a docker command line; compose files locate themselves")
		return exitUsage
	case dashes >= 0 && len(files) > 0:
		fmt.Fprintf(stderr, "dood-guard check: give either compose files or -- and a docker command line, not both (stray %q)\n", files[0])
		return exitUsage
	case dashes >= 0 && len(cmdline) == 0:
		fmt.Fprintln(stderr, "dood-guard check: no docker command line after --")
		return exitUsage
	case dashes < 0 && len(files) == 0:
		fs.Usage()
		return exitUsage
	}

	ctx := context.Background()
	hostRootGiven := false
	fs.Visit(func(f *flag.Flag) { hostRootGiven = hostRootGiven || f.Name == "host-root" })
	g, err := checkGuard(ctx, c, hostRootGiven)
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard check: %v\n", err)
		return exitError
	}
	checker, err := check.New(g)
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard check: %v\n", err)
		return exitError
	}
	var items []check.Item
	if dashes >= 0 {
		items, err = check.FromCommandLine(ctx, cmdline, *apiVersion, sourceLocation(*source))
		if errors.Is(err, dockercli.ErrUsage) {
			fmt.Fprintf(stderr, "dood-guard check: %v\n", err)
			return exitUsage
		}
	} else {
		copts.APIVersion = *apiVersion
		items, err = compose.Items(ctx, files, copts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard check: %v\n", err)
		return exitError
	}
	rep := checker.Judge(ctx, items)
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "sarif":
		err = check.WriteSARIF(stdout, rep, version)
	default:
		err = check.WriteText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard check: %v\n", err)
		return exitError
	}
	if rep.Refused() {
		return exitFound
	}
	return exitOK
}

// checkGuard is serve's pipeline and policy without a daemon. Bind sources
// are judged as written unless --host-root says where the daemon's host
// file system is to be seen: the machine running check is usually not the
// one that will run the containers.
func checkGuard(ctx context.Context, c config.Config, resolve bool) (*guard.Guard, error) {
	src, err := policy.LoadOptions(policyOptions(c))
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	e, err := engine.New(ctx, src.Modules, src.Data)
	if err != nil {
		return nil, err
	}
	nopts := normalize.Options{CgroupV1: c.CgroupV1()}
	if resolve {
		r, err := hostpath.New(c.HostRoot)
		if err != nil {
			return nil, err
		}
		nopts.Resolve = r.Resolve
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	g := guard.New(guard.Options{DefaultAPIVersion: c.DefaultAPIVersion, AllowUnknownRoutes: c.AllowUnknownRoutes, Normalize: nopts}, log)
	g.SetEngine(e)
	return g, nil
}

// sourceLocation reads --source FILE[:LINE].
func sourceLocation(s string) check.Location {
	if s == "" {
		return check.Location{}
	}
	if i := strings.LastIndex(s, ":"); i > 0 {
		if n, err := strconv.Atoi(s[i+1:]); err == nil && n > 0 {
			return check.Location{File: s[:i], Line: n}
		}
	}
	return check.Location{File: s}
}
