package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Bundle update results (dood_guard_bundle_updates_total).
const (
	BundleActivated = "activated"    // a new bundle was downloaded and the guard serves it
	BundleUnchanged = "not_modified" // the server had nothing new
	BundleFailed    = "failed"       // download, verification or activation failed: the current policy stays
)

// bundles are the metrics of OPA bundles (serve --config, docs/fleet.md).
// The bundle label takes the names configured under bundles: a bounded set.
type bundles struct {
	updates        *prometheus.CounterVec
	lastActivation *prometheus.GaugeVec
}

func (b *bundles) register(reg *prometheus.Registry) {
	b.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "bundle_updates_total",
		Help: "Bundle downloads by bundle and result (activated, not_modified, failed: the server was unreachable, slow or served a bundle that failed verification or validation, and the current policy stayed).",
	}, []string{"bundle", "result"})
	b.lastActivation = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "bundle_last_activation_timestamp_seconds",
		Help: "When each bundle was last activated (Unix time).",
	}, []string{"bundle"})
	reg.MustRegister(b.updates, b.lastActivation)
}

// BundleUpdate counts one download attempt of the named bundle; activated
// is when it was last activated (zero: never).
func (m *Metrics) BundleUpdate(name, result string, activated time.Time) {
	if m == nil {
		return
	}
	m.updates.WithLabelValues(name, result).Inc()
	if !activated.IsZero() {
		m.lastActivation.WithLabelValues(name).Set(float64(activated.UnixNano()) / 1e9)
	}
}

// BundleUpdates is dood_guard_bundle_updates_total, for tests.
func (m *Metrics) BundleUpdates() *prometheus.CounterVec { return m.updates }
