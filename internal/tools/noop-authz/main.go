// Command noop-authz is a Docker authorization plugin that allows every
// request and does nothing else: the floor any authorization plugin costs
// (dockerd's two plugin round trips per API call and the go-plugins-helpers
// handler). scripts/bench.sh measures dood-guard against it.
//
//	noop-authz --socket /run/docker/plugins/NAME.sock
//
// GET /noop/counts on the same socket answers {"req":N,"res":M}, the calls
// dockerd made: how the benchmark knows the daemon is using the plugin.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/docker/go-plugins-helpers/authorization"
)

type noop struct{ req, res atomic.Int64 }

func (n *noop) AuthZReq(authorization.Request) authorization.Response {
	n.req.Add(1)
	return authorization.Response{Allow: true}
}

func (n *noop) AuthZRes(authorization.Request) authorization.Response {
	n.res.Add(1)
	return authorization.Response{Allow: true}
}

func main() {
	socket := flag.String("socket", "", "unix socket to serve on (dockerd finds /run/docker/plugins/NAME.sock)")
	flag.Parse()
	if *socket == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: noop-authz --socket PATH")
		os.Exit(2)
	}
	if err := run(*socket); err != nil {
		fmt.Fprintln(os.Stderr, "noop-authz:", err)
		os.Exit(1)
	}
}

func run(socket string) error {
	if c, err := net.Dial("unix", socket); err == nil {
		c.Close()
		return fmt.Errorf("%s is in use", socket)
	}
	os.Remove(socket) // a stale socket left by a crash
	l, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	defer os.Remove(socket)
	p := &noop{}
	h := authorization.NewHandler(p)
	h.HandleFunc("/noop/counts", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]int64{"req": p.req.Load(), "res": p.res.Load()})
	})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sig; l.Close() }()
	if err := h.Serve(l); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
