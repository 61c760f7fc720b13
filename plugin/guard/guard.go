// Package guard is the request pipeline dockerd calls: route the request as
// dockerd's router does, decode its body as the handler will, normalise it,
// evaluate the policy, answer and log. Anything the policy cannot see is
// denied with a message saying why.
package guard

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/apiversion"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/sirupsen/logrus"
)

// Options change how requests are read and logged.
type Options struct {
	// DefaultAPIVersion, when set, is the version of a request without a
	// /vX.Y prefix, over what the daemon says (SetDaemon); "" follows the
	// daemon, and the newest version the guard knows while it is unknown.
	DefaultAPIVersion string
	// AllowUnknownRoutes sends mutating calls to unknown routes to the policy
	// instead of denying them outright.
	AllowUnknownRoutes bool
	// Normalize carries host facts for the normaliser.
	Normalize normalize.Options
	// Enforcement is the guard's mode (serve --enforcement): "" is
	// enforce. data.guard.enforcement sets rules apart from it.
	Enforcement enforce.Mode
}

// Guard answers AuthZ requests. It is safe for concurrent use; the policy
// can be swapped while it serves.
type Guard struct {
	policy atomic.Pointer[loaded]
	// swap serialises the writers of policy (a reload, a daemon learned).
	swap   sync.Mutex
	daemon *apiversion.Daemon // under swap
	state  StateSource
	opts   Options
	// decisions gets one record per decision.
	decisions decisionlog.Sink
	// metrics counts decisions; nil when --metrics-addr is off.
	metrics *metrics.Metrics
}

// StateSource finds the existing objects a request points at
// (plugin/state): the containers an exec, attach, archive, commit or export
// reaches into, the containers and volumes a create uses.
type StateSource interface {
	// Lookup returns input's "state" member for the lookups the policy
	// declares for the request's endpoint (kinds, never empty), or nil when
	// the request points at nothing; an error means the state could not be
	// read.
	Lookup(ctx context.Context, doc *input.Document, kinds []string) (*input.State, error)
	// Observe is told about each request the daemon has handled.
	Observe(method, requestURI string)
}

// SetState makes the guard judge requests against the daemon's state. Set
// it before serving.
func (g *Guard) SetState(s StateSource) { g.state = s }

// New returns a guard with no policy: it denies everything until SetEngine.
// It logs its denials to log until SetDecisionLog.
func New(opts Options, log logrus.FieldLogger) *Guard {
	g := &Guard{opts: opts, decisions: decisionlog.NewLogrus(log, decisionlog.DenialsOnly)}
	g.policy.Store(newLoaded(nil, enforce.Policy{Default: g.mode()}, g.versions()))
	return g
}

// SetDecisionLog sends the decisions to s, which chooses which to write.
// Set it before serving.
func (g *Guard) SetDecisionLog(s decisionlog.Sink) { g.decisions = s }

// SetMetrics counts the decisions in m. Set it before serving.
func (g *Guard) SetMetrics(m *metrics.Metrics) { g.metrics = m }

// SetEngine installs a prepared policy with every rule in the guard's
// enforcement mode, forgetting the outcomes remembered for the one before.
func (g *Guard) SetEngine(e *engine.Engine) { g.Install(e, nil) }

// Install installs a prepared policy and the per-rule enforcement modes of
// its data (data.guard.enforcement) in one step, forgetting the outcomes
// remembered for the policy before: a remembered outcome has its
// enforcement applied, so it is exact for its own load only.
func (g *Guard) Install(e *engine.Engine, rules map[string]enforce.Mode) {
	g.swap.Lock()
	defer g.swap.Unlock()
	g.policy.Store(newLoaded(e, enforce.Policy{Default: g.mode(), Rules: rules}, g.versions()))
}

func (g *Guard) mode() enforce.Mode {
	if g.opts.Enforcement == "" {
		return enforce.Enforce
	}
	return g.opts.Enforcement
}

// Enforcement is the enforcement of the policy serving now.
func (g *Guard) Enforcement() enforce.Policy { return g.policy.Load().enf }

