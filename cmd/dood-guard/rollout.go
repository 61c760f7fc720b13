package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/plugin/reload"
	"github.com/dood-guard/dood-guard/plugin/state"
	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/sirupsen/logrus"
)

// What a platform team needs to turn the guard on across a fleet
// (docs/rollout.md): enforcement modes, metrics, and a policy that reloads
// itself when its files change.

// dryRunEvery is how often a guard wholly in dry-run says so again.
var dryRunEvery = 10 * time.Minute

// installPolicy compiles src and makes g serve it, with the per-rule
// enforcement its data sets.
func installPolicy(ctx context.Context, g *guard.Guard, src *policy.Source) error {
	rules, err := enforce.RulesFromData(src.Data)
	if err != nil {
		return err
	}
	e, err := engine.New(ctx, src.Modules, src.Data)
	if err != nil {
		return err
	}
	// The policy's table of state lookups must name kinds the state
	// source can read, or its rules would wait for state never fetched.
	if err := state.CheckKinds(e.Lookups()); err != nil {
		return err
	}
	g.Install(e, rules)
	return nil
}

// newReloader loads c's policy into g, counting loads in m and saying
// loudly what is not enforced.
func newReloader(c config.Config, g *guard.Guard, m *metrics.Metrics, log logrus.FieldLogger) *reload.Reloader {
	return &reload.Reloader{
		Load: func() (*policy.Source, error) { return policy.LoadOptions(policyOptions(c)) },
		Install: func(ctx context.Context, src *policy.Source) error {
			if err := installPolicy(ctx, g, src); err != nil {
				return err
			}
			enf := g.Enforcement()
			m.Enforcement(enf.WhollyDryRun(), len(enf.DryRunRules()))
			announceEnforcement(enf, log)
			return nil
		},
		Log:     log,
		Metrics: m,
	}
}

// announceEnforcement warns about everything that is not enforced.
func announceEnforcement(enf enforce.Policy, log logrus.FieldLogger) {
	switch {
	case enf.WhollyDryRun():
		log.WithField(logfields.Enforcement, enforce.DryRun).Warn("DRY-RUN: the guard refuses nothing; requests it would refuse are allowed and logged with would_deny")
	case enf.Default == enforce.DryRun:
		log.WithField(logfields.Enforcement, enforce.DryRun).Warn("DRY-RUN: the guard refuses only what data.guard.enforcement sets to enforce")
	}
	if ids := enf.DryRunRules(); len(ids) > 0 && !enf.WhollyDryRun() {
		log.WithField(logfields.DryRun, ids).Warn("rules in dry-run (data.guard.enforcement): requests they alone object to are allowed and logged with would_deny")
	}
}

// remindDryRun repeats the dry-run warning while the guard refuses nothing,
// so that a forgotten dry-run shows in any window of the log.
func remindDryRun(ctx context.Context, g *guard.Guard, log logrus.FieldLogger) {
	t := time.NewTicker(dryRunEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if g.Enforcement().WhollyDryRun() {
				log.WithField(logfields.Enforcement, enforce.DryRun).Warn("DRY-RUN: still refusing nothing (serve --enforcement dryrun)")
			}
		}
	}
}

// startMetrics serves m on c.MetricsAddr until ctx is done.
func startMetrics(ctx context.Context, c config.Config, m *metrics.Metrics, log logrus.FieldLogger) error {
	network, addr, err := config.MetricsListenAddr(c.MetricsAddr)
	if err != nil {
		return err
	}
	l, err := metrics.Listen(network, addr)
	if err != nil {
		return err
	}
	go func() {
		if err := m.Serve(ctx, l); err != nil {
			log.WithError(err).Error("serving metrics failed; they are no longer served")
		}
	}()
	log.WithField(logfields.Metrics, c.MetricsAddr).Info("serving metrics at /metrics")
	return nil
}

func newMetrics(c config.Config) *metrics.Metrics {
	if c.MetricsAddr == "" {
		return nil
	}
	return metrics.New(metrics.Build{Version: version, Commit: commit, OPA: opaversion.Version})
}

// reloadOnHUP reloads the policy on SIGHUP, always (a file change reloads
// only what changed).
func reloadOnHUP(ctx context.Context, r *reload.Reloader) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_, _ = r.Reload(ctx, reload.SIGHUP)
		}
	}
}

// watchPolicy reloads the policy when its files change.
func watchPolicy(ctx context.Context, c config.Config, r *reload.Reloader, log logrus.FieldLogger) {
	paths := policyOptions(c).WatchPaths()
	if len(paths) == 0 {
		return // the embedded policy and data: nothing on disk to watch
	}
	w := &reload.Watcher{Paths: paths, Log: log}
	log.WithField("paths", paths).Debug("watching the policy files")
	if err := w.Run(ctx, func() { _, _ = r.Reload(ctx, reload.Watch) }); err != nil {
		log.WithError(err).Error(fmt.Sprintf("watching the policy files failed; reload with SIGHUP (%v)", paths))
	}
}
