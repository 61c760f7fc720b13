package route

import (
	"errors"
	"fmt"
	"math/rand"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func routeFor(t testing.TB, method, template string) *Route {
	t.Helper()
	for i := range routes {
		if routes[i].Method == method && routes[i].Template == template {
			return &routes[i]
		}
	}
	t.Fatalf("no route %s %s in the table", method, template)
	return nil
}

func TestParse(t *testing.T) {
	type want struct {
		method, template string // the route; "" for unknown
		path, version    string
		params, query    map[string]string
		withheld         bool
	}
	tests := []struct {
		name        string
		method, uri string
		want        want
	}{
		{"plain create", "POST", "/v1.41/containers/create?name=web",
			want{"POST", "/containers/create", "/containers/create", "1.41", nil, map[string]string{"name": "web"}, false}},
		{"percent-encoded path", "POST", "/v1.41/containers/%63reate",
			want{"POST", "/containers/create", "/containers/create", "1.41", nil, nil, false}},
		{"percent-encoded whole segment", "POST", "/%761.41/%63%6F%6E%74%61%69%6E%65%72%73/create",
			want{"POST", "/containers/create", "/containers/create", "1.41", nil, nil, false}},
		{"encoded slash in name", "GET", "/containers/a%2Fb/json",
			want{"GET", "/containers/{name:.*}/json", "/containers/a/b/json", "", map[string]string{"name": "a/b"}, nil, false}},
		{"greedy name spans slashes", "POST", "/containers/a/b/c/start",
			want{"POST", "/containers/{name:.*}/start", "/containers/a/b/c/start", "", map[string]string{"name": "a/b/c"}, nil, false}},
		{"greedy name takes the last suffix", "GET", "/containers/x/json/json",
			want{"GET", "/containers/{name:.*}/json", "/containers/x/json/json", "", map[string]string{"name": "x/json"}, nil, false}},
		{"exec start", "POST", "/v1.41/exec/abc/start",
			want{"POST", "/exec/{name:.*}/start", "/exec/abc/start", "1.41", map[string]string{"name": "abc"}, nil, false}},
		{"exec create is on the container", "POST", "/containers/c1/exec",
			want{"POST", "/containers/{name:.*}/exec", "/containers/c1/exec", "", map[string]string{"name": "c1"}, nil, false}},
		{"commit", "POST", "/v1.41/commit?container=c1&repo=r",
			want{"POST", "/commit", "/commit", "1.41", nil, map[string]string{"container": "c1", "repo": "r"}, false}},
		{"version prefix 1.12", "POST", "/v1.12/containers/c1/start",
			want{"POST", "/containers/{name:.*}/start", "/containers/c1/start", "1.12", map[string]string{"name": "c1"}, nil, false}},
		{"version prefix with leading zero", "GET", "/v01.41/containers/json",
			want{"GET", "/containers/json", "/containers/json", "01.41", nil, nil, false}},
		{"version prefix with three parts", "GET", "/v1.2.3/info",
			want{"GET", "/info", "/info", "1.2.3", nil, nil, false}},
		{"version prefix of dots only", "GET", "/v./info",
			want{"GET", "/info", "/info", ".", nil, nil, false}},
		{"no version prefix", "GET", "/info",
			want{"GET", "/info", "/info", "", nil, nil, false}},
		{"bare v is no prefix", "GET", "/v/info",
			want{path: "/v/info"}},
		{"v with letters is no prefix", "GET", "/vfoo/info",
			want{path: "/vfoo/info"}},
		{"two prefixes", "GET", "/v1.41/v1.41/info",
			want{path: "/v1.41/info", version: "1.41"}},
		{"unknown route keeps the prefix apart", "GET", "/v1.41/nope",
			want{path: "/nope", version: "1.41"}},
		{"prefix alone", "GET", "/v1.41",
			want{path: "/v1.41"}},
		{"options catch-all takes the prefix as a path", "OPTIONS", "/v1.41",
			want{"OPTIONS", "/{anyroute:.*}", "/v1.41", "", map[string]string{"anyroute": "v1.41"}, nil, false}},
		{"options catch-all", "OPTIONS", "/v1.41/containers/create",
			want{"OPTIONS", "/{anyroute:.*}", "/containers/create", "1.41", map[string]string{"anyroute": "containers/create"}, nil, false}},
		{"options on root", "OPTIONS", "/",
			want{"OPTIONS", "/{anyroute:.*}", "/", "", map[string]string{"anyroute": ""}, nil, false}},
		{"absolute URI", "POST", "http://docker/v1.41/containers/create?name=x",
			want{"POST", "/containers/create", "/containers/create", "1.41", nil, map[string]string{"name": "x"}, false}},
		{"absolute URI with any scheme and host", "POST", "ftp://evil.example:1/containers/create",
			want{"POST", "/containers/create", "/containers/create", "", nil, nil, false}},
		{"absolute URI without authority", "POST", "foo:/containers/create",
			want{"POST", "/containers/create", "/containers/create", "", nil, nil, false}},
		{"repeated query key first wins", "POST", "/containers/c1/kill?signal=TERM&signal=KILL",
			want{"POST", "/containers/{name:.*}/kill", "/containers/c1/kill", "", map[string]string{"name": "c1"}, map[string]string{"signal": "TERM"}, false}},
		{"encoded query", "POST", "/containers/create?na%6De=%2Fetc+x&empty=&flag",
			want{"POST", "/containers/create", "/containers/create", "", nil, map[string]string{"name": "/etc x", "empty": "", "flag": ""}, false}},
		{"empty query pairs", "GET", "/info?&&",
			want{"GET", "/info", "/info", "", nil, nil, false}},
		{"hash is data in the path", "GET", "/containers/a#b/json",
			want{"GET", "/containers/{name:.*}/json", "/containers/a#b/json", "", map[string]string{"name": "a#b"}, nil, false}},
		{"hash is data in the query", "POST", "/containers/c1/kill?signal=KILL#x",
			want{"POST", "/containers/{name:.*}/kill", "/containers/c1/kill", "", map[string]string{"name": "c1"}, map[string]string{"signal": "KILL#x"}, false}},
		{"uppercase path does not match", "POST", "/Containers/create",
			want{path: "/Containers/create"}},
		{"uppercase action does not match", "POST", "/containers/create/STOP",
			want{path: "/containers/create/STOP"}},
		{"lowercase method does not match", "post", "/containers/create",
			want{path: "/containers/create"}},
		{"GET route does not answer HEAD", "HEAD", "/containers/json",
			want{path: "/containers/json"}},
		{"HEAD on _ping", "HEAD", "/_ping",
			want{"HEAD", "/_ping", "/_ping", "", nil, nil, false}},
		{"HEAD on archive", "HEAD", "/v1.41/containers/c1/archive?path=/etc",
			want{"HEAD", "/containers/{name:.*}/archive", "/containers/c1/archive", "1.41", map[string]string{"name": "c1"}, map[string]string{"path": "/etc"}, false}},
		{"PUT archive", "PUT", "/containers/c1/archive?path=/",
			want{"PUT", "/containers/{name:.*}/archive", "/containers/c1/archive", "", map[string]string{"name": "c1"}, map[string]string{"path": "/"}, false}},
		{"unknown method", "PATCH", "/containers/c1/update",
			want{path: "/containers/c1/update"}},
		{"checkpoint delete wins over container delete", "DELETE", "/containers/c1/checkpoints/cp",
			want{"DELETE", "/containers/{name}/checkpoints/{checkpoint}", "/containers/c1/checkpoints/cp", "", map[string]string{"name": "c1", "checkpoint": "cp"}, nil, false}},
		{"checkpoint delete needs a one-segment name", "DELETE", "/containers/a/b/checkpoints/cp",
			want{"DELETE", "/containers/{name:.*}", "/containers/a/b/checkpoints/cp", "", map[string]string{"name": "a/b/checkpoints/cp"}, nil, false}},
		{"newline stops a greedy name", "GET", "/containers/a%0Ab/json",
			want{path: "/containers/a\nb/json"}},
		{"newline is fine in a segment variable", "GET", "/services/a%0Ab",
			want{"GET", "/services/{id}", "/services/a\nb", "", map[string]string{"id": "a\nb"}, nil, false}},
		{"segment variable stops at slash", "GET", "/services/a%2Fb",
			want{path: "/services/a/b"}},
		{"network list with trailing slash", "GET", "/v1.41/networks/",
			want{"GET", "/networks/", "/networks/", "1.41", nil, nil, false}},
		{"network inspect spans slashes", "GET", "/networks/a/b",
			want{"GET", "/networks/{id:.+}", "/networks/a/b", "", map[string]string{"id": "a/b"}, nil, false}},
		{"volume named like an action", "GET", "/volumes/create",
			want{"GET", "/volumes/{name:.*}", "/volumes/create", "", map[string]string{"name": "create"}, nil, false}},
		{"volume update", "PUT", "/v1.42/volumes/v1?version=3",
			want{"PUT", "/volumes/{name:.*}", "/volumes/v1", "1.42", map[string]string{"name": "v1"}, map[string]string{"version": "3"}, false}},
		{"debug on any method", "POST", "/debug/vars",
			want{AnyMethod, "/debug/vars", "/debug/vars", "", nil, nil, false}},
		{"debug pprof index", "GET", "/debug/pprof/",
			want{AnyMethod, "/debug/pprof/", "/debug/pprof/", "", nil, nil, false}},
		{"debug pprof literal beats lookup", "GET", "/v1.41/debug/pprof/profile?seconds=5",
			want{AnyMethod, "/debug/pprof/profile", "/debug/pprof/profile", "1.41", nil, map[string]string{"seconds": "5"}, false}},
		{"debug pprof lookup", "DELETE", "/debug/pprof/heap",
			want{AnyMethod, "/debug/pprof/{name}", "/debug/pprof/heap", "", map[string]string{"name": "heap"}, nil, false}},
		{"options catch-all beats debug", "OPTIONS", "/debug/vars",
			want{"OPTIONS", "/{anyroute:.*}", "/debug/vars", "", map[string]string{"anyroute": "debug/vars"}, nil, false}},
		{"CONNECT reads an authority", "CONNECT", "docker/debug/vars",
			want{AnyMethod, "/debug/vars", "/debug/vars", "", nil, nil, false}},
		{"CONNECT reaches only the debug routes", "CONNECT", "/containers/json",
			want{path: "/containers/json"}},
		{"auth", "POST", "/v1.41/auth",
			want{"POST", "/auth", "/auth", "1.41", nil, nil, true}},
		{"body withheld by an /auth suffix in the query", "POST", "/v1.41/containers/create?x=/auth",
			want{"POST", "/containers/create", "/containers/create", "1.41", nil, map[string]string{"x": "/auth"}, true}},
		{"body withheld by an /auth suffix in the name", "POST", "/containers/a/auth/start?x=/auth",
			want{"POST", "/containers/{name:.*}/start", "/containers/a/auth/start", "", map[string]string{"name": "a/auth"}, map[string]string{"x": "/auth"}, true}},
		{"encoded /auth suffix does not withhold", "POST", "/containers/create?x=%2Fauth",
			want{"POST", "/containers/create", "/containers/create", "", nil, map[string]string{"x": "/auth"}, false}},
		{"session", "POST", "/session",
			want{"POST", "/session", "/session", "", nil, nil, false}},
		{"grpc", "POST", "/v1.41/grpc",
			want{"POST", "/grpc", "/grpc", "1.41", nil, nil, false}},
		{"plugin named like privileges", "GET", "/plugins/privileges/json",
			want{"GET", "/plugins/{name:.*}/json", "/plugins/privileges/json", "", map[string]string{"name": "privileges"}, nil, false}},
		{"image save by name", "GET", "/images/busybox:latest/get",
			want{"GET", "/images/{name:.*}/get", "/images/busybox:latest/get", "", map[string]string{"name": "busybox:latest"}, nil, false}},
		{"image delete of a repository path", "DELETE", "/images/registry:5000/a/b:tag",
			want{"DELETE", "/images/{name:.*}", "/images/registry:5000/a/b:tag", "", map[string]string{"name": "registry:5000/a/b:tag"}, nil, false}},
		{"unicode name", "POST", "/containers/%C3%A9t%C3%A9/stop",
			want{"POST", "/containers/{name:.*}/stop", "/containers/été/stop", "", map[string]string{"name": "été"}, nil, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.method, tt.uri)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.method, tt.uri, err)
			}
			want := Match{
				Path:         tt.want.path,
				APIVersion:   tt.want.version,
				Params:       tt.want.params,
				Query:        tt.want.query,
				BodyWithheld: tt.want.withheld,
			}
			if tt.want.method != "" {
				want.Route = routeFor(t, tt.want.method, tt.want.template)
				want.Endpoint = want.Route.Endpoint
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q, %q) mismatch (-want +got):\n%s", tt.method, tt.uri, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name        string
		method, uri string
		want        error
	}{
		{"empty target", "GET", "", ErrURI},
		{"relative target", "GET", "containers/json", ErrURI},
		{"CONNECT to a bare authority", "CONNECT", "docker:2375", ErrUncleanPath},
		{"bad path escape", "GET", "/containers/%zz/json", ErrURI},
		{"control character", "GET", "/containers/a\x7fb/json", ErrURI},
		{"asterisk form", "OPTIONS", "*", ErrUncleanPath},
		{"absolute URI without path", "GET", "http://docker", ErrUncleanPath},
		{"absolute URI with only a query", "GET", "http://docker?x=1", ErrUncleanPath},
		{"double slash", "GET", "/v1.41//containers/json", ErrUncleanPath},
		{"double slash as empty name", "GET", "/containers//json", ErrUncleanPath},
		{"leading double slash", "GET", "//containers/json", ErrUncleanPath},
		{"dot segment", "GET", "/containers/./json", ErrUncleanPath},
		{"dot-dot segment", "POST", "/v1.41/images/../containers/create", ErrUncleanPath},
		{"trailing dot-dot", "GET", "/containers/x/..", ErrUncleanPath},
		{"encoded dot-dot", "POST", "/v1.41/containers/%2e%2e/containers/create", ErrUncleanPath},
		{"encoded dot-dot in a name", "DELETE", "/containers/a%2F..%2Fb", ErrUncleanPath},
		{"encoded double slash", "GET", "/containers/a%2F%2Fb/json", ErrUncleanPath},
		{"trailing slash on a fixed route", "GET", "/containers/json/", ErrTrailingSlash},
		{"trailing slash caught by a greedy name", "DELETE", "/images/busybox/", ErrTrailingSlash},
		{"trailing slash on an unknown route", "GET", "/nope/", ErrTrailingSlash},
		{"trailing slash after the prefix", "OPTIONS", "/v1.41/", ErrTrailingSlash},
		{"semicolon in query", "POST", "/containers/create?name=a;b", ErrQuery},
		{"semicolon separator", "POST", "/containers/c1/kill?signal=KILL;signal=TERM", ErrQuery},
		{"bad query escape", "POST", "/containers/create?name=%zz", ErrQuery},
		{"bad query key escape", "POST", "/containers/create?%zz=1", ErrQuery},
		{"bad escape after a good pair", "POST", "/containers/c1/kill?signal=KILL&x=%", ErrQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.method, tt.uri)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q, %q) error = %v, want %v", tt.method, tt.uri, err, tt.want)
			}
			if diff := cmp.Diff(Match{}, got); diff != "" {
				t.Errorf("Parse(%q, %q) returned a match with its error (-want +got):\n%s", tt.method, tt.uri, diff)
			}
		})
	}
}

