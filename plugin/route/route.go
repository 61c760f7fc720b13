// Package route maps the raw request target that dockerd hands to an
// authorization plugin (RequestUri) onto the API endpoint dockerd's router
// will actually run.
//
// The plugin must never reason about the raw string: dockerd's router
// (gorilla/mux) matches the percent-decoded path, accepts an optional
// "/v{version:[0-9.]+}" prefix on every route, lets "{name:.*}" span "/", and
// takes the first registered route that matches. Parse reproduces those rules
// so that "/v01.41/containers/%63reate" is seen as container.create, exactly
// as the daemon sees it.
package route

import (
	"errors"
	"net/url"
	"path"
	"strings"
)

// BodyKind says how the handler behind a route consumes the request body.
type BodyKind int

const (
	// BodyNone: the handler reads no request body.
	BodyNone BodyKind = iota
	// BodyJSON: the handler decodes a JSON body (container create, exec
	// create, volume create...).
	BodyJSON
	// BodyJSONOptional: the handler decodes a JSON body only when one is
	// sent (container start: HostConfig on API < 1.24; commit: Config).
	BodyJSONOptional
	// BodyStream: the handler consumes a non-JSON body or a hijacked
	// connection (build context, image load/import, archive PUT, plugin
	// create, attach, session, grpc); authz never sees its content.
	BodyStream
	// BodyJSONHidden: the handler decodes a JSON body that dockerd never
	// forwards to authz plugins (the credentials sent to POST /auth).
	BodyJSONHidden
)

func (k BodyKind) String() string {
	switch k {
	case BodyNone:
		return "none"
	case BodyJSON:
		return "json"
	case BodyJSONOptional:
		return "json-optional"
	case BodyStream:
		return "stream"
	case BodyJSONHidden:
		return "json-hidden"
	}
	return "unknown"
}

// AnyMethod is the Method of routes that dockerd registers without a method
// matcher (20.10's /debug routes): every request method reaches them.
const AnyMethod = "*"

// Route is one entry of the table that mirrors dockerd's router.
type Route struct {
	Method   string // GET, HEAD, POST, PUT, DELETE, OPTIONS or AnyMethod
	Template string // dockerd's template, e.g. "/containers/{name:.*}/json"
	Endpoint string // stable name "<object>.<action>", e.g. "container.inspect"
	Body     BodyKind
}

// Match is a request target as dockerd's router sees it.
type Match struct {
	Route      *Route            // nil when no route matches (unknown endpoint); points into the table: do not modify
	Endpoint   string            // Route.Endpoint, "" when unknown
	Path       string            // percent-decoded path without the version prefix
	APIVersion string            // the version from the prefix exactly as given ("01.41"), "" when absent
	Params     map[string]string // path parameters by name ("name", "id", ...); nil when none
	Query      map[string]string // percent-decoded; FIRST value of a repeated key; nil when empty

	// BodyWithheld reports that dockerd sends the plugin no request body for
	// this target whatever the Content-Type: 20.10 skips the body of every
	// RequestUri that ends in "/auth" (the query counts, so
	// "/containers/create?x=/auth" qualifies), newer daemons skip it when the
	// path looks like the /auth endpoint or url.Parse rejects the target.
	// A handler may still read that body.
	BodyWithheld bool
}

// Errors returned by Parse. They all mean dockerd would not run a handler
// for the target (or, for ErrTrailingSlash, that routing it is ambiguous
// enough to refuse); callers should deny.
var (
	ErrURI           = errors.New("route: request target does not parse")
	ErrUncleanPath   = errors.New("route: path is not clean (dockerd redirects it)")
	ErrTrailingSlash = errors.New("route: trailing slash")
	ErrQuery         = errors.New("route: query does not parse")
)

// Parse routes a raw RequestUri, origin-form ("/v1.41/containers/create?name=x")
// or absolute-form ("http://docker/v1.41/..."); scheme and host are ignored.
//
// It fails for targets dockerd never routes to a handler: a target
// net/http rejects, a path gorilla/mux redirects because it is not clean
// ("", "//", "/./", "..", anything not starting with "/"), and a query that
// net/http's ParseForm rejects (";" separators, bad escapes), which makes
// dockerd's form parsing fail the request.
//
// It also fails for a trailing "/" (except "/") unless the matched route's
// template itself ends in "/" ("/networks/"). mux does not redirect those;
// they reach a handler only through a greedy "{name:.*}" that then carries
// the slash ("DELETE /images/foo/" has name "foo/"). Refusing them is
// stricter than dockerd on purpose.
//
// An unknown route is not an error: Match.Route is nil.
func Parse(method, requestURI string) (Match, error) {
	u, err := requestURL(method, requestURI)
	if err != nil {
		return Match{}, ErrURI
	}
	p := u.Path
	if !isClean(p) {
		return Match{}, ErrUncleanPath
	}
	query, err := parseQuery(u.RawQuery)
	if err != nil {
		return Match{}, err
	}

	m := Match{Path: p, Query: query, BodyWithheld: bodyWithheld(requestURI, u)}
	version, rest, versioned := splitVersion(p)
	if versioned {
		m.APIVersion, m.Path = version, rest
	}
	if r, vars, prefixed := lookup(method, p, rest, versioned); r != nil {
		m.Route = r.route
		m.Endpoint = r.route.Endpoint
		if !prefixed {
			m.Path, m.APIVersion = p, ""
		}
		m.Params = vars
	}
	if len(p) > 1 && p[len(p)-1] == '/' &&
		(m.Route == nil || !strings.HasSuffix(m.Route.Template, "/")) {
		return Match{}, ErrTrailingSlash
	}
	return m, nil
}

// requestURL reads the target the way net/http's server does: with
// ParseRequestURI, not Parse, so a "#" is data, not a fragment; and a CONNECT
// target not starting with "/" as an authority, so "CONNECT docker/debug/vars"
// has the path "/debug/vars" (the /debug routes answer any method).
func requestURL(method, requestURI string) (*url.URL, error) {
	if method == "CONNECT" && !strings.HasPrefix(requestURI, "/") {
		return url.ParseRequestURI("http://" + requestURI)
	}
	return url.ParseRequestURI(requestURI)
}

// isClean mirrors gorilla/mux's cleanPath check: any path it would rewrite
// gets a 301 and never reaches a handler. mux keeps a trailing slash.
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}

// bodyWithheld reports whether any supported dockerd skips forwarding the
// request body to authz plugins for this target.
// parsed is requestURI as ParseRequestURI read it, with a clean path.
func bodyWithheld(requestURI string, parsed *url.URL) bool {
	// 20.10: strings.HasSuffix on the raw RequestUri.
	if strings.HasSuffix(requestURI, "/auth") {
		return true
	}
	// v25+: url.Parse and a regexp on the decoded path,
	// `^[^/]*/(v\d[\d.]*/)?auth`. url.Parse only reads the target
	// differently from ParseRequestURI when there is a fragment to split off
	// or a leading "//", which a clean path lacks.
	p := parsed.Path
	if strings.Contains(requestURI, "#") {
		u, err := url.Parse(requestURI)
		if err != nil {
			return true
		}
		p = u.Path
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return false
	}
	p = p[i+1:]
	if strings.HasPrefix(p, "auth") {
		return true
	}
	if len(p) < 2 || p[0] != 'v' || !isDigit(p[1]) {
		return false
	}
	j := 2
	for j < len(p) && (isDigit(p[j]) || p[j] == '.') {
		j++
	}
	return strings.HasPrefix(p[j:], "/auth")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
