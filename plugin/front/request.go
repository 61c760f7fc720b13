package front

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/docker/go-plugins-helpers/authorization"
)

// DefaultBodyLimit is the largest JSON body the front reads and judges: the
// limit of the newest engines (from 29.3.1 dockerd reads every JSON body
// ahead for its plugins and refuses one over 4 MiB itself). Older engines
// hand a plugin no body of 1 MiB or more; the front, reading the body
// itself, has no reason to be that blind. A larger JSON body is refused
// outright: none reaches the daemon unjudged.
const DefaultBodyLimit = 4 << 20

// errBodyTooLarge says a JSON body reached the limit.
var errBodyTooLarge = errors.New("request body too large")

// authzRequest builds what dockerd's authorization middleware would hand a
// plugin for r (pkg/authorization: Ctx.AuthZRequest): the raw request
// target, the headers flattened with the last value winning and the
// credentials left out, the body only when dockerd would forward it, and
// the TLS peer's common name as the user. The body returned is the one to
// forward: when dockerd would forward it to a plugin, it has been read in
// full and is exactly what the guard judges; otherwise it is nil and the
// request's own body streams to the daemon unjudged, as it would reach the
// handler unjudged behind a plugin.
func authzRequest(r *http.Request, limit int64) (authorization.Request, []byte, error) {
	req := baseRequest(r)
	req.RequestHeaders = flatten(r.Header)
	if !sendBody(r.RequestURI, r.Header) {
		return req, nil, nil
	}
	// Chunked or not: the body is read here and judged, never passed on
	// blind.
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return req, nil, fmt.Errorf("read request body: %w", err)
	}
	if int64(len(body)) > limit {
		return req, nil, errBodyTooLarge
	}
	req.RequestBody = body
	return req, body, nil
}

// baseRequest is who asks for what: the method, the raw target and, on
// TLS, the peer (dockerd's middleware: the first certificate's common name
// is the user, "TLS" the method).
func baseRequest(r *http.Request) authorization.Request {
	req := authorization.Request{RequestMethod: r.Method, RequestURI: r.RequestURI}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		req.User = r.TLS.PeerCertificates[0].Subject.CommonName
		req.UserAuthNMethod = "TLS"
		for _, c := range r.TLS.PeerCertificates {
			pc := authorization.PeerCertificate(*c)
			req.RequestPeerCertificates = append(req.RequestPeerCertificates, &pc)
		}
	}
	return req
}

// authPath is dockerd's test for the login endpoint, whose body (the
// registry credentials) is never handed to a plugin.
var authPath = regexp.MustCompile(`^[^/]*/(v\d[\d.]*/)?auth.*`)

// sendBody is dockerd's rule for forwarding a body to a plugin: the target
// parses, is not /auth, and the first Content-Type header's media type is
// application/json (parameters and case aside). The daemon's handlers test
// the same first value, so a body the guard does not see is one they do not
// read as JSON either.
func sendBody(target string, h http.Header) bool {
	u, err := url.Parse(target)
	if err != nil || authPath.MatchString(u.Path) {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// flatten is dockerd's header map for a plugin: one value per name, the
// last one given, without Authorization and the X-Registry-* credentials.
func flatten(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		switch {
		case strings.EqualFold(k, "Authorization"),
			strings.EqualFold(k, "X-Registry-Auth"),
			strings.EqualFold(k, "X-Registry-Config"):
			continue
		}
		for _, v := range vs {
			m[k] = v
		}
	}
	return m
}