// samplePath fills every variable of a template with "x".
func samplePath(template string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(template, '{')
		if open < 0 {
			b.WriteString(template)
			return b.String()
		}
		b.WriteString(template[:open])
		b.WriteString("x")
		template = template[strings.IndexByte(template, '}')+1:]
	}
}

// TestRoutesReachable catches a route masked by an earlier one.
func TestRoutesReachable(t *testing.T) {
	for _, r := range Routes() {
		method := r.Method
		if method == AnyMethod {
			method = "GET"
		}
		for _, prefix := range []string{"", "/v1.41"} {
			uri := prefix + samplePath(r.Template)
			got, err := Parse(method, uri)
			if err != nil {
				t.Errorf("Parse(%q, %q): %v", method, uri, err)
				continue
			}
			if got.Route == nil || got.Route.Method != r.Method || got.Route.Template != r.Template {
				t.Errorf("Parse(%q, %q) = %+v, want route %s %s", method, uri, got.Route, r.Method, r.Template)
			}
		}
	}
}

func TestRoutesTable(t *testing.T) {
	seen := map[string]bool{}
	endpoints := map[string]string{}
	for _, r := range Routes() {
		key := r.Method + " " + r.Template
		if seen[key] {
			t.Errorf("duplicate route %s", key)
		}
		seen[key] = true
		if r.Endpoint == "" || r.Endpoint != strings.ToLower(r.Endpoint) {
			t.Errorf("route %s: bad endpoint name %q", key, r.Endpoint)
		}
		if r.Body < BodyNone || r.Body > BodyJSONHidden {
			t.Errorf("route %s: bad body kind %d", key, r.Body)
		}
		endpoints[r.Endpoint] = key
	}
	if got, want := len(routes), 123; got != want {
		t.Errorf("len(routes) = %d, want %d (update this test and the package doc table together)", got, want)
	}
	r := Routes()
	r[0].Endpoint = "changed"
	if routes[0].Endpoint == "changed" {
		t.Error("Routes returned the table itself, not a copy")
	}
}

