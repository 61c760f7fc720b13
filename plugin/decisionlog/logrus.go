package decisionlog

import (
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/sirupsen/logrus"
)

// Logrus writes decisions through a logrus logger: for --log-format text,
// and wherever the logger's hooks or formatter must see them.
type Logrus struct {
	log    logrus.FieldLogger
	filter Filter
}

// NewLogrus returns a sink logging the decisions filter lets through to log.
func NewLogrus(log logrus.FieldLogger, filter Filter) *Logrus {
	return &Logrus{log: log, filter: filter}
}

// Log writes r if the filter wants it.
func (l *Logrus) Log(r Record) {
	if !l.filter.wants(r) {
		return
	}
	f := logrus.Fields{
		logfields.Phase:      r.Phase,
		logfields.Method:     r.Method,
		logfields.Path:       r.Path,
		logfields.Endpoint:   r.Endpoint,
		logfields.APIVersion: r.APIVersion,
		logfields.User:       r.User,
		logfields.AuthMethod: r.AuthMethod,
		logfields.EvalMicros: r.EvalMicros,
	}
	if len(r.WouldDeny) > 0 {
		f[logfields.WouldDeny] = r.WouldDeny
	}
	if r.Enforcement != "" {
		f[logfields.Enforcement] = r.Enforcement
	}
	if r.Denied {
		f[logfields.Decision] = logfields.Deny
		f[logfields.RuleIDs] = r.RuleIDs
		l.log.WithFields(f).Warn(msgDenied)
		return
	}
	f[logfields.Decision] = logfields.Allow
	l.log.WithFields(f).Info(msgAllowed)
}

const (
	msgAllowed = "request allowed"
	msgDenied  = "request denied"
)
