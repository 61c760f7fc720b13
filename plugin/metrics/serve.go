package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Listen opens the metrics listener: network "unix" or "tcp" (from
// config.MetricsListenAddr). A unix socket left by a crash is replaced; one
// another process serves is not. The socket is made 0660: the metrics say
// which requests the guard refuses, and that is no one else's business.
func Listen(network, addr string) (net.Listener, error) {
	if network != "unix" {
		l, err := net.Listen(network, addr)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		return l, nil
	}
	if err := os.MkdirAll(filepath.Dir(addr), 0o755); err != nil {
		return nil, fmt.Errorf("metrics socket directory: %w", err)
	}
	if _, err := os.Lstat(addr); err == nil {
		if c, err := net.Dial("unix", addr); err == nil {
			c.Close()
			return nil, fmt.Errorf("metrics socket %s is in use by another process", addr)
		}
		if err := os.Remove(addr); err != nil {
			return nil, fmt.Errorf("remove stale metrics socket: %w", err)
		}
	}
	l, err := net.Listen("unix", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := os.Chmod(addr, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("metrics socket permissions: %w", err)
	}
	return l, nil
}

// Handler serves the registry at /metrics.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return mux
}

// Serve serves the metrics on l until ctx is done; a unix socket is
// removed then.
func (m *Metrics) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
