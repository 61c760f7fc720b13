// Package state tells the policy about the objects a request points at:
// the container an exec, attach, archive, commit or export reaches into, the
// containers a create joins or takes volumes from, and the named volumes it
// mounts. It asks the daemon itself, over its API socket, with GET inspect
// calls only. Those calls come back to the guard for authorization, and
// inspect endpoints never need state themselves, so a lookup never waits on
// another lookup. Which endpoints get state, and which of their objects,
// the policy declares (policies/dood/lookups.rego); the rules read the same
// table.
//
// The result is the input document's "state" member (docs/input.md):
//
//	{"containers": {"<ref as given>": {...}}, "volumes": {"<name>": {...}},
//	 "authz_plugins": [{"name": ..., "id": ..., "plugin": ...}]}
//
// An object that does not exist is reported with "found": false; a daemon
// that cannot be asked is an error, and the guard denies.
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/route"
)

// Options tune a Source.
type Options struct {
	// TTL is how long a looked-up object is remembered. Zero means 2s;
	// negative disables the cache.
	TTL time.Duration
	// MaxEntries bounds the cache. Zero means 1024.
	MaxEntries int
	// Timeout bounds one lookup (every daemon call of a request). Zero
	// means 5s.
	Timeout time.Duration
	// SelfNames are the names the guard answers to as a legacy plugin (its
	// socket's file name without .sock): protected as authorization plugins
	// even when the daemon's reported chain does not show them yet.
	SelfNames []string
	// Host says how the host reads what an inspected container names: its
	// Resolve resolves bind sources (and finds local volumes, volume.go)
	// on the host at the moment of the lookup; CgroupV1 reads a recorded
	// cgroup namespace mode.
	Host normalize.Options
}

// Source looks objects up through the daemon's API socket.
type Source struct {
	host   string // the docker host as configured, for messages
	client *http.Client
	opts   Options
	now    func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by every invalidation
	entries map[string]entry

	rootMu sync.Mutex
	root   string // the daemon's data root, once known (volume.go)
}

type entry struct {
	val any // *inspected or a volume's map; nil: the object does not exist
	at  time.Time
}

// New returns a source for a docker host "unix:///path/docker.sock" (or a
// plain absolute socket path). Only unix sockets are supported: the guard
// runs beside the daemon.
func New(dockerHost string, opts Options) (*Source, error) {
	sock, err := SocketPath(dockerHost)
	if err != nil {
		return nil, err
	}
	if opts.TTL == 0 {
		opts.TTL = 2 * time.Second
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 1024
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConns:    8,
		IdleConnTimeout: 30 * time.Second,
	}
	return &Source{
		host:    dockerHost,
		client:  &http.Client{Transport: tr},
		opts:    opts,
		now:     time.Now,
		entries: map[string]entry{},
	}, nil
}

// SocketPath validates a docker host and returns its socket path.
func SocketPath(dockerHost string) (string, error) {
	p := dockerHost
	if rest, ok := strings.CutPrefix(dockerHost, "unix://"); ok {
		p = rest
	} else if strings.Contains(dockerHost, "://") {
		return "", fmt.Errorf("docker host %q: only unix:// sockets are supported", dockerHost)
	}
	if !path.IsAbs(p) {
		return "", fmt.Errorf("docker host %q: want unix:///absolute/path", dockerHost)
	}
	return p, nil
}

// Host is the docker host the source asks.
func (s *Source) Host() string { return s.host }

// Ref is one object a request points at.
type Ref struct {
	Kind string // "container", "volume" or KindAuthzPlugins
	Name string // as given in the request
	Path string // the request field that names it
}

// Kinds are the lookups a policy may declare for an endpoint
// (data.dood.lookups.endpoints, policies/dood/lookups.rego): which objects
// of the request the guard looks up.
var Kinds = []string{KindParamsName, KindQueryContainer, KindCreate, KindAuthzPlugins}

const (
	// KindParamsName is the container named by the path's {name}.
	KindParamsName = "container:params.name"
	// KindQueryContainer is the container named by ?container= (commit).
	KindQueryContainer = "container:query.container"
	// KindCreate is what a create joins, takes volumes from or mounts.
	KindCreate = "create"
	// KindAuthzPlugins is the daemon's authorization plugin chain.
	KindAuthzPlugins = "authz_plugins"
)

