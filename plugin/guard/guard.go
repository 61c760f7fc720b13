// Package guard is the request pipeline dockerd calls: route the request as
// dockerd's router does, decode its body as the handler will, normalise it,
// evaluate the policy, answer and log. Anything the policy cannot see is
// denied with a message saying why.
package guard

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/sirupsen/logrus"
)

// Options change how requests are read and logged.
type Options struct {
	// DefaultAPIVersion is the version dockerd assumes when a request has no
	// /vX.Y prefix.
	DefaultAPIVersion string
	// AllowUnknownRoutes sends mutating calls to unknown routes to the policy
	// instead of denying them outright.
	AllowUnknownRoutes bool
	// Normalize carries host facts for the normaliser.
	Normalize normalize.Options
}

// Guard answers AuthZ requests. It is safe for concurrent use; the policy
// can be swapped while it serves.
type Guard struct {
	engine atomic.Pointer[engine.Engine]
	state  StateSource
	opts   Options
	// decisions gets one record per decision.
	decisions decisionlog.Sink
}

// StateSource finds the existing objects a request points at
// (plugin/state): the containers an exec, attach, archive, commit or export
// reaches into, the containers and volumes a create uses.
type StateSource interface {
	// Lookup returns input's "state" member, or nil when the request points
	// at nothing; an error means the state could not be read.
	Lookup(ctx context.Context, input map[string]any) (map[string]any, error)
	// Observe is told about each request the daemon has handled.
	Observe(method, requestURI string)
}

// SetState makes the guard judge requests against the daemon's state. Set
// it before serving.
func (g *Guard) SetState(s StateSource) { g.state = s }

// New returns a guard with no policy: it denies everything until SetEngine.
// It logs its denials to log until SetDecisionLog.
func New(opts Options, log logrus.FieldLogger) *Guard {
	if opts.DefaultAPIVersion == "" {
		opts.DefaultAPIVersion = "1.41"
	}
	return &Guard{opts: opts, decisions: decisionlog.NewLogrus(log, decisionlog.DenialsOnly)}
}

// SetDecisionLog sends the decisions to s, which chooses which to write.
// Set it before serving.
func (g *Guard) SetDecisionLog(s decisionlog.Sink) { g.decisions = s }

// SetEngine installs a prepared policy.
func (g *Guard) SetEngine(e *engine.Engine) { g.engine.Store(e) }

// Outcome is a decision with what the log line reports.
type Outcome struct {
	Response   authorization.Response
	Request    normalize.Request
	Violations []verdict.Violation
}

// AuthZReq is the request phase: the only phase that can prevent anything.
func (g *Guard) AuthZReq(req authorization.Request) authorization.Response {
	start := time.Now()
	out := g.Decide(context.Background(), req)
	g.logDecision(out, time.Since(start))
	return out.Response
}

// AuthZRes is the response phase. The handler has already acted, so the
// guard does not evaluate here; it only refuses requests it cannot read, so
// a protocol fault never passes as an approval.
func (g *Guard) AuthZRes(req authorization.Request) authorization.Response {
	if req.RequestMethod == "" || req.RequestURI == "" {
		out := Outcome{Request: normalize.Request{Phase: "response"}, Violations: []verdict.Violation{malformed}}
		out.Response = verdict.Deny(out.Violations...)
		g.logDecision(out, 0)
		return out.Response
	}
	if g.state != nil {
		g.state.Observe(req.RequestMethod, req.RequestURI)
	}
	return verdict.Allow()
}

// Decide runs the request pipeline without logging.
func (g *Guard) Decide(ctx context.Context, req authorization.Request) Outcome {
	nreq, body, vs := g.read(req)
	out := Outcome{Request: nreq}
	if len(vs) == 0 {
		vs = g.evaluate(ctx, nreq, body)
	}
	out.Violations = vs
	if len(vs) == 0 {
		out.Response = verdict.Allow()
	} else {
		out.Response = verdict.Deny(vs...)
	}
	return out
}

// evaluate normalises the request and asks the policy. Every failure is a
// denial.
func (g *Guard) evaluate(ctx context.Context, nreq normalize.Request, body any) []verdict.Violation {
	input, err := normalize.Input(nreq, body, g.opts.Normalize)
	if err != nil {
		return []verdict.Violation{verdict.New(verdict.BodyUndecodable, "the request body cannot be read as dockerd reads it: "+err.Error(), "")}
	}
	e := g.engine.Load()
	if e == nil {
		return []verdict.Violation{verdict.New(verdict.PolicyFailed, "no policy is loaded", "")}
	}
	st, stateErr := g.lookupState(ctx, input)
	if st != nil {
		input["state"] = st
	}
	var d engine.Decision
	if stateErr != nil {
		// Judged without state: a request refused on its own is refused
		// with its own reasons; one that would pass is refused for want
		// of state.
		d, err = e.Decide(ctx, input)
		if err == nil && d.Allow {
			return []verdict.Violation{verdict.New(verdict.StateUnreadable, "the state of the objects the request points at could not be read: "+stateErr.Error(), "")}
		}
	} else if body == nil && st == nil {
		d, err = e.DecideKeyed(ctx, cacheKey(nreq), input)
	} else {
		d, err = e.Decide(ctx, input)
	}
	if err != nil {
		return []verdict.Violation{verdict.New(verdict.PolicyFailed, "policy evaluation failed: "+err.Error(), "")}
	}
	if d.Allow {
		return nil
	}
	if len(d.Violations) == 0 {
		return []verdict.Violation{verdict.New(verdict.PolicyDenied, "denied by policy", "")}
	}
	return d.Violations
}

// lookupState reads the daemon's state for the objects the request points
// at. Inputs with state are never served from the decision cache.
func (g *Guard) lookupState(ctx context.Context, input map[string]any) (map[string]any, error) {
	if g.state == nil {
		return nil, nil
	}
	return g.state.Lookup(ctx, input)
}

// cacheKey describes a body-less input completely: every field Input puts
// in the document comes from these values (params derive from the path).
func cacheKey(r normalize.Request) string {
	var b strings.Builder
	for _, f := range []string{r.Phase, r.Method, r.Path, r.Endpoint, r.APIVersion, strconv.FormatBool(r.APIVersionGiven), r.User, r.AuthMethod} {
		b.WriteString(f)
		b.WriteByte(0)
	}
	keys := make([]string, 0, len(r.Query))
	for k := range r.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(1)
		b.WriteString(r.Query[k])
		b.WriteByte(0)
	}
	return b.String()
}

func (g *Guard) logDecision(out Outcome, took time.Duration) {
	r := out.Request
	rec := decisionlog.Record{
		Phase:      r.Phase,
		Method:     r.Method,
		Path:       r.Path,
		Endpoint:   r.Endpoint,
		APIVersion: r.APIVersion,
		User:       r.User,
		AuthMethod: r.AuthMethod,
		EvalMicros: took.Microseconds(),
		Denied:     !out.Response.Allow,
	}
	if rec.Denied {
		rec.RuleIDs = verdict.IDs(out.Violations)
	}
	g.decisions.Log(rec)
}
