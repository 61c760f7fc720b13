// Package normalize builds the canonical input document a policy sees: the
// request as dockerd's router and handlers will act on it, with moby's field
// names, plus derived facts (mounts, capabilities, namespaces, security
// options) computed the way the daemon computes them.
package normalize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/dood-guard/dood-guard/plugin/input"
)

// Request is what routing established about an API call.
type Request struct {
	Phase           string // "request" or "response"
	User            string
	AuthMethod      string
	Method          string
	Path            string // percent-decoded, without the version prefix
	APIVersion      string // effective version
	APIVersionGiven bool
	// APIVersionSupported is false when the daemon will refuse the version
	// (below its minimum or above its newest), after the plugins answered.
	APIVersionSupported bool
	Endpoint            string
	Params              map[string]string
	Query               map[string]string
}

// Options carries host facts that change how the daemon reads a request.
type Options struct {
	// CgroupV1 is true on hosts with cgroup v1, where API versions below 1.41
	// default a container's cgroup namespace to the host's.
	CgroupV1 bool
	// Resolve, when set, resolves a cleaned bind source on the host (see
	// plugin/hostpath): the host path a mount reaches, and its kind
	// ("socket", "dir", "file", "missing", "other").
	Resolve func(source string) (hostSource, kind string)
}

// Input builds the document handed to the policy. body is the value decode
// produced for the endpoint, or nil when the request carries none.
//
// The document's body is already an OPA value (an ast.Value: the typed body
// encoded once by encoding/json, which makes its field names canonical, and
// read straight into OPA terms); input.Value passes it through.
func Input(req Request, body any, opts Options) (*input.Document, error) {
	in := &input.Document{
		Phase:               req.Phase,
		User:                req.User,
		AuthMethod:          req.AuthMethod,
		Method:              req.Method,
		Path:                req.Path,
		APIVersion:          req.APIVersion,
		APIVersionGiven:     req.APIVersionGiven,
		APIVersionSupported: req.APIVersionSupported,
		Endpoint:            req.Endpoint,
		Params:              nonNilMap(req.Params),
		Query:               nonNilMap(req.Query),
	}
	if body == nil {
		return in, nil
	}
	canon, facts, err := canonical(req, body, opts)
	if err != nil {
		return nil, err
	}
	in.Body = canon
	in.Facts = facts
	return in, nil
}

// redacted says which keys of an endpoint's body are dropped: secret
// material a policy has no business reading and that must never reach a
// decision log. nil keeps everything.
func redacted(endpoint string) func(key string) bool {
	switch endpoint {
	case "secret.create", "secret.update", "config.create", "config.update":
		return func(k string) bool { return k == "Data" }
	case "swarm.join":
		return func(k string) bool { return k == "JoinToken" }
	case "swarm.unlock":
		return func(k string) bool { return k == "UnlockKey" }
	case "image.push":
		// A legacy push body is registry credentials and nothing else.
		return func(string) bool { return true }
	}
	return nil
}

// toValue re-encodes a typed value into plain JSON values, so the policy
// sees canonical field names whatever spelling the client used.
func toValue(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("re-encode body: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("re-decode body: %w", err)
	}
	return out, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