// CheckKinds reports the kinds a policy declares that the guard does not
// know: a lookup of one of them fails, and the guard denies.
func CheckKinds(table map[string][]string) error {
	var errs []error
	for _, endpoint := range sortedKeys(table) {
		for _, k := range table[endpoint] {
			if !slices.Contains(Kinds, k) {
				errs = append(errs, fmt.Errorf("data.dood.lookups.endpoints[%q]: unknown lookup %q (known: %s)", endpoint, k, strings.Join(Kinds, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Refs lists the objects a canonical input document points at, for the
// lookups the policy declares for its endpoint (kinds). An unknown kind is
// an error.
func Refs(doc *input.Document, kinds []string) ([]Ref, error) {
	var refs []Ref
	for _, k := range kinds {
		switch k {
		case KindParamsName:
			if name := doc.Params["name"]; name != "" {
				refs = append(refs, Ref{"container", name, "params.name"})
			}
		case KindQueryContainer:
			if name := doc.Query["container"]; name != "" {
				refs = append(refs, Ref{"container", name, "query.container"})
			}
		case KindCreate:
			refs = append(refs, createRefs(doc.Facts)...)
		case KindAuthzPlugins:
			refs = append(refs, Ref{Kind: KindAuthzPlugins})
		default:
			return nil, fmt.Errorf("%w: the policy declares an unknown lookup %q", ErrUnavailable, k)
		}
	}
	return refs, nil
}

// createRefs are the containers a create takes volumes from or joins the
// namespaces of, and the named volumes it mounts.
func createRefs(facts *input.Facts) []Ref {
	if facts == nil {
		return nil
	}
	var refs []Ref
	for _, f := range facts.VolumesFrom {
		ref, _, _ := strings.Cut(f.Value, ":")
		if ref != "" {
			refs = append(refs, Ref{"container", ref, f.Path})
		}
	}
	if ns := facts.Namespaces; ns != nil {
		for _, n := range []input.Namespace{ns.Pid, ns.Network, ns.Ipc} {
			if ref, ok := strings.CutPrefix(n.Mode, "container:"); ok && ref != "" {
				refs = append(refs, Ref{"container", ref, n.Path})
			}
		}
	}
	for _, m := range facts.Mounts {
		// Every named volume: an existing volume is used with the options
		// it was created with, whatever the request says.
		if m.Type == "volume" && m.Source != "" {
			refs = append(refs, Ref{"volume", m.Source, m.Path})
		}
	}
	return refs
}

// ErrUnavailable wraps every failure to read the daemon's state.
var ErrUnavailable = errors.New("daemon state unavailable")

// Lookup finds the objects the input points at, for the lookups the policy
// declares for its endpoint (kinds), and returns the "state" member, or nil
// when the request points at nothing.
func (s *Source) Lookup(ctx context.Context, doc *input.Document, kinds []string) (*input.State, error) {
	refs, err := Refs(doc, kinds)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	out := &input.State{Containers: map[string]*input.Container{}, Volumes: map[string]*input.Volume{}}
	for _, r := range refs {
		if r.Kind == KindAuthzPlugins {
			chain, err := s.AuthzPlugins(ctx)
			if err != nil {
				return nil, err
			}
			out.AuthzPlugins = chain
			continue
		}
		if r.Kind == "volume" {
			if _, done := out.Volumes[r.Name]; done {
				continue
			}
			v, err := s.volume(ctx, r.Name)
			if err != nil {
				return nil, err
			}
			out.Volumes[r.Name] = &input.Volume{Found: v != nil, VolumeInfo: v, Path: r.Path}
			continue
		}
		if _, done := out.Containers[r.Name]; done {
			continue
		}
		ic, err := s.container(ctx, r.Name)
		if err != nil {
			return nil, err
		}
		if ic == nil {
			out.Containers[r.Name] = &input.Container{Path: r.Path}
			continue
		}
		c, err := ic.render(s.opts.Host)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if err := s.followJoins(ctx, c, maxJoinDepth); err != nil {
			return nil, err
		}
		out.Containers[r.Name] = &input.Container{Found: true, Existing: c, Path: r.Path}
		// The volumes a container mounts: a volume created with host
		// mount options reaches whoever enters the container or takes
		// its volumes.
		for _, m := range c.Mounts {
			if m.Type != "volume" || m.Name == "" {
				continue
			}
			if _, done := out.Volumes[m.Name]; done {
				continue
			}
			v, err := s.volume(ctx, m.Name)
			if err != nil {
				return nil, err
			}
			out.Volumes[m.Name] = &input.Volume{Found: v != nil, VolumeInfo: v, Path: r.Path}
		}
	}
	return out, nil
}

// maxJoinDepth bounds how many container: namespace joins are followed.
const maxJoinDepth = 4

// followJoins reports a pid, network or ipc namespace joined from another
// container ("container:X") as "host" when X, followed the same way, is in
// the host's: entering the joining container enters the host's namespace.
// A chain longer than the bound is reported as "host" too (fail closed).
// c is a rendered container of this lookup's own: both its recorded
// namespaces and its facts' namespace modes are changed.
func (s *Source) followJoins(ctx context.Context, c *input.Existing, depth int) error {
	for _, kind := range []string{"pid", "network", "ipc"} {
		host, err := s.joinsHost(ctx, c.Namespaces[kind], kind, depth)
		if err != nil {
			return err
		}
		if !host {
			continue
		}
		c.Namespaces[kind] = "host"
		if ns := c.Facts.Namespaces; ns != nil {
			switch kind {
			case "pid":
				ns.Pid.Mode = "host"
			case "network":
				ns.Network.Mode = "host"
			case "ipc":
				ns.Ipc.Mode = "host"
			}
		}
	}
	return nil
}

// joinsHost reports whether a namespace mode reaches the host's namespace
// of that kind through container: joins.
func (s *Source) joinsHost(ctx context.Context, mode, kind string, depth int) (bool, error) {
	ref, ok := strings.CutPrefix(mode, "container:")
	if !ok {
		return mode == "host", nil
	}
	if depth == 0 {
		return true, nil
	}
	x, err := s.container(ctx, ref)
	if err != nil || x == nil {
		return false, err
	}
	return s.joinsHost(ctx, x.namespaces()[kind], kind, depth-1)
}

// validRef matches what the daemon can resolve: names
// ([a-zA-Z0-9][a-zA-Z0-9_.-]*, optionally with a leading "/") and hex IDs
// or ID prefixes. Anything else names nothing, so it is not sent.
var validRef = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// container is the container a reference designates, or nil.
func (s *Source) container(ctx context.Context, ref string) (*inspected, error) {
	if !validRef.MatchString(ref) {
		return nil, nil
	}
	v, err := s.cached(ctx, containerKey+ref, "/containers/"+url.PathEscape(ref)+"/json", containerState)
	c, _ := v.(*inspected)
	return c, err
}

// volume is what the daemon reports about a named volume, or nil when it
// does not exist.
func (s *Source) volume(ctx context.Context, name string) (*input.VolumeInfo, error) {
	if !validRef.MatchString(name) || strings.HasPrefix(name, "/") {
		return nil, nil
	}
	if exists, known := s.localVolume(ctx, name); known && !exists {
		return nil, nil
	}
	v, err := s.cached(ctx, volumeKey+name, "/volumes/"+url.PathEscape(name), volumeState)
	info, _ := v.(*input.VolumeInfo)
	return info, err
}

// cached answers from the cache or asks the daemon. An answer is stored
// only if no invalidation happened while it was being fetched, so a lookup
// racing a rename or removal never outlives it.
func (s *Source) cached(ctx context.Context, key, target string, parse func([]byte) (any, error)) (any, error) {
	s.mu.Lock()
	gen := s.gen
	if e, ok := s.entries[key]; ok && s.opts.TTL > 0 && s.now().Sub(e.at) < s.opts.TTL {
		s.mu.Unlock()
		return e.val, nil
	}
	s.mu.Unlock()

	body, found, err := s.get(ctx, target)
	if err != nil {
		return nil, err
	}
	var val any
	if found {
		if val, err = parse(body); err != nil {
			return nil, fmt.Errorf("%w: GET %s: %v", ErrUnavailable, target, err)
		}
	}
	if s.opts.TTL > 0 {
		s.mu.Lock()
		if s.gen == gen {
			if len(s.entries) >= s.opts.MaxEntries {
				s.evictLocked()
			}
			s.entries[key] = entry{val: val, at: s.now()}
		}
		s.mu.Unlock()
	}
	return val, nil
}

// evictLocked drops expired entries, and the oldest half when none expired.
func (s *Source) evictLocked() {
	now := s.now()
	for k, e := range s.entries {
		if now.Sub(e.at) >= s.opts.TTL {
			delete(s.entries, k)
		}
	}
	if len(s.entries) < s.opts.MaxEntries {
		return
	}
	type ka struct {
		k  string
		at time.Time
	}
	all := make([]ka, 0, len(s.entries))
	for k, e := range s.entries {
		all = append(all, ka{k, e.at})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	for _, x := range all[:len(all)/2+1] {
		delete(s.entries, x.k)
	}
}

// Invalidate forgets everything looked up so far.
func (s *Source) Invalidate() {
	s.forget(func(string, entry) bool { return true })
}

// invalidateContainers forgets what container names and ID prefixes
// designate, and every volume found missing, after a container was
// created, renamed, updated or removed: a create may create a named volume
// (with the options its mount asks for), but no container call changes a
// volume that exists, whose driver and options are fixed when it is
// created. So a CI job's cache volume, looked up once, stays known while
// jobs come and go around it.
func (s *Source) invalidateContainers() {
	s.forget(func(key string, e entry) bool {
		return strings.HasPrefix(key, containerKey) || e.val == nil
	})
}

// forgetMissingVolumes forgets the volumes found missing.
func (s *Source) forgetMissingVolumes() {
	s.forget(func(key string, e entry) bool {
		return strings.HasPrefix(key, volumeKey) && e.val == nil
	})
}

// forget drops the entries drop selects. Either way the generation moves
// on, so that a lookup in flight across it is not stored.
func (s *Source) forget(drop func(key string, e entry) bool) {
	s.mu.Lock()
	s.gen++
	for k, e := range s.entries {
		if drop(k, e) {
			delete(s.entries, k)
		}
	}
	s.mu.Unlock()
}

// Cache keys: a kind prefix, then the reference as given.
const (
	containerKey = "c\x00"
	volumeKey    = "v\x00"
)

// get does one GET; found is false on 404. Any other failure is
// ErrUnavailable.
func (s *Source) get(ctx context.Context, target string) (body []byte, found bool, err error) {
	req, err := httpGet(ctx, target)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s: %v", ErrUnavailable, s.host, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, false, fmt.Errorf("%w: GET %s: %v", ErrUnavailable, target, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, true, nil
	case http.StatusNotFound:
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("%w: GET %s: status %d: %s", ErrUnavailable, target, resp.StatusCode, daemonMessage(body))
}

// daemonMessage extracts {"message": ...} from an error answer.
func daemonMessage(b []byte) string {
	var m struct{ Message string }
	if json.Unmarshal(b, &m) == nil && m.Message != "" {
		return m.Message
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return strings.TrimSpace(string(b))
}

// mutating are the endpoints after which a name, ID prefix or volume name
// may designate another object: true when it may be a volume, false when
// only containers (invalidateContainers).
var mutating = map[string]bool{
	"container.create": false,
	"container.update": false, // a new restart policy
	"container.delete": false, // true with ?v= (its anonymous volumes go too)
	"container.rename": false,
	"container.prune":  true,
	"volume.create":    true,
	"volume.delete":    true,
	"volume.prune":     true,
}

// Observe is told about every request the daemon has handled (the AuthZRes
// phase, after the handler ran, before the client has its answer). It
// forgets what a call may have changed a reference to designate, so the
// client's next request is judged on fresh state; an unknown call, all.
func (s *Source) Observe(method, requestURI string) {
	if method == http.MethodGet || method == http.MethodHead {
		return
	}
	m, err := route.Parse(method, requestURI)
	if err != nil || m.Route == nil {
		s.Invalidate()
		return
	}
	volumes, ok := mutating[m.Endpoint]
	if _, withVolumes := m.Query["v"]; m.Endpoint == "container.delete" && withVolumes {
		volumes = true
	}
	switch {
	case !ok:
	case volumes:
		s.Invalidate()
	default:
		s.invalidateContainers()
	}
}
