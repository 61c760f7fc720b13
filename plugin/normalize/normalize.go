// Package normalize builds the canonical input document a policy sees
// (plugin/input): the request as dockerd's router and handlers will act on
// it, with moby's field names, plus derived facts (mounts, capabilities,
// namespaces, security options) computed the way the daemon computes them.
//
// By what it does:
//   - normalize.go: the document (Input), from the routed request;
//   - body.go: the body as the policy sees it, secrets redacted, encoded by
//     jsonterm (the JSON-to-OPA value encoding, a package of its own);
//   - facts.go, container.go, mounts.go, seccomp.go, process.go, newer.go:
//     a container's facts (create, legacy start, exec) and their parts;
//   - service.go, swarm.go: a service's facts, as swarm converts its spec;
//   - existing.go: an existing container read as a create of it (state).
package normalize

import (
	"strconv"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/route"
)

// The strings documents repeat, shared by input.Value: endpoint names, API
// versions, the paths of facts (the first entries of lists), the values
// most requests give.
func init() {
	for _, r := range route.Routes() {
		input.Intern(r.Endpoint)
	}
	for minor := 12; minor <= 60; minor++ {
		input.Intern("1." + strconv.Itoa(minor))
	}
	for _, list := range []string{"HostConfig.Binds", "HostConfig.Mounts", "HostConfig.CapAdd", "HostConfig.CapDrop",
		"HostConfig.SecurityOpt", "HostConfig.VolumesFrom", "HostConfig.Devices", "HostConfig.DeviceRequests",
		"HostConfig.DeviceCgroupRules", "CapAdd", "CapDrop", "TaskTemplate.ContainerSpec.Mounts"} {
		for i := range 16 {
			input.Intern(list + "[" + strconv.Itoa(i) + "]")
		}
	}
	input.Intern("HostConfig.Annotations", "HostConfig.Sysctls", "HostConfig.Tmpfs", "Privileged", "WorkingDir",
		"ALL", "no", "always", "unless-stopped", "on-failure", "host", "private", "none", "bridge", "rw", "ro",
		"0", "root", "/", "/containers/create")
}

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

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
