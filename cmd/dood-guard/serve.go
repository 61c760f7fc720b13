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
	"syscall"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/sirupsen/logrus"
)

func serve(args []string, stderr io.Writer) int {
	var c config.Config
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&c.Socket, "socket", config.DefaultSocket, "unix socket to serve the plugin protocol on")
	fs.StringVar(&c.LogFormat, "log-format", "json", "json or text")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogDecisions, "log-decisions", "all", "all: log every decision; deny: log denials only")
	policyFlags(fs, &c)
	var sc stateConfig
	stateFlags(fs, &sc)
	if code, done := parseArgs(fs, args, 0); done {
		return code
	}
	if !configureFromEnv(fs, stderr) {
		return 2
	}
	if !validConfig("serve", &c, stderr) {
		return 2
	}
	if _, err := sc.source(normalize.Options{}); err != nil {
		fmt.Fprintf(stderr, "dood-guard serve: invalid configuration:\n%v\n", err)
		return 2
	}
	log := newLogger(c, stderr)
	if err := runServe(c, sc, log); err != nil {
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
	e, err := engine.New(ctx, src.Modules, src.Data)
	if err != nil {
		return nil, nil, err
	}
	nopts, err := normalizeOptions(c)
	if err != nil {
		return nil, nil, err
	}
	g := guard.New(guard.Options{
		DefaultAPIVersion:  c.DefaultAPIVersion,
		AllowUnknownRoutes: c.AllowUnknownRoutes,
		Normalize:          nopts,
	}, log)
	g.SetEngine(e)
	return g, src, nil
}

func runServe(c config.Config, sc stateConfig, log *logrus.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	g, src, err := newGuard(ctx, c, log)
	if err != nil {
		return err
	}
	decisions, closeDecisions := decisionLog(c, log)
	defer closeDecisions()
	g.SetDecisionLog(decisions)
	nopts, err := normalizeOptions(c)
	if err != nil {
		return err
	}
	st, err := sc.source(nopts)
	if err != nil {
		return err
	}
	g.SetState(st)
	go watchState(ctx, st, log, func() { logAudit(ctx, g, st, c.CgroupV1(), log) })
	l, err := listen(c.Socket)
	if err != nil {
		return err
	}
	defer os.Remove(c.Socket)
	go reloadOnHUP(ctx, c, g, log)

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(l) }()
	log.WithFields(logrus.Fields{logfields.Socket: c.Socket, logfields.Policy: src.Origin, logfields.Version: version}).Info("dood-guard serving")
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		l.Close()
		return nil
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// reloadOnHUP recompiles the policy on SIGHUP. A policy that fails to load
// leaves the last good one serving: a typo must not open the door, and must
// not lock every socket caller out either.
func reloadOnHUP(ctx context.Context, c config.Config, g *guard.Guard, log logrus.FieldLogger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		src, err := policy.LoadOptions(policyOptions(c))
		if err != nil {
			log.WithError(err).Error("policy reload failed; keeping the last good policy")
			continue
		}
		e, err := engine.New(ctx, src.Modules, src.Data)
		if err != nil {
			log.WithError(err).Error("policy reload failed; keeping the last good policy")
			continue
		}
		g.SetEngine(e)
		log.WithField(logfields.Policy, src.Origin).Info("policy reloaded")
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
