// Package decisionlog writes the one line each AuthZ decision costs.
//
// dockerd asks the plugin about every API call, so this line is on the hot
// path of every call: the JSON sink builds it without logrus (whose
// per-entry maps, copies and write syscall cost more than the decision
// itself) yet byte for byte as logrus's JSONFormatter would, so whoever
// parses or alerts on the lines sees no change.
package decisionlog

import "github.com/sirupsen/logrus"

// Record is what a decision line reports. It never carries the request
// body: environment variables and secrets stay out of the log.
type Record struct {
	Phase      string
	Method     string
	Path       string
	Endpoint   string
	APIVersion string
	User       string
	AuthMethod string
	EvalMicros int64
	Denied     bool
	RuleIDs    []string // only reported on denials
	// WouldDeny are the rules in dry-run that objected (would_deny); not
	// reported when empty.
	WouldDeny []string
	// Enforcement is "dryrun" when dry-run decided the outcome (the
	// request was let through although rules objected, or the guard is
	// wholly in dry-run); not reported when empty.
	Enforcement string
}

// Sink receives every decision; it decides itself whether to write it.
type Sink interface {
	Log(Record)
}

// Filter says which decisions a sink writes.
type Filter struct {
	Allowed bool
	Denied  bool
}

var (
	// All is --log-decisions all.
	All = Filter{Allowed: true, Denied: true}
	// DenialsOnly is --log-decisions deny.
	DenialsOnly = Filter{Denied: true}
)

// AtLevel drops what a logrus logger at level would drop: allowed lines
// are logged at info, denials at warning.
func (f Filter) AtLevel(level logrus.Level) Filter {
	f.Allowed = f.Allowed && level >= logrus.InfoLevel
	f.Denied = f.Denied && level >= logrus.WarnLevel
	return f
}

func (f Filter) wants(r Record) bool {
	if r.Denied {
		return f.Denied
	}
	return f.Allowed
}
