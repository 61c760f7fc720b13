package normalize

import (
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize/jsonterm"
	"github.com/open-policy-agent/opa/v1/ast"
)

// canonical builds the body as the policy sees it, and the facts derived
// from it. The body is an OPA value: typed structs are encoded once by
// encoding/json (which is what makes their field names canonical, whatever
// spelling the client used) and that text is read straight into OPA terms,
// with no map[string]any in between.
func canonical(req Request, body any, opts Options) (ast.Value, *input.Facts, error) {
	b := jsonterm.Get()
	defer b.Release()
	if redacted(req.Endpoint) != nil {
		b.Private() // secrets are not kept among the shared values
	}
	switch v := body.(type) {
	case *decode.ContainerCreate:
		// Config's fields at the top level, then the effective HostConfig and
		// the NetworkingConfig (replacing any same-named Config key).
		hc, err := b.Encode(v.HostConfig)
		if err != nil {
			return nil, nil, err
		}
		nc, err := b.Encode(v.NetworkingConfig)
		if err != nil {
			return nil, nil, err
		}
		obj, err := b.EncodeObject(v.Config, ast.Item(jsonterm.Key("HostConfig"), hc), ast.Item(jsonterm.Key("NetworkingConfig"), nc))
		if err != nil {
			return nil, nil, err
		}
		facts, err := containerFacts(v.HostConfig, req.APIVersion, opts)
		if facts != nil && v.Config != nil {
			facts.User = userFact(v.Config.User, "User")
		}
		addNewerContainerFacts(facts, v.HostConfig, v.NetworkingConfig, req)
		return obj, facts, err
	case *decode.ContainerStart:
		hc, err := b.Encode(v.HostConfig)
		if err != nil {
			return nil, nil, err
		}
		facts, err := containerFacts(v.HostConfig, req.APIVersion, opts)
		addNewerContainerFacts(facts, v.HostConfig, nil, req)
		return ast.NewObject(ast.Item(jsonterm.Key("HostConfig"), hc)), facts, err
	}
	t, err := b.Encode(body)
	if err != nil {
		return nil, nil, err
	}
	v := t.Value
	if obj, ok := v.(ast.Object); ok {
		if drop := redacted(req.Endpoint); drop != nil {
			v = without(obj, drop)
		}
	}
	facts, err := endpointFacts(req.Endpoint, body, opts)
	return v, facts, err
}

func without(obj ast.Object, drop func(string) bool) ast.Object {
	keep := make([][2]*ast.Term, 0, obj.Len())
	obj.Foreach(func(k, v *ast.Term) {
		if s, ok := k.Value.(ast.String); ok && drop(string(s)) {
			return
		}
		keep = append(keep, ast.Item(k, v))
	})
	return ast.NewObject(keep...)
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
