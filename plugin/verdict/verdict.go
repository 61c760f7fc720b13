// Package verdict builds the answers the guard gives dockerd. Every denial,
// whether the policy or the pipeline refuses, goes through Deny, so the
// message a docker user reads always has the same shape:
//
//	[DG-PRIV-001] privileged containers are not allowed (HostConfig.Privileged)
package verdict

import (
	"strings"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/engine"
)

// IDs of the denials the pipeline makes itself, when the policy cannot see
// the request as dockerd will execute it.
const (
	MalformedRequest = "DG-REQ-001"    // empty or undecodable AuthZ request
	UnroutableTarget = "DG-REQ-002"    // a request target dockerd would not route
	UnknownEndpoint  = "DG-ROUTE-001"  // mutating call to a route the guard does not know
	BodyNotVisible   = "DG-BODY-001"   // the handler reads a body dockerd did not forward
	BodyUndecodable  = "DG-BODY-002"   // the body does not decode as dockerd decodes it
	FormBody         = "DG-BODY-003"   // parameters may come from a form body the guard cannot see
	PolicyFailed     = "DG-POLICY-001" // no policy, or it failed to evaluate
	PolicyDenied     = "DG-POLICY-002" // the policy denied without naming a violation
	StateUnreadable  = "DG-STATE-001"  // the daemon's state the request points at could not be read
	NotHTTP1         = "DG-REQ-003"    // HTTP/2 or an h2c upgrade at the socket front: only HTTP/1.1 is judged
)

// PipelineIDs are the IDs above: the pipeline's own refusals.
var PipelineIDs = []string{MalformedRequest, UnroutableTarget, UnknownEndpoint, BodyNotVisible, BodyUndecodable,
	FormBody, PolicyFailed, PolicyDenied, StateUnreadable}

// Violation is a reason for a denial.
type Violation = engine.Violation

// New is a violation the pipeline raises itself.
func New(id, msg, path string) Violation { return Violation{ID: id, Msg: msg, Path: path} }

// Allow lets the request through.
func Allow() authorization.Response { return authorization.Response{Allow: true} }

// Deny refuses the request with a message naming every violation. It never
// sets Err: dockerd treats Allow:true with an Err as allowed, and an Err
// alone as a plugin failure rather than a policy decision.
func Deny(vs ...Violation) authorization.Response {
	if len(vs) == 0 {
		vs = []Violation{New(PolicyDenied, "denied by policy", "")}
	}
	return authorization.Response{Allow: false, Msg: Message(vs)}
}

// Message renders violations as "[ID] msg (path)", joined by "; ".
func Message(vs []Violation) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("[")
		b.WriteString(v.ID)
		b.WriteString("] ")
		b.WriteString(v.Msg)
		if v.Path != "" {
			b.WriteString(" (")
			b.WriteString(v.Path)
			b.WriteString(")")
		}
	}
	return b.String()
}

// IDs lists the rule IDs of violations, for logs.
func IDs(vs []Violation) []string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	return ids
}
