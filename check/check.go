// Package check judges requests before they reach a daemon: the create
// requests a docker command line or a compose file would send
// (check/dockercli, check/compose) go through the guard's own pipeline and
// policy (plugin/guard), and each refusal is reported with its rule, the
// field it concerns, where in the input that field came from (a CLI flag, a
// compose file and line) and how the rule says a legitimate use is allowed.
//
// What depends on the daemon's state (an existing volume's options, a
// container a request joins) is not guessed: such requests are reported as
// needing the daemon.
package check

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/dood-guard/dood-guard/policies/catalogue"
)

// Item is one request to judge and where it came from.
type Item struct {
	// Source names the input: a compose file, or the docker command line.
	Source string
	// Object is what the request creates, e.g. "service web",
	// "volume db-data", "container".
	Object  string
	Method  string
	URI     string
	Body    []byte
	Locate  func(path string) Location
	Volumes map[string]*input.VolumeInfo // volume state the input itself establishes
}

// Location is where a request field came from in the input.
type Location struct {
	File   string   `json:"file,omitempty"`
	Line   int      `json:"line,omitempty"`
	Column int      `json:"column,omitempty"`
	Key    string   `json:"key,omitempty"`   // compose key, e.g. services.ci.volumes[0]
	Flags  []string `json:"flags,omitempty"` // CLI flags, e.g. --privileged
}

// Finding is one reason a request is refused.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Title    string   `json:"title,omitempty"`
	Message  string   `json:"message"`
	Path     string   `json:"path,omitempty"` // the request field
	AllowBy  string   `json:"allow_by,omitempty"`
	Location Location `json:"location"`
}

// Need is an object a request points at whose state only the daemon knows.
type Need struct {
	Kind     string   `json:"kind"` // container or volume
	Name     string   `json:"name"`
	Path     string   `json:"path,omitempty"`
	Location Location `json:"location"`
}

// Result is the verdict on one request.
type Result struct {
	Source   string    `json:"source"`
	Object   string    `json:"object"`
	Method   string    `json:"method"`
	URI      string    `json:"uri"`
	Endpoint string    `json:"endpoint,omitempty"`
	Refused  bool      `json:"refused"`
	Findings []Finding `json:"findings,omitempty"`
	// NeedsDaemon lists what the verdict depends on beyond the request:
	// when the request is otherwise allowed, whether the daemon allows it
	// depends on these objects as they exist there.
	NeedsDaemon []Need `json:"needs_daemon,omitempty"`
}

// Report is the verdict on every request of a run.
type Report struct {
	Results []Result `json:"results"`
}

// Refused says whether any request is refused.
func (r Report) Refused() bool {
	for _, x := range r.Results {
		if x.Refused {
			return true
		}
	}
	return false
}

// Checker judges items with a guard. It sets the guard's state source.
type Checker struct {
	g     *guard.Guard
	st    *stateSource
	rules map[string]catalogue.Rule
}

// New returns a checker judging with g, whose policy must be loaded. The
// rule catalogue supplies titles and allow_by hints.
func New(g *guard.Guard) (*Checker, error) {
	rules, err := catalogue.Rules()
	if err != nil {
		return nil, fmt.Errorf("rule catalogue: %w", err)
	}
	c := &Checker{g: g, st: &stateSource{}, rules: map[string]catalogue.Rule{}}
	for _, r := range rules {
		c.rules[r.ID] = r
	}
	g.SetState(c.st)
	return c, nil
}

// Judge runs each item through the guard. Not safe for concurrent use.
func (c *Checker) Judge(ctx context.Context, items []Item) Report {
	rep := Report{Results: []Result{}}
	for _, it := range items {
		rep.Results = append(rep.Results, c.judge(ctx, it))
	}
	return rep
}

func (c *Checker) judge(ctx context.Context, it Item) Result {
	c.st.reset(it.Volumes)
	out := c.g.Decide(ctx, authorization.Request{
		RequestMethod:  it.Method,
		RequestURI:     it.URI,
		RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestBody:    it.Body,
	})
	res := Result{Source: it.Source, Object: it.Object, Method: it.Method, URI: it.URI, Endpoint: out.Request.Endpoint}
	locate := it.Locate
	if locate == nil {
		locate = func(string) Location { return Location{File: it.Source} }
	}
	for _, ref := range c.st.needed {
		res.NeedsDaemon = append(res.NeedsDaemon, Need{Kind: ref.Kind, Name: ref.Name, Path: ref.Path, Location: locate(ref.Path)})
	}
	if out.Response.Allow {
		return res
	}
	for _, v := range out.Violations {
		if v.ID == verdict.StateUnreadable && len(c.st.needed) > 0 {
			// Allowed but for the state only the daemon has: not a
			// refusal, a dependency (NeedsDaemon).
			continue
		}
		f := Finding{RuleID: v.ID, Message: v.Msg, Path: v.Path, Location: locate(v.Path)}
		if r, ok := c.rules[v.ID]; ok {
			f.Title, f.AllowBy = r.Title, oneLine(r.AllowBy)
		}
		res.Findings = append(res.Findings, f)
	}
	res.Refused = len(res.Findings) > 0
	return res
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// errNeedsDaemon is what the state source answers for objects only the
// daemon knows: the guard then judges without state and, when nothing else
// refuses the request, refuses it with DG-STATE-001, which Judge reports as
// a dependency rather than a refusal.
var errNeedsDaemon = errors.New("the objects it points at exist only on the daemon that runs it")

// stateSource records which objects a request needed, answering from the
// state the input itself establishes (the volumes a compose project creates)
// when that covers all of them.
type stateSource struct {
	known  map[string]*input.VolumeInfo
	needed []state.Ref
}

func (s *stateSource) reset(known map[string]*input.VolumeInfo) { s.known, s.needed = known, nil }

func (s *stateSource) Lookup(_ context.Context, doc *input.Document, kinds []string) (*input.State, error) {
	refs, err := state.Refs(doc, kinds)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, nil
	}
	volumes := map[string]*input.Volume{}
	var unknown []state.Ref
	for _, r := range refs {
		if v, ok := s.known[r.Name]; ok && r.Kind == "volume" {
			volumes[r.Name] = &input.Volume{Found: true, VolumeInfo: v, Path: r.Path}
			continue
		}
		unknown = append(unknown, r)
	}
	if len(unknown) > 0 {
		s.needed = unknown
		return nil, errNeedsDaemon
	}
	return &input.State{Containers: map[string]*input.Container{}, Volumes: volumes}, nil
}

func (s *stateSource) Observe(string, string) {}
