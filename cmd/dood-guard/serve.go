package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/sirupsen/logrus"
)

func serve(args []string, stderr io.Writer) int {
	var s guardSetup
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&s.Config.Socket, "socket", config.DefaultSocket, "unix socket to serve the plugin protocol on")
	guardFlags(fs, &s)
	if code, done := parseGuardFlags("serve", fs, args, &s, stderr); done {
		return code
	}
	// A legacy plugin is in the daemon's chain under its socket's name.
	s.State.SelfNames = []string{strings.TrimSuffix(filepath.Base(s.Config.Socket), ".sock")}
	log := newLogger(s.Config, stderr)
	if err := runServe(s, log); err != nil {
		log.WithError(err).Error("dood-guard stopped")
		return 1
	}
	return 0
}

func newLogger(c config.Config, out io.Writer) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(out)
	if c.LogFormat == "text" {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	} else {
		log.SetFormatter(&logrus.JSONFormatter{})
	}
	lvl, _ := logrus.ParseLevel(c.LogLevel) // validated already
	log.SetLevel(lvl)
	return log
}

// decisionLog is where the decision lines go: what --log-decisions and
// --log-level let through. In JSON they bypass logrus, whose per-line cost
// was several times the decision's: the JSON sink writes the same bytes,
// batched, to the same writer. The writer is stderr, an *os.File, which
// serialises writes, so a batch and a logrus line never interleave; and
// every logrus line first flushes the batch, so the log stays in order.
// Call the returned func at shutdown to write what is still buffered.
func decisionLog(c config.Config, log *logrus.Logger) (decisionlog.Sink, func()) {
	f := decisionlog.DenialsOnly
	if c.LogDecisions == "all" {
		f = decisionlog.All
	}
	f = f.AtLevel(log.GetLevel())
	if c.LogFormat == "text" {
		return decisionlog.NewLogrus(log, f), func() {}
	}
	s := decisionlog.NewJSON(log.Out, decisionlog.JSONOptions{Filter: f, OnError: func(err error) {
		log.WithError(err).Error("writing decision lines failed; those lines are lost and later failures go unreported")
	}})
	log.AddHook(flushFirst{s})
	return s, func() { s.Close() }
}

// flushFirst writes the buffered decision lines before any other line.
type flushFirst struct{ s *decisionlog.JSON }

func (flushFirst) Levels() []logrus.Level     { return logrus.AllLevels }
func (h flushFirst) Fire(*logrus.Entry) error { h.s.Flush(); return nil }

// newGuard loads and compiles the configured policy. A policy that does not
// load is an error: the guard refuses to start rather than serve without one.
func newGuard(ctx context.Context, c config.Config, log logrus.FieldLogger) (*guard.Guard, *policy.Source, error) {
	src, err := policy.LoadOptions(policyOptions(c))
	if err != nil {
		return nil, nil, fmt.Errorf("load policy: %w", err)
	}
	g, err := emptyGuard(c, log)
	if err != nil {
		return nil, nil, err
	}
	if err := installPolicy(ctx, g, src); err != nil {
		return nil, nil, fmt.Errorf("load policy: %w", err)
	}
	return g, src, nil
}

// emptyGuard is a guard configured by c, with no policy yet.
func emptyGuard(c config.Config, log logrus.FieldLogger) (*guard.Guard, error) {
	nopts, err := normalizeOptions(c)
	if err != nil {
		return nil, err
	}
	return guard.New(guard.Options{
		DefaultAPIVersion:  c.DefaultAPIVersion,
		AllowUnknownRoutes: c.AllowUnknownRoutes,
		Normalize:          nopts,
		Enforcement:        enforce.Mode(c.Enforcement),
	}, log), nil
}

func runServe(s guardSetup, log *logrus.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	g, err := startGuard(ctx, s, log)
	if err != nil {
		return err
	}
	defer g.Close()
	socket := s.Config.Socket
	l, err := listen(socket)
	if err != nil {
		return err
	}
	defer os.Remove(socket)

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(l) }()
	log.WithFields(logrus.Fields{logfields.Socket: socket, logfields.Policy: g.Policy.Origin, logfields.Version: version,
		logfields.Enforcement: s.Config.Enforcement}).WithFields(versionFields(g.Versions())).Info("dood-guard serving")
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		l.Close()
		return nil
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// listen opens the plugin socket, replacing a stale one left by a crash but
// never one that another process still serves.
func listen(socket string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if _, err := os.Stat(socket); err == nil {
		if conn, err := net.Dial("unix", socket); err == nil {
			conn.Close()
			return nil, fmt.Errorf("socket %s is in use by another process", socket)
		}
		if err := os.Remove(socket); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("socket: %w", err)
	}
	l, err := net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if err := os.Chmod(socket, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket permissions: %w", err)
	}
	return l, nil
}
