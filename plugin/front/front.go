// Package front is the socket front: an HTTP/1.1 server that stands where
// the docker socket was, hands every request to the same guard pipeline
// dockerd would consult as an authorization plugin — built exactly as
// dockerd builds a plugin's request — and forwards what is allowed to the
// daemon's own socket. A refused request never reaches the daemon.
//
// It exists for what a plugin is never shown: from Docker 29.2, HTTP/2
// gRPC requests on the socket go to BuildKit past every authorization
// check. The front speaks HTTP/1.1 only and refuses the rest.
package front

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/sirupsen/logrus"
)

// Guard is the pipeline the front consults: *guard.Guard.
type Guard interface {
	// AuthZReq judges (and logs) a request as a plugin's request phase.
	AuthZReq(authorization.Request) authorization.Response
	// AuthZRes is the response phase, after the daemon has answered.
	AuthZRes(authorization.Request) authorization.Response
	// Refuse denies (and logs) a request the front cannot hand the
	// pipeline as dockerd would.
	Refuse(authorization.Request, ...verdict.Violation) authorization.Response
}

// Options configure a front.
type Options struct {
	// Upstream is the daemon's unix socket.
	Upstream string
	// Name is who denials say refused: "authorization denied by NAME: ...".
	Name string
	// BodyLimit is the largest JSON body judged; a larger one is refused
	// unjudged (DefaultBodyLimit when 0).
	BodyLimit int64
}

// Front serves the docker API in front of a daemon. Use it as an
// http.Handler through Serve, which makes sure only HTTP/1.1 is spoken.
type Front struct {
	guard Guard
	opts  Options
	log   logrus.FieldLogger
}

// New returns a front for opts.Upstream, judged by g.
func New(g Guard, opts Options, log logrus.FieldLogger) (*Front, error) {
	if opts.Upstream == "" {
		return nil, errors.New("front: no upstream daemon socket")
	}
	if opts.Name == "" {
		opts.Name = "dood-guard"
	}
	if opts.BodyLimit == 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.BodyLimit < 0 {
		return nil, fmt.Errorf("front: body limit %d: must be positive", opts.BodyLimit)
	}
	return &Front{guard: g, opts: opts, log: log}, nil
}

// ServeHTTP judges one request and, when allowed, forwards it.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 {
		f.refuseHTTP2Preface(w, r)
		return
	}
	if h2cUpgrade(r) {
		f.writeDenial(w, f.guard.Refuse(baseRequest(r), http2Violation))
		return
	}
	req, body, err := authzRequest(r, f.opts.BodyLimit)
	switch {
	case errors.Is(err, errBodyTooLarge):
		f.writeDenial(w, f.guard.Refuse(req, verdict.New(verdict.BodyNotVisible, fmt.Sprintf(
			"the JSON request body is over %d bytes: the socket front judges JSON bodies up to that size and forwards none it has not judged: send a smaller JSON body",
			f.opts.BodyLimit), "")))
		return
	case err != nil:
		// The client went away mid-body: nothing was judged, nothing is sent.
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if res := f.guard.AuthZReq(req); !res.Allow {
		f.writeDenial(w, res)
		return
	}
	status, header := f.forward(w, r, body)
	// The response phase, as dockerd runs it after the handler: the guard
	// observes what the daemon did (state), it cannot undo it.
	req.ResponseStatusCode = status
	req.ResponseHeaders = flatten(header)
	f.guard.AuthZRes(req)
}

// Serve answers on l until l is closed, in HTTP/1.1 only: no HTTP/2 over
// TLS (ALPN offers http/1.1 alone) nor in cleartext (a preface reaches
// ServeHTTP, which refuses it).
func (f *Front) Serve(l net.Listener) error {
	var p http.Protocols
	p.SetHTTP1(true)
	srv := &http.Server{
		Handler:           f,
		Protocols:         &p,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          newErrorLog(f.log),
	}
	return srv.Serve(l)
}

// TLSConfig is the TLS listener's configuration for a front on TCP: client
// certificates signed by ca are required (their common name becomes the
// request's user, as dockerd makes it), and ALPN offers HTTP/1.1 alone.
func TLSConfig(cert tls.Certificate, ca *x509.CertPool) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca,
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
}
