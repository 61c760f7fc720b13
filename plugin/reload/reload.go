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
	if err == nil {
		sum := Digest(src)
		if trigger == Watch && r.have && sum == r.last {
			r.Log.WithField(logfields.Trigger, trigger).Debug("policy files changed but the policy did not; nothing to reload")
			return src, nil
		}
		if err = r.Install(ctx, src); err == nil {
			r.last, r.have = sum, true
		}
	}
	r.Metrics.PolicyLoad(trigger, err, now)
	if err != nil {
		if trigger != Start {
			r.Log.WithError(err).WithField(logfields.Trigger, trigger).Error("policy reload failed; keeping the last good policy")
		}
		return nil, err
	}
	for _, w := range policy.RuleIDWarnings(src, verdict.PipelineIDs) {
		r.Log.WithField(logfields.Policy, src.Origin).Warn(w)
	}
	if trigger != Start {
		r.Log.WithFields(logrus.Fields{logfields.Policy: src.Origin, logfields.Trigger: trigger}).Info("policy reloaded")
	}
	return src, nil
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
