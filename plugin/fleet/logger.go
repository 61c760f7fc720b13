package fleet

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/sirupsen/logrus"
)

// opaLogger writes the lines of OPA's plugins (bundle downloads and
// activations, decision-log uploads, status reports) to the guard's log.
type opaLogger struct {
	log   logrus.FieldLogger
	level logging.Level
}

func newOPALogger(log logrus.FieldLogger, level logrus.Level) *opaLogger {
	l := logging.Info
	switch {
	case level >= logrus.DebugLevel:
		l = logging.Debug
	case level <= logrus.ErrorLevel:
		l = logging.Error
	case level == logrus.WarnLevel:
		l = logging.Warn
	}
	return &opaLogger{log: log, level: l}
}

func (l *opaLogger) Debug(f string, a ...any) {
	if l.level >= logging.Debug {
		l.log.Debug(fmt.Sprintf(f, a...))
	}
}

func (l *opaLogger) Info(f string, a ...any) {
	if l.level >= logging.Info {
		l.log.Info(fmt.Sprintf(f, a...))
	}
}

func (l *opaLogger) Warn(f string, a ...any) {
	if l.level >= logging.Warn {
		l.log.Warn(fmt.Sprintf(f, a...))
	}
}

func (l *opaLogger) Error(f string, a ...any) { l.log.Error(fmt.Sprintf(f, a...)) }

func (l *opaLogger) WithFields(fields map[string]any) logging.Logger {
	return &opaLogger{log: l.log.WithFields(fields), level: l.level}
}

func (l *opaLogger) GetLevel() logging.Level      { return l.level }
func (l *opaLogger) SetLevel(level logging.Level) { l.level = level }
