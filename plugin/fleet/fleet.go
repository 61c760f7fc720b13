// Package fleet runs OPA's own management plugins for the guard (serve
// --config, docs/fleet.md): bundles downloaded, verified, activated and
// persisted by OPA's bundle plugin and swapped into the guard as a reload
// is; decision logs uploaded by OPA's decision-log plugin; status reported
// by its status plugin. The guard reimplements none of it: it gives OPA's
// plugin manager (through OPA's SDK) a store that installs each activated
// bundle in the guard, or refuses it (gate.go), and hands it every
// decision (upload.go).
package fleet

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/open-policy-agent/opa/v1/plugins/bundle"
	"github.com/open-policy-agent/opa/v1/plugins/logs"
	"github.com/open-policy-agent/opa/v1/sdk"
	"github.com/sirupsen/logrus"
)

// Options say how to run the plugins.
type Options struct {
	Config *Config
	// ID names this guard to the servers (OPA's labels.id); empty: a
	// random one per start, as OPA's.
	ID string
	// Install makes the guard serve a bundle's policy, or says why not
	// (reload.Reloader.InstallSource): serialised with every other load,
	// counted, the last good policy kept.
	Install func(ctx context.Context, src *policy.Source) error
	Log     *logrus.Logger
	Metrics *metrics.Metrics // nil: not counted
}

// Fleet is OPA's plugin manager running for the guard.
type Fleet struct {
	opa     *sdk.OPA
	uploads decisionlog.Sink
}

// Start starts OPA's plugins. It returns once any bundle persisted by an
// earlier run has been activated — and, unless the guard refused it, is
// serving — and the downloads have started: the guard never waits for a
// bundle server before it serves. A server that is down, slow or serves
// something the guard or OPA refuses leaves the current policy serving.
func Start(ctx context.Context, o Options) (*Fleet, error) {
	log := o.Log.WithField("component", "opa")
	g := newGate(o.Install)
	l := newOPALogger(log, o.Log.GetLevel())
	opa, err := sdk.New(ctx, sdk.Options{
		ID:            o.ID,
		Config:        bytes.NewReader(o.Config.Raw),
		Logger:        l,
		ConsoleLogger: l,
		Ready:         make(chan struct{}), // do not wait for the first download
		Store:         g,
		V1Compatible:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("start OPA's plugins: %w", err)
	}
	f := &Fleet{opa: opa}
	if p, ok := opa.Plugin(bundle.Name).(*bundle.Plugin); ok && p != nil {
		// Registered once the downloads have started: a first download
		// that completes before this line is not counted (it is logged,
		// and an activation is counted as a policy load all the same).
		p.Register("dood-guard", bundleStatus(o.Metrics))
	}
	if o.Config.DecisionLogs {
		p, ok := opa.Plugin(logs.Name).(*logs.Plugin)
		if !ok || p == nil {
			opa.Stop(ctx)
			return nil, fmt.Errorf("decision_logs is configured but OPA's decision-log plugin did not start")
		}
		f.uploads = &upload{logs: p, log: log, bundles: &g.revisions}
	}
	return f, nil
}

// Decisions is the sink that uploads decisions; nil when decision_logs
// uploads nothing.
func (f *Fleet) Decisions() decisionlog.Sink { return f.uploads }

// Stop stops the plugins, uploading the decisions still buffered (OPA's
// graceful shutdown).
func (f *Fleet) Stop(ctx context.Context) { f.opa.Stop(ctx) }

// bundleStatus counts each download attempt OPA's bundle plugin reports.
// (OPA logs the failures itself; a bundle the guard refused is also logged
// and counted as a failed policy load with trigger "bundle".)
func bundleStatus(m *metrics.Metrics) func(bundle.Status) {
	var mu sync.Mutex
	last := map[string]time.Time{}
	return func(s bundle.Status) {
		mu.Lock()
		defer mu.Unlock()
		result := metrics.BundleUnchanged
		switch {
		case s.Code != "" || s.Message != "" || len(s.Errors) > 0:
			result = metrics.BundleFailed
		case s.LastSuccessfulActivation.After(last[s.Name]):
			result = metrics.BundleActivated
			last[s.Name] = s.LastSuccessfulActivation
		}
		m.BundleUpdate(s.Name, result, s.LastSuccessfulActivation)
	}
}
