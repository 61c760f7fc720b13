// Package capture is a stand-in Docker Engine API endpoint on a unix socket.
// A docker client pointed at it (docker/cli's own commands in process, or
// the real docker binary with -H) sends the requests it would send a
// daemon; the endpoint records them and executes nothing. It answers the
// calls a client makes before a create (ping, version, info, image,
// network, secret and config lookups) plausibly so the client proceeds,
// answers creates with made-up IDs, and fails the first call that would act
// on what was created (start, attach, wait), which ends the client's run.
package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
)

// Request is one API call as the client sent it.
type Request struct {
	Method string
	URI    string // request target as sent, e.g. /v1.47/containers/create?name=x
	Header http.Header
	Body   []byte
}

// Path is URI's path without the /vX.Y prefix, e.g. /containers/create.
func (r Request) Path() string {
	p, _, _ := strings.Cut(r.URI, "?")
	return versionPrefix.ReplaceAllString(p, "")
}

// IsCreate says whether r creates a container, volume, network or service:
// the requests check judges.
func (r Request) IsCreate() bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch r.Path() {
	case "/containers/create", "/volumes/create", "/networks/create", "/services/create":
		return true
	}
	return false
}

// Server records what clients send to its socket.
type Server struct {
	// APIVersion is what the endpoint says it speaks; clients negotiate
	// down to it.
	APIVersion string
	// Socket is the unix socket's path.
	Socket string

	srv *httptest.Server
	dir string

	mu   sync.Mutex
	reqs []Request
}

// Start serves the endpoint on a unix socket in a new temporary directory.
func Start(apiVersion string) (*Server, error) {
	dir, err := os.MkdirTemp("", "dood-guard-check-")
	if err != nil {
		return nil, fmt.Errorf("capture endpoint: %w", err)
	}
	s := &Server{APIVersion: apiVersion, Socket: filepath.Join(dir, "docker.sock"), dir: dir}
	l, err := net.Listen("unix", s.Socket)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("capture endpoint: %w", err)
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	return s, nil
}

// Host is the socket as a docker host (DOCKER_HOST, -H).
func (s *Server) Host() string { return "unix://" + s.Socket }

// Close stops serving and removes the socket.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
	os.RemoveAll(s.dir)
}

// Requests is every call received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Creates is the create calls received so far, in order.
func (s *Server) Creates() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.IsCreate() {
			out = append(out, r)
		}
	}
	return out
}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

// ErrNotForwarded is the message of the call that ends a client's run.
const ErrNotForwarded = "dood-guard check: the request was captured and not forwarded to any daemon"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()

	p := req.Path()
	seg := strings.Split(strings.Trim(p, "/"), "/")
	w.Header().Set("Api-Version", s.APIVersion)
	w.Header().Set("Ostype", "linux")
	w.Header().Set("Docker-Experimental", "false")
	switch {
	case p == "/_ping":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			io.WriteString(w, "OK")
		}
	case p == "/version" && r.Method == http.MethodGet:
		reply(w, http.StatusOK, map[string]any{"Version": "dood-guard-check", "ApiVersion": s.APIVersion,
			"MinAPIVersion": "1.24", "Os": "linux", "Arch": runtime.GOARCH, "KernelVersion": ""})
	case p == "/info" && r.Method == http.MethodGet:
		reply(w, http.StatusOK, map[string]any{"ID": "dood-guard-check", "OSType": "linux", "Architecture": runtime.GOARCH,
			"ServerVersion": "dood-guard-check", "Swarm": map[string]any{"LocalNodeState": "active", "ControlAvailable": true}})
	case req.IsCreate():
		s.created(w, p, body)
	case r.Method == http.MethodGet && len(seg) == 3 && seg[0] == "images" && seg[2] == "json":
		name, _ := url.PathUnescape(seg[1])
		reply(w, http.StatusOK, map[string]any{"Id": "sha256:" + fakeID(name), "RepoTags": []string{name},
			"Os": "linux", "Architecture": runtime.GOARCH, "Config": map[string]any{}})
	case r.Method == http.MethodGet && len(seg) == 2 && seg[0] == "networks":
		name, _ := url.PathUnescape(seg[1])
		reply(w, http.StatusOK, map[string]any{"Name": name, "Id": name, "Scope": "swarm", "Driver": "overlay"})
	case r.Method == http.MethodGet && len(seg) == 1 && (seg[0] == "secrets" || seg[0] == "configs"):
		reply(w, http.StatusOK, named(r.URL.Query().Get("filters")))
	case r.Method == http.MethodGet:
		reply(w, http.StatusNotFound, map[string]string{"message": "not found: " + ErrNotForwarded})
	default:
		reply(w, http.StatusInternalServerError, map[string]string{"message": ErrNotForwarded})
	}
}

// created answers a create as the daemon does, with a made-up ID.
func (s *Server) created(w http.ResponseWriter, p string, body []byte) {
	id := fakeID(string(body))
	switch p {
	case "/containers/create":
		reply(w, http.StatusCreated, map[string]any{"Id": id, "Warnings": []string{}})
	case "/services/create":
		reply(w, http.StatusCreated, map[string]any{"ID": id})
	case "/networks/create":
		reply(w, http.StatusCreated, map[string]any{"Id": id})
	case "/volumes/create":
		var v struct{ Name, Driver string }
		_ = json.Unmarshal(body, &v)
		reply(w, http.StatusCreated, map[string]any{"Name": v.Name, "Driver": v.Driver})
	}
}

// named answers a secret or config list filtered by name with one object
// per name, so the CLI finds what it references.
func named(filters string) []map[string]any {
	var f map[string]map[string]bool
	_ = json.Unmarshal([]byte(filters), &f)
	out := []map[string]any{}
	for name := range f["name"] {
		out = append(out, map[string]any{"ID": name, "Spec": map[string]any{"Name": name}})
	}
	return out
}

func fakeID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(h[:])
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
