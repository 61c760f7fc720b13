package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/plugin/reload"
	"github.com/sirupsen/logrus"
)

// guardSetup is everything that makes a running guard: the policy, its data
// and rules, the host facts, the daemon's state, the logs. serve (the
// plugin) and proxy (the socket front) bind the same flags and start the
// guard through the same function, so both judge with the same policy,
// data and rules, log the same lines and reload on the same signal by
// construction.
type guardSetup struct {
	Config config.Config
	State  stateConfig
	Fleet  fleetSetup // fleet.go
}

// guardFlags binds the flags of a serving guard.
func guardFlags(fs *flag.FlagSet, s *guardSetup) {
	fs.StringVar(&s.Config.LogFormat, "log-format", "json", "json or text")
	fs.StringVar(&s.Config.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&s.Config.LogDecisions, "log-decisions", "all", "all: log every decision; deny: log denials only")
	fs.StringVar(&s.Config.Enforcement, "enforcement", "enforce", "enforce, or dryrun: refuse nothing, log what would be refused (would_deny)")
	fs.StringVar(&s.Config.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at /metrics on host:port or unix:///path (default off)")
	fs.BoolVar(&s.Config.Watch, "watch", true, "reload the policy when its files change")
	policyFlags(fs, &s.Config)
	stateFlags(fs, &s.State)
	fleetFlags(fs, &s.Fleet)
}

// parseGuardFlags parses args (no arguments beside the flags), applies the
// environment and validates the configuration, saying on stderr what is
// wrong. done means the command ends with code (-h, or a usage error).
func parseGuardFlags(cmd string, fs *flag.FlagSet, args []string, s *guardSetup, stderr io.Writer) (code int, done bool) {
	if code, done := parseArgs(fs, args, 0); done {
		return code, true
	}
	if !configureFromEnv(fs, stderr) || !validConfig(cmd, &s.Config, stderr) {
		return exitUsage, true
	}
	if _, err := s.State.source(normalize.Options{}); err != nil {
		fmt.Fprintf(stderr, "dood-guard %s: invalid configuration:\n%v\n", cmd, err)
		return exitUsage, true
	}
	if err := s.Fleet.parse(s.Config); err != nil {
		fmt.Fprintf(stderr, "dood-guard %s: invalid configuration:\n%v\n", cmd, err)
		return exitUsage, true
	}
	return exitOK, false
}

// runningGuard is a started guard and what it was started from.
type runningGuard struct {
	*guard.Guard
	Policy *policy.Source
	// close writes the decision lines still buffered.
	close func()
}

// startGuard builds the guard and what keeps it current until ctx ends:
// its metrics, its decision log, the daemon's state followed from its
// events (with the start-up audit once the daemon answers), and the policy
// reloaded on SIGHUP and, with --watch, when its files change. Close the
// result at shutdown.
func startGuard(ctx context.Context, s guardSetup, log *logrus.Logger) (*runningGuard, error) {
	c := s.Config
	g, err := emptyGuard(c, log)
	if err != nil {
		return nil, err
	}
	m := newMetrics(c)
	g.SetMetrics(m)
	r := newReloader(c, g, m, log)
	src, err := r.Reload(ctx, reload.Start)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	if c.MetricsAddr != "" {
		if err := startMetrics(ctx, c, m, log); err != nil {
			return nil, err
		}
	}
	nopts, err := normalizeOptions(c)
	if err != nil {
		return nil, err
	}
	st, err := s.State.source(nopts)
	if err != nil {
		return nil, err
	}
	decisions, closeDecisions := decisionLog(c, log)
	f, err := startFleet(ctx, s.Fleet, r, m, log)
	if err != nil {
		closeDecisions()
		return nil, err
	}
	if up := f.Decisions(); up != nil {
		decisions = decisionlog.Tee(decisions, up)
	}
	closeAll := func() { f.Stop(); closeDecisions() }
	g.SetDecisionLog(decisions)
	g.SetState(st)
	go watchState(ctx, st, log,
		func() { learnDaemon(ctx, g, st, log) },
		func() { logAudit(ctx, g, st, c.CgroupV1(), log) })
	if s.Fleet.bundles() {
		// The policy comes from bundles: no local file to read again.
		go ignoreHUP(ctx, log)
	} else {
		go reloadOnHUP(ctx, r)
		if c.Watch {
			go watchPolicy(ctx, c, r, log)
		}
	}
	go remindDryRun(ctx, g, log)
	if f.Policy() != "" {
		src.Origin = f.Policy()
	}
	return &runningGuard{Guard: g, Policy: src, close: closeAll}, nil
}

// Close stops OPA's plugins (uploading the decisions they still buffer)
// and flushes the decision log.
func (r *runningGuard) Close() { r.close() }
