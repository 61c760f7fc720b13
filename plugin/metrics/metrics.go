// Package metrics counts what the guard decides, for Prometheus: decisions
// by outcome, enforcement, rule and endpoint group, decision latency,
// policy loads, state lookups, remembered outcomes and build facts. Every
// label value comes from a bounded set — endpoint groups of the route
// table, rule IDs of the loaded policy — never from a raw request path.
//
// A nil *Metrics counts nothing, so the guard calls it unconditionally and
// pays nothing when --metrics-addr is off.
package metrics

import (
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every metric name.
const Namespace = "dood_guard"

// Label values.
const (
	Allow = "allow"
	Deny  = "deny"
	// Unknown is the endpoint group of requests to no known route.
	Unknown = "unknown"
)

// Build describes the binary, for dood_guard_build_info.
type Build struct {
	Version, Commit, OPA string
}

// Metrics are the guard's Prometheus metrics in a registry of their own.
type Metrics struct {
	reg *prometheus.Registry

	decisions  *prometheus.CounterVec
	violations *prometheus.CounterVec
	latency    prometheus.Histogram
	remembered prometheus.Counter
	lookups    *prometheus.CounterVec
	loads      *prometheus.CounterVec
	lastLoad   prometheus.Gauge
	dryRun     prometheus.Gauge
	dryRunIDs  prometheus.Gauge

	bundles // bundle.go
}

// New registers the metrics (and the Go and process collectors) in a new
// registry.
func New(b Build) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "decisions_total",
		Help: "AuthZ decisions by outcome (allow, deny), the enforcement that decided (enforce; dryrun when rules in dry-run objected and the request was let through, or the guard is wholly in dry-run) and endpoint group.",
	}, []string{"outcome", "enforcement", "endpoint_group"})
	m.violations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "rule_violations_total",
		Help: "Violations by rule ID, its enforcement (enforce: refused; dryrun: would have refused) and endpoint group.",
	}, []string{"rule_id", "enforcement", "endpoint_group"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "decision_duration_seconds",
		Help:    "Time to decide one AuthZ request, remembered outcomes included.",
		Buckets: prometheus.ExponentialBuckets(10e-6, 4, 9), // 10µs … 655ms
	})
	m.remembered = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Name: "remembered_outcomes_total",
		Help: "Decisions answered from the outcomes remembered for the current policy load.",
	})
	m.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "state_lookups_total",
		Help: "Reads of the daemon's state for requests pointing at existing objects, by result (ok, error).",
	}, []string{"result"})
	m.loads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "policy_loads_total",
		Help: "Policy loads by result (success, failure) and trigger (start, sighup, watch, bundle).",
	}, []string{"result", "trigger"})
	m.lastLoad = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "policy_last_success_timestamp_seconds",
		Help: "When the policy serving now was loaded (Unix time).",
	})
	m.dryRun = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "enforcement_dryrun",
		Help: "1 when the guard is wholly in dry-run: it refuses nothing.",
	})
	m.dryRunIDs = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "enforcement_dryrun_rules",
		Help: "Rules set to dry-run in data.guard.enforcement.",
	})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help:        "The dood-guard binary: version, commit, OPA and Go versions. Always 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "opa_version": b.OPA, "go_version": runtime.Version()},
	})
	info.Set(1)
	for _, c := range []prometheus.Collector{m.decisions, m.violations, m.latency, m.remembered, m.lookups, m.loads,
		m.lastLoad, m.dryRun, m.dryRunIDs, info, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	for _, r := range []string{"ok", "error"} {
		m.lookups.WithLabelValues(r)
	}
	m.bundles.register(m.reg)
	return m
}

// Registry is where the metrics are registered, for serving and tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Group is the endpoint group of a route name: "container" for
// "container.create", Unknown for no route.
func Group(endpoint string) string {
	if endpoint == "" {
		return Unknown
	}
	g, _, _ := strings.Cut(endpoint, ".")
	return g
}

// Decision counts one decision: its outcome, the enforcement that decided
// it, the rules that refused it (enforced) and those in dry-run that
// objected (wouldDeny), and how long it took.
func (m *Metrics) Decision(endpoint string, allowed bool, enforcement string, enforced, wouldDeny []string, took time.Duration) {
	if m == nil {
		return
	}
	g := Group(endpoint)
	outcome := Allow
	if !allowed {
		outcome = Deny
	}
	m.decisions.WithLabelValues(outcome, enforcement, g).Inc()
	for _, id := range enforced {
		m.violations.WithLabelValues(id, "enforce", g).Inc()
	}
	for _, id := range wouldDeny {
		m.violations.WithLabelValues(id, "dryrun", g).Inc()
	}
	m.latency.Observe(took.Seconds())
}

// Remembered counts a decision answered from memory.
func (m *Metrics) Remembered() {
	if m != nil {
		m.remembered.Inc()
	}
}

// StateLookup counts a read of the daemon's state; looked says that the
// request pointed at something (nothing is counted when it did not).
func (m *Metrics) StateLookup(looked bool, err error) {
	switch {
	case m == nil:
	case err != nil:
		m.lookups.WithLabelValues("error").Inc()
	case looked:
		m.lookups.WithLabelValues("ok").Inc()
	}
}

// PolicyLoad counts a policy load started by trigger; a good one sets the
// time of the last good load.
func (m *Metrics) PolicyLoad(trigger string, err error, at time.Time) {
	if m == nil {
		return
	}
	if err != nil {
		m.loads.WithLabelValues("failure", trigger).Inc()
		return
	}
	m.loads.WithLabelValues("success", trigger).Inc()
	m.lastLoad.Set(float64(at.UnixNano()) / 1e9)
}

// Enforcement records the enforcement of the policy serving now.
func (m *Metrics) Enforcement(whollyDryRun bool, dryRunRules int) {
	if m == nil {
		return
	}
	v := 0.0
	if whollyDryRun {
		v = 1
	}
	m.dryRun.Set(v)
	m.dryRunIDs.Set(float64(dryRunRules))
}
