package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/dood-guard/dood-guard/plugin/front"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/sirupsen/logrus"
)

// proxyConfig is where the socket front listens, beside the guard's own
// configuration (guardSetup), which it shares with serve.
type proxyConfig struct {
	Socket    string
	TCP       string
	TLSCert   string
	TLSKey    string
	TLSCA     string
	Name      string
	FrontsDir string
}

func (p proxyConfig) validate() error {
	var errs []error
	if p.Socket == "" && p.TCP == "" {
		errs = append(errs, errors.New("--socket or --tcp: the front needs somewhere to listen"))
	}
	if p.Socket != "" && !filepath.IsAbs(p.Socket) {
		errs = append(errs, fmt.Errorf("socket %q: must be an absolute path", p.Socket))
	}
	if p.TCP != "" {
		if _, _, err := net.SplitHostPort(p.TCP); err != nil {
			errs = append(errs, fmt.Errorf("tcp %q: %w", p.TCP, err))
		}
		if p.TLSCert == "" || p.TLSKey == "" || p.TLSCA == "" {
			errs = append(errs, errors.New("--tcp needs --tls-cert, --tls-key and --tls-ca: a TCP front requires client certificates"))
		}
	} else if p.TLSCert != "" || p.TLSKey != "" || p.TLSCA != "" {
		errs = append(errs, errors.New("--tls-cert, --tls-key and --tls-ca apply to --tcp only"))
	}
	if p.Name == "" {
		errs = append(errs, errors.New("name: must not be empty"))
	}
	if !filepath.IsAbs(p.FrontsDir) {
		errs = append(errs, fmt.Errorf("fronts-dir %q: must be an absolute path", p.FrontsDir))
	}
	return errors.Join(errs...)
}

// proxy serves the docker API on a socket of its own, in front of the
// daemon's: every request is judged by the same pipeline the plugin runs,
// and only what it allows reaches --docker-host.
func proxy(args []string, stderr io.Writer) int {
	var s guardSetup
	var p proxyConfig
	fs := newFlagSet("proxy", stderr)
	fs.StringVar(&p.Socket, "socket", "", "unix socket to serve the docker API on (mount it where clients expect /var/run/docker.sock)")
	fs.StringVar(&p.TCP, "tcp", "", "also serve on this TCP address (host:port), with TLS and required client certificates")
	fs.StringVar(&p.TLSCert, "tls-cert", "", "the TCP front's certificate (PEM)")
	fs.StringVar(&p.TLSKey, "tls-key", "", "the TCP front's key (PEM)")
	fs.StringVar(&p.TLSCA, "tls-ca", "", "CA certificates (PEM) a client certificate must chain to; its common name becomes the request's user")
	fs.StringVar(&p.Name, "name", "dood-guard", "who denials name: \"authorization denied by NAME: ...\"")
	fs.StringVar(&p.FrontsDir, "fronts-dir", front.DefaultDir, "where the front records itself for `dood-guard audit`")
	guardFlags(fs, &s)
	if code, done := parseGuardFlags("proxy", fs, args, &s, stderr); done {
		return code
	}
	if err := p.validate(); err != nil {
		fmt.Fprintf(stderr, "dood-guard proxy: invalid configuration:\n%v\n", err)
		return exitUsage
	}
	log := newLogger(s.Config, stderr)
	if err := runProxy(s, p, log); err != nil {
		log.WithError(err).Error("dood-guard proxy stopped")
		return exitError
	}
	return exitOK
}

func runProxy(s guardSetup, p proxyConfig, log *logrus.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	upstream, err := state.SocketPath(s.State.DockerHost)
	if err != nil {
		return fmt.Errorf("--docker-host: %w", err)
	}
	g, err := startGuard(ctx, s, log)
	if err != nil {
		return err
	}
	defer g.Close()
	f, err := front.New(g.Guard, front.Options{Upstream: upstream, Name: p.Name}, log)
	if err != nil {
		return err
	}
	ls, err := proxyListeners(p)
	if err != nil {
		return err
	}
	if p.Socket != "" {
		defer os.Remove(p.Socket)
	}
	unregister, err := front.Register(p.FrontsDir, front.Info{
		PID: os.Getpid(), Name: p.Name, Socket: p.Socket, TCP: p.TCP, DockerHost: s.State.DockerHost,
		Policy: g.Policy.Origin, Version: version, Started: time.Now().UTC(),
	})
	if err != nil {
		closeAll(ls)
		return err
	}
	defer unregister()

	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errc <- f.Serve(l) }()
	}
	log.WithFields(logrus.Fields{logfields.Socket: p.Socket, logfields.TCP: p.TCP, logfields.DockerHost: s.State.DockerHost,
		logfields.Policy: g.Policy.Origin, logfields.Version: version, logfields.Enforcement: s.Config.Enforcement}).Info("dood-guard socket front serving")
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		closeAll(ls)
		return nil
	case err := <-errc:
		closeAll(ls)
		return fmt.Errorf("serve: %w", err)
	}
}

// proxyListeners opens the front's unix socket and its TLS listener.
func proxyListeners(p proxyConfig) ([]net.Listener, error) {
	var ls []net.Listener
	if p.Socket != "" {
		l, err := listen(p.Socket)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	if p.TCP != "" {
		cfg, err := proxyTLS(p)
		if err != nil {
			closeAll(ls)
			return nil, err
		}
		l, err := tls.Listen("tcp", p.TCP, cfg)
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("listen on %s: %w", p.TCP, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

func proxyTLS(p proxyConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(p.TLSCert, p.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	pem, err := os.ReadFile(p.TLSCA)
	if err != nil {
		return nil, fmt.Errorf("--tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", p.TLSCA)
	}
	return front.TLSConfig(cert, pool), nil
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}