// muxRouter is an independent model of dockerd's router: every route
// compiled to a regexp the way gorilla/mux builds them, versioned form
// first, first match wins.
type muxRoute struct {
	route           *Route
	versioned, bare *regexp.Regexp
}

func muxRegexp(prefix, template string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	t := prefix + template
	for {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			b.WriteString(regexp.QuoteMeta(t))
			break
		}
		b.WriteString(regexp.QuoteMeta(t[:open]))
		end := strings.IndexByte(t, '}')
		name, pattern, ok := strings.Cut(t[open+1:end], ":")
		if !ok {
			pattern = "[^/]+"
		}
		fmt.Fprintf(&b, "(?P<%s>%s)", name, pattern)
		t = t[end+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

var muxRoutes = func() []muxRoute {
	var out []muxRoute
	for i := range routes {
		out = append(out, muxRoute{
			route:     &routes[i],
			versioned: muxRegexp("/v{version:[0-9.]+}", routes[i].Template),
			bare:      muxRegexp("", routes[i].Template),
		})
	}
	return out
}()

func muxMatch(method, p string) (*Route, map[string]string) {
	for _, mr := range muxRoutes {
		if mr.route.Method != method && mr.route.Method != AnyMethod {
			continue
		}
		for _, re := range []*regexp.Regexp{mr.versioned, mr.bare} {
			if m := re.FindStringSubmatch(p); m != nil {
				vars := map[string]string{}
				for i, n := range re.SubexpNames() {
					if n != "" {
						vars[n] = m[i]
					}
				}
				return mr.route, vars
			}
		}
	}
	return nil, nil
}

// checkAgainstMux compares a successful Parse with the regexp model.
func checkAgainstMux(t *testing.T, method, uri string, got Match) {
	t.Helper()
	target := uri
	if method == "CONNECT" && !strings.HasPrefix(uri, "/") {
		target = "http://" + uri // net/http reads it as an authority
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("Parse(%q, %q) succeeded on a target net/http rejects: %v", method, uri, err)
	}
	wantRoute, vars := muxMatch(method, u.Path)
	if got.Route != wantRoute {
		t.Fatalf("Parse(%q, %q).Route = %+v, mux model gives %+v", method, uri, got.Route, wantRoute)
	}
	if wantRoute == nil {
		return
	}
	version := vars["version"]
	delete(vars, "version")
	if len(vars) == 0 {
		vars = nil
	}
	if diff := cmp.Diff(vars, got.Params); diff != "" {
		t.Errorf("Parse(%q, %q).Params differ from the mux model (-want +got):\n%s", method, uri, diff)
	}
	if got.APIVersion != version {
		t.Errorf("Parse(%q, %q).APIVersion = %q, mux model gives %q", method, uri, got.APIVersion, version)
	}
	wantPath := u.Path
	if version != "" {
		wantPath = strings.TrimPrefix(u.Path, "/v"+version)
	}
	if got.Path != wantPath {
		t.Errorf("Parse(%q, %q).Path = %q, want %q", method, uri, got.Path, wantPath)
	}
}

// TestParseMatchesMuxModel throws generated paths at Parse and at the
// regexp model of mux.
func TestParseMatchesMuxModel(t *testing.T) {
	words := []string{
		"v1.41", "v01.41", "v1", "v.", "v", "vfoo", "v1.41x", "containers", "images",
		"networks", "volumes", "exec", "plugins", "services", "debug", "pprof", "json",
		"create", "start", "checkpoints", "archive", "attach", "ws", "auth", "_ping",
		"a", "b", "x\ny", "é", "\xff", "%", "#", " ", "", "..", ".", "prune", "get",
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"}
	rng := rand.New(rand.NewSource(1))
	matched := 0
	for range 200000 {
		n := 1 + rng.Intn(6)
		segs := make([]string, n)
		for i := range segs {
			segs[i] = words[rng.Intn(len(words))]
		}
		p := "/" + strings.Join(segs, "/")
		uri := (&url.URL{Path: p}).EscapedPath()
		method := methods[rng.Intn(len(methods))]
		got, err := Parse(method, uri)
		if err != nil {
			if errors.Is(err, ErrUncleanPath) && muxClean(p) != p {
				continue
			}
			if errors.Is(err, ErrTrailingSlash) && strings.HasSuffix(p, "/") {
				continue
			}
			t.Fatalf("Parse(%q, %q): %v", method, uri, err)
		}
		if muxClean(p) != p {
			t.Fatalf("Parse(%q, %q) accepted a path mux redirects", method, uri)
		}
		if got.Route != nil {
			matched++
		}
		checkAgainstMux(t, method, uri, got)
	}
	if matched < 1000 {
		t.Errorf("only %d generated paths matched a route; the generator is too weak", matched)
	}
}

// muxClean restates gorilla/mux's cleanPath.
func muxClean(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func TestQueryMatchesNetURL(t *testing.T) {
	parts := []string{"a", "b", "=", "&", ";", "%", "%2", "%41", "+", "%zz", "é", "x=1", "a=2", ""}
	rng := rand.New(rand.NewSource(2))
	for range 50000 {
		var b strings.Builder
		for range rng.Intn(6) {
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		raw := b.String()
		got, err := parseQuery(raw)
		want, werr := url.ParseQuery(raw)
		if (err != nil) != (werr != nil) {
			t.Fatalf("parseQuery(%q) error = %v, url.ParseQuery error = %v", raw, err, werr)
		}
		if err != nil {
			continue
		}
		var first map[string]string
		for k, v := range want {
			if first == nil {
				first = map[string]string{}
			}
			first[k] = v[0]
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Fatalf("parseQuery(%q) mismatch (-want +got):\n%s", raw, diff)
		}
	}
	if _, err := parseQuery(strings.Repeat("a=1&", maxQueryParams)); err == nil {
		t.Error("parseQuery accepted more than maxQueryParams pairs")
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.41", "1.41", 0},
		{"01.41", "1.41", 0},
		{"1.41.0", "1.41", 0},
		{"1.41.", "1.41", 0},
		{"1.9", "1.10", -1},
		{"1.24", "1.12", 1},
		{"1.23", "1.24", -1},
		{"2", "1.99", 1},
		{"1..41", "1.12", -1},
		{".", "1.12", -1},
		{"", "0", 0},
		{"1.x", "1.0", 0},
		{"1.-5", "1.0", -1},
		{"1.99999999999999999999", "1.41", 1},
		{"1.0000000000000000000024", "1.24", 0},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestBodyWithheld(t *testing.T) {
	tests := []struct {
		uri  string
		want bool
	}{
		{"/auth", true},
		{"/v1.41/auth", true},
		{"http://docker/v1.41/auth", true},
		{"/v1.41/auth?x=1", true}, // v25+: path check
		{"/authz", true},          // v25+: the regexp is not anchored at the end
		{"/v.41/auth", true},      // 20.10: raw suffix
		{"/v.41/auth?x", false},   // v25+ wants a digit after "v"
		{"/containers/create?a=/auth", true},
		{"/containers/create#/auth", true},
		{"/containers/create?a=b#%zz", true}, // url.Parse rejects the fragment
		{"/containers/create", false},
		{"/containers/auth/start", false},
		{"/containers/create?a=%2Fauth", false},
	}
	for _, tt := range tests {
		u, err := url.ParseRequestURI(tt.uri)
		if err != nil {
			t.Fatal(err)
		}
		if got := bodyWithheld(tt.uri, u); got != tt.want {
			t.Errorf("bodyWithheld(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("CONNECT", "docker/debug/vars")
	for _, s := range []string{
		"/v1.41/containers/create?name=x", "/containers/%63reate", "/containers/a%2Fb/json",
		"http://docker/v1.41/info", "/v01.41/_ping", "/v/info", "/networks/", "/debug/pprof/",
		"/containers/x/checkpoints/y", "/a?b=1&b=2", "/a?b;c", "//x", "/x/../y", "*", "",
		"/containers/a%0Ab/json", "/services/a%0A", "foo:/containers/create", "/v1.41",
	} {
		for _, m := range []string{"GET", "POST", "HEAD", "DELETE", "OPTIONS"} {
			f.Add(m, s)
		}
	}
	f.Fuzz(func(t *testing.T, method, uri string) {
		got, err := Parse(method, uri)
		if err != nil {
			return
		}
		if strings.Contains(got.Path, "//") {
			t.Errorf("Parse(%q, %q).Path = %q has //", method, uri, got.Path)
		}
		if got.Route == nil && got.Endpoint != "" || got.Route != nil && got.Endpoint != got.Route.Endpoint {
			t.Errorf("Parse(%q, %q): Endpoint %q does not match Route %+v", method, uri, got.Endpoint, got.Route)
		}
		checkAgainstMux(t, method, uri, got)
	})
}

func BenchmarkParse(b *testing.B) {
	uris := []struct{ method, uri string }{
		{"POST", "/v1.41/containers/create?name=web"},
		{"GET", "/v1.41/containers/0123456789ab/json"},
		{"POST", "/v1.41/exec/0123456789abcdef/start"},
		{"GET", "/_ping"},
		{"DELETE", "/v1.41/images/registry.example:5000/team/app:1.2"},
	}
	for _, u := range uris {
		b.Run(strings.TrimPrefix(u.method+u.uri, "/"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(u.method, u.uri); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
