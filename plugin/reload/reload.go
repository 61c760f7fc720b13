// Package reload swaps the guard's policy while it serves: on SIGHUP, and
// when the policy, data or rules files change on disk (watch.go). A load
// that fails leaves the last good policy serving — a typo must neither
// open the door nor lock every socket caller out — and is logged and
// counted.
package reload

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/sirupsen/logrus"
)

// Triggers of a load, for logs and metrics.
const (
	Start  = "start"
	SIGHUP = "sighup"
	Watch  = "watch"
	// Bundle is an OPA bundle activated by the plugin manager
	// (plugin/fleet): the source comes from the bundle, not from Load.
	Bundle = "bundle"
)

// Reloader loads the policy and installs it. Safe for concurrent use:
// loads are serialised, so a signal and a file change never race.
type Reloader struct {
	// Load reads the policy sources (policy.LoadOptions).
	Load func() (*policy.Source, error)
	// Install compiles src and makes the guard serve it.
	Install func(ctx context.Context, src *policy.Source) error
	Log     logrus.FieldLogger
	Metrics *metrics.Metrics // nil: not counted

	mu   sync.Mutex
	last [sha256.Size]byte // digest of the source serving now
	have bool
}

// Reload loads and installs the policy. A load triggered by a file change
// that finds the same sources as the policy serving now does nothing: the
// watcher hears of every change in the directories it watches, and the
// remembered outcomes are worth keeping. A signal always reloads.
func (r *Reloader) Reload(ctx context.Context, trigger string) (*policy.Source, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	src, err := r.Load()
	if err != nil {
		return nil, r.done(trigger, nil, err, now)
	}
	return src, r.install(ctx, trigger, src, now)
}

// InstallSource installs a source loaded elsewhere (an activated bundle)
// as Reload installs what Load returns: serialised with every other load,
// counted, the last good policy kept when it fails. The same source as the
// policy serving now is not installed again (a bundle re-activated with
// the same contents keeps the remembered outcomes).
func (r *Reloader) InstallSource(ctx context.Context, trigger string, src *policy.Source) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.install(ctx, trigger, src, time.Now())
}

func (r *Reloader) install(ctx context.Context, trigger string, src *policy.Source, now time.Time) error {
	sum := Digest(src)
	if (trigger == Watch || trigger == Bundle) && r.have && sum == r.last {
		r.Log.WithFields(logrus.Fields{logfields.Trigger: trigger, logfields.Policy: src.Origin}).Debug("the policy did not change; nothing to reload")
		return nil
	}
	err := r.Install(ctx, src)
	if err == nil {
		r.last, r.have = sum, true
	}
	return r.done(trigger, src, err, now)
}

// done logs and counts a load.
func (r *Reloader) done(trigger string, src *policy.Source, err error, now time.Time) error {
	r.Metrics.PolicyLoad(trigger, err, now)
	if err != nil {
		if trigger != Start {
			r.Log.WithError(err).WithField(logfields.Trigger, trigger).Error("policy reload failed; keeping the last good policy")
		}
		return err
	}
	for _, w := range policy.RuleIDWarnings(src, verdict.PipelineIDs) {
		r.Log.WithField(logfields.Policy, src.Origin).Warn(w)
	}
	if trigger != Start {
		r.Log.WithFields(logrus.Fields{logfields.Policy: src.Origin, logfields.Trigger: trigger}).Info("policy reloaded")
	}
	return nil
}

// Digest identifies a policy source: its modules by name and its data.
func Digest(src *policy.Source) [sha256.Size]byte {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(src.Modules)) {
		fmt.Fprintf(h, "%d:%s%d:%s", len(name), name, len(src.Modules[name]), src.Modules[name])
	}
	// encoding/json sorts map keys: the same data always encodes the same.
	b, _ := json.Marshal(src.Data)
	h.Write(b)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
