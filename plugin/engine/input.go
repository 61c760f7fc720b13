package engine

import (
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"
)

// inputValue converts an input document to the value OPA evaluates. It
// gives what ast.InterfaceToValue gives, a little faster for the shapes
// input documents are made of, and passes OPA values through.
func inputValue(x any) (ast.Value, error) {
	switch x := x.(type) {
	case ast.Value:
		return x, nil
	case nil:
		return ast.InternedNullValue, nil
	case bool:
		return ast.InternedTerm(x).Value, nil
	case string:
		if t, ok := keyTerms[x]; ok {
			return t.Value, nil
		}
		return ast.String(x), nil
	case json.Number:
		if t := ast.InternedIntNumberTermFromString(string(x)); t != nil {
			return t.Value, nil
		}
		return ast.NumberChecked(string(x))
	case map[string]any:
		items := make([][2]*ast.Term, 0, len(x))
		terms := make([]ast.Term, len(x))
		i := 0
		for k, v := range x {
			val, err := inputValue(v)
			if err != nil {
				return nil, err
			}
			terms[i].Value = val
			items = append(items, ast.Item(key(k), &terms[i]))
			i++
		}
		return ast.NewObject(items...), nil
	case []any:
		elems := make([]*ast.Term, len(x))
		terms := make([]ast.Term, len(x))
		for i, v := range x {
			val, err := inputValue(v)
			if err != nil {
				return nil, err
			}
			terms[i].Value = val
			elems[i] = &terms[i]
		}
		return ast.NewArray(elems...), nil
	}
	return ast.InterfaceToValue(x)
}

func key(s string) *ast.Term {
	if t, ok := keyTerms[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// keyTerms are shared terms for the keys (and a few values) every input
// document repeats. Read-only after start-up.
var keyTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, s := range []string{
		"phase", "user", "auth_method", "method", "path", "api_version", "api_version_given", "api_version_supported",
		"endpoint", "params", "query", "body", "facts", "state",
		"value", "privileged", "mounts", "volumes_from", "capabilities", "add", "drop", "namespaces",
		"devices", "device_cgroup_rules", "security_options", "runtime", "cgroup_parent",
		"masked_paths", "readonly_paths", "set", "mode", "pid", "network", "ipc", "uts", "cgroup",
		"type", "source", "target", "read_only", "driver", "driver_options", "path_on_host",
		"path_in_container", "permissions", "key", "raw", "name", "id",
		"request", "response", "GET", "HEAD", "POST", "PUT", "DELETE", "bind", "volume", "tmpfs", "local",
		"HostConfig.Privileged", "HostConfig.PidMode", "HostConfig.NetworkMode", "HostConfig.IpcMode",
		"HostConfig.UTSMode", "HostConfig.UsernsMode", "HostConfig.CgroupnsMode", "HostConfig.Runtime",
		"HostConfig.CgroupParent", "HostConfig.MaskedPaths", "HostConfig.ReadonlyPaths",
	} {
		m[s] = ast.StringTerm(s)
	}
	return m
}()