// SetDaemon tells the guard what the daemon in front of it said in GET
// /version (nil: it could not be asked). Requests are read under its API
// versions from now on, unless --default-api-version said otherwise; the
// outcomes remembered under the previous versions are forgotten. It returns
// the versions now in force.
func (g *Guard) SetDaemon(d *apiversion.Daemon) apiversion.Versions {
	g.swap.Lock()
	defer g.swap.Unlock()
	g.daemon = d
	v := g.versions()
	if cur := g.policy.Load(); !sameVersions(cur.versions, v) {
		g.policy.Store(newLoaded(cur.engine, cur.enf, v))
	}
	return v
}

// Versions are the API versions requests are read under now.
func (g *Guard) Versions() apiversion.Versions { return g.policy.Load().versions }

// versions resolves the flag against the daemon; call under swap.
func (g *Guard) versions() apiversion.Versions {
	return apiversion.Resolve(g.opts.DefaultAPIVersion, g.daemon)
}

func sameVersions(a, b apiversion.Versions) bool {
	if a.Default != b.Default || a.Source != b.Source || (a.Daemon == nil) != (b.Daemon == nil) {
		return false
	}
	return a.Daemon == nil || *a.Daemon == *b.Daemon
}

// Outcome is a decision with what the log line reports.
type Outcome struct {
	Response authorization.Response
	Request  normalize.Request
	// Violations refused the request.
	Violations []verdict.Violation
	// WouldDeny are the violations of rules in dry-run: reported, not
	// enforced.
	WouldDeny []verdict.Violation
	// Mode is the enforcement that decided: enforce when Violations
	// refused the request, dry-run when only WouldDeny would have, and the
	// guard's mode when nothing objected.
	Mode enforce.Mode
}

// AuthZReq is the request phase: the only phase that can prevent anything.
func (g *Guard) AuthZReq(req authorization.Request) authorization.Response {
	start := time.Now()
	out := g.Decide(context.Background(), req)
	g.logDecision(out, time.Since(start))
	return out.Response
}

// Refuse denies a request that something in front of the pipeline could
// not hand it as dockerd would (the socket front's HTTP/2 or over-limit
// refusals), logging the denial as AuthZReq logs its own. These are not
// policy decisions and stay enforced under dry-run: what cannot be read
// cannot be forwarded as judged.
func (g *Guard) Refuse(req authorization.Request, vs ...verdict.Violation) authorization.Response {
	out := Outcome{
		Request:    normalize.Request{Phase: "request", User: req.User, AuthMethod: req.UserAuthNMethod, Method: req.RequestMethod, Path: req.RequestURI},
		Violations: vs,
		Response:   verdict.Deny(vs...),
		Mode:       enforce.Enforce,
	}
	g.logDecision(out, 0)
	return out.Response
}

// AuthZRes is the response phase. The handler has already acted, so the
// guard does not evaluate here; it only refuses requests it cannot read, so
// a protocol fault never passes as an approval.
func (g *Guard) AuthZRes(req authorization.Request) authorization.Response {
	if req.RequestMethod == "" || req.RequestURI == "" {
		enf := g.Enforcement()
		out := Outcome{Request: normalize.Request{Phase: "response"}}
		out.Violations, out.WouldDeny = enforce.Split(enf, []verdict.Violation{malformed}, ruleID)
		out.Mode = enf.Applied(len(out.Violations), len(out.WouldDeny))
		out.Response = verdict.Allow()
		if len(out.Violations) > 0 {
			out.Response = verdict.Deny(out.Violations...)
		}
		g.logDecision(out, 0)
		return out.Response
	}
	if g.state != nil {
		g.state.Observe(req.RequestMethod, req.RequestURI)
	}
	return verdict.Allow()
}

// Decide runs the request pipeline without logging. Outcomes that follow
// from the request bytes alone are remembered per policy load (memo.go).
func (g *Guard) Decide(ctx context.Context, req authorization.Request) Outcome {
	l := g.policy.Load()
	if l.memo == nil {
		out, _ := g.decide(ctx, l, req)
		return out
	}
	key := requestKey(&req)
	if out, ok := l.memo.Get(key); ok {
		g.metrics.Remembered()
		return out
	}
	out, pure := g.decide(ctx, l, req)
	if pure {
		l.memo.Put(key, out)
	}
	return out
}

