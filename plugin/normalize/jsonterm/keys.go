package jsonterm

import (
	"reflect"
	"strings"

	"github.com/moby/moby/api/types/checkpoint"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/volume"
	"github.com/open-policy-agent/opa/v1/ast"
)

// keyTerms holds one shared term for every key a document can have from
// the typed bodies and facts, so keys cost no allocation. It is built at
// start-up and only read afterwards.
var keyTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	add := func(s string) {
		if _, ok := m[s]; !ok {
			m[s] = ast.StringTerm(s)
		}
	}
	for _, s := range []string{
		"phase", "user", "auth_method", "method", "path", "api_version", "api_version_given", "api_version_supported", "endpoint",
		"params", "query", "body", "facts", "HostConfig", "NetworkingConfig",
		// facts
		"value", "privileged", "mounts", "volumes_from", "capabilities", "add", "drop", "namespaces",
		"devices", "device_cgroup_rules", "security_options", "runtime", "cgroup_parent", "masked_paths",
		"readonly_paths", "set", "mode", "pid", "network", "ipc", "uts", "cgroup", "type", "source",
		"target", "read_only", "driver", "driver_options", "path_on_host", "path_in_container",
		"permissions", "key", "raw",
	} {
		add(s)
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			add(name)
			walk(f.Type)
		}
	}
	for _, v := range []any{
		container.Config{}, container.HostConfig{}, network.NetworkingConfig{}, container.UpdateConfig{},
		container.ExecCreateRequest{}, container.ExecStartRequest{}, checkpoint.CreateRequest{},
		volume.CreateRequest{}, network.CreateRequest{}, network.ConnectRequest{}, network.DisconnectRequest{},
		swarm.ServiceSpec{}, swarm.InitRequest{}, swarm.JoinRequest{}, swarm.Spec{}, swarm.NodeSpec{},
		swarm.SecretSpec{}, swarm.ConfigSpec{}, plugin.Privileges{},
	} {
		walk(reflect.TypeOf(v))
	}
	return m
}()

// Key is the shared term of a key, or a new one.
func Key(s string) *ast.Term {
	if t, ok := keyTerms[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}
