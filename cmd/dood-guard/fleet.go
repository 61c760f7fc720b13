package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/fleet"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/plugin/reload"
	"github.com/sirupsen/logrus"
)

// A fleet's guards take their policy from OPA bundles and send their
// decisions to a collector, through OPA's own plugins (plugin/fleet,
// docs/fleet.md).

// fleetSetup is serve's (and proxy's) --config.
type fleetSetup struct {
	Path string
	cfg  *fleet.Config
}

func fleetFlags(fs *flag.FlagSet, f *fleetSetup) {
	fs.StringVar(&f.Path, "config", "", "OPA configuration (YAML or JSON): services, bundles, decision_logs, status, keys, persistence_directory (docs/fleet.md)")
}

// parse reads and validates the OPA configuration. With bundles, the
// policy comes from them: a local policy beside them would be a second
// source that a reload and a bundle would take turns replacing.
func (f *fleetSetup) parse(c config.Config) error {
	if f.Path == "" {
		return nil
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cfg, err := fleet.ParseConfig(b)
	if err != nil {
		return fmt.Errorf("config %s: %w", f.Path, err)
	}
	if len(cfg.Bundles) > 0 {
		var local []string
		for flag, set := range map[string]bool{
			"--policy": len(c.PolicyPaths) > 0, "--rules": len(c.RulesDirs) > 0, "--data": c.DataPath != "",
			"--profile": c.Profile != "", "--config-dir": c.ConfigDir != "",
		} {
			if set {
				local = append(local, flag)
			}
		}
		if len(local) > 0 {
			return fmt.Errorf("config %s: bundles give the policy and its data; %s would be a second source (put them in the bundle: dood-guard bundle)", f.Path, strings.Join(slices.Sorted(slices.Values(local)), ", "))
		}
	}
	f.cfg = cfg
	return nil
}

// bundles says the policy comes from bundles.
func (f fleetSetup) bundles() bool { return f.cfg != nil && len(f.cfg.Bundles) > 0 }

// fleetRun is OPA's plugin manager running for the guard; its methods do
// nothing on a guard without --config.
type fleetRun struct {
	f      *fleet.Fleet
	mu     sync.Mutex
	origin string // the bundle serving now, "" before one activates
}

// startFleet starts OPA's plugins: a bundle persisted by an earlier run is
// activated — and served, unless the guard refuses it — before this
// returns; downloads go on in the background, each activated bundle
// installed through r (as a reload: serialised, counted, last good kept).
func startFleet(ctx context.Context, s fleetSetup, r *reload.Reloader, m *metrics.Metrics, log *logrus.Logger) (*fleetRun, error) {
	run := &fleetRun{}
	if s.cfg == nil {
		return run, nil
	}
	f, err := fleet.Start(ctx, fleet.Options{
		Config: s.cfg,
		Install: func(ctx context.Context, src *policy.Source) error {
			if err := r.InstallSource(ctx, reload.Bundle, src); err != nil {
				return err
			}
			run.mu.Lock()
			run.origin = src.Origin
			run.mu.Unlock()
			return nil
		},
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	run.f = f
	if s.bundles() {
		fields := logrus.Fields{"bundles": s.cfg.Bundles, "persistence_directory": s.cfg.PersistenceDirectory}
		if p := run.Policy(); p != "" {
			log.WithFields(fields).WithField(logfields.Policy, p).Info("serving the bundle persisted by the last run until the servers answer")
		} else {
			log.WithFields(fields).Info("no bundle persisted: serving the embedded library until a bundle activates")
		}
	}
	return run, nil
}

// Policy names the bundle serving now; "" when none has activated.
func (r *fleetRun) Policy() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.origin
}

// Decisions uploads decisions; nil when nothing is uploaded.
func (r *fleetRun) Decisions() decisionlog.Sink {
	if r.f == nil {
		return nil
	}
	return r.f.Decisions()
}

// Stop stops OPA's plugins, giving the decision-log plugin a few seconds
// to upload what it buffers.
func (r *fleetRun) Stop() {
	if r.f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.f.Stop(ctx)
}

// ignoreHUP says why SIGHUP changes nothing when bundles give the policy
// (and keeps the signal from killing the guard).
func ignoreHUP(ctx context.Context, log logrus.FieldLogger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.WithField(logfields.Trigger, reload.SIGHUP).Warn("SIGHUP ignored: the policy comes from bundles (serve --config), which the guard polls itself")
		}
	}
}