// decide reads and judges one request; pure reports that the outcome
// follows from the request and the policy alone.
func (g *Guard) decide(ctx context.Context, l *loaded, req authorization.Request) (out Outcome, pure bool) {
	nreq, body, vs := g.read(req, l.versions)
	out.Request = nreq
	pure = true
	if len(vs) == 0 {
		vs, pure = g.evaluate(ctx, l, nreq, body)
	}
	// The pipeline's own refusals follow the enforcement too: under
	// dry-run an unreadable request or a missing policy is reported, not
	// refused (docs/rollout.md says what that gives up).
	enf := enforce.Policy{Default: g.mode()}
	if l != nil {
		enf = l.enf
	}
	out.Violations, out.WouldDeny = enforce.Split(enf, vs, ruleID)
	out.Mode = enf.Applied(len(out.Violations), len(out.WouldDeny))
	if len(out.Violations) == 0 {
		out.Response = verdict.Allow()
	} else {
		out.Response = verdict.Deny(out.Violations...)
	}
	return out, pure
}

// evaluate normalises the request and asks the policy. Every failure is a
// denial. The outcome is not pure when it rests on anything outside the
// request: the daemon's state, the host's file system, a failure.
func (g *Guard) evaluate(ctx context.Context, l *loaded, nreq normalize.Request, body any) ([]verdict.Violation, bool) {
	opts, resolved := g.opts.Normalize, false
	if resolve := opts.Resolve; resolve != nil {
		opts.Resolve = func(source string) (string, string) {
			resolved = true
			return resolve(source)
		}
	}
	doc, err := normalize.Input(nreq, body, opts)
	if err != nil {
		return []verdict.Violation{verdict.New(verdict.BodyUndecodable, "the request body cannot be read as dockerd reads it: "+err.Error(), "")}, !resolved
	}
	if l.engine == nil {
		return []verdict.Violation{verdict.New(verdict.PolicyFailed, "no policy is loaded", "")}, false
	}
	st, stateErr := g.lookupState(ctx, l.engine, doc)
	g.metrics.StateLookup(st != nil, stateErr)
	doc.State = st
	pure := !resolved && st == nil && stateErr == nil
	d, err := l.engine.Decide(ctx, doc)
	if d.Remembered {
		g.metrics.Remembered()
	}
	if err != nil {
		return []verdict.Violation{verdict.New(verdict.PolicyFailed, "policy evaluation failed: "+err.Error(), "")}, false
	}
	if stateErr != nil {
		// Judged without state: a request refused on its own is refused
		// with its own reasons; one refused only for want of state (the
		// policy's DG-STATE-001) is refused with the reason the state
		// could not be read.
		var own []verdict.Violation
		for _, v := range d.Violations {
			if v.ID != verdict.StateUnreadable {
				own = append(own, v)
			}
		}
		if len(own) > 0 {
			return own, false
		}
		return []verdict.Violation{verdict.New(verdict.StateUnreadable, "the state of the objects the request points at could not be read: "+stateErr.Error(), "")}, false
	}
	if d.Allow {
		return nil, pure
	}
	if len(d.Violations) == 0 {
		return []verdict.Violation{verdict.New(verdict.PolicyDenied, "denied by policy", "")}, pure
	}
	return d.Violations, pure
}

// lookupState reads the daemon's state for the objects the request points
// at. Outcomes resting on state are never remembered.
func (g *Guard) lookupState(ctx context.Context, e *engine.Engine, doc *input.Document) (*input.State, error) {
	kinds := e.Lookups()[doc.Endpoint]
	if g.state == nil || len(kinds) == 0 {
		return nil, nil
	}
	return g.state.Lookup(ctx, doc, kinds)
}

func ruleID(v verdict.Violation) string { return v.ID }

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
	if len(out.WouldDeny) > 0 {
		rec.WouldDeny = verdict.IDs(out.WouldDeny)
	}
	if out.Mode == enforce.DryRun {
		rec.Enforcement = string(enforce.DryRun)
	}
	g.decisions.Log(rec)
	g.metrics.Decision(r.Endpoint, out.Response.Allow, string(out.Mode), rec.RuleIDs, rec.WouldDeny, took)
}
