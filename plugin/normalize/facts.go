package normalize

import (
	"fmt"
	"path"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
)

// Facts the endpoints share the shape of, and the helpers that build
// them. A container's facts are in container.go, a service's in service.go.

// endpointFacts derives facts for the endpoints other than container
// create/start that a policy judges.
func endpointFacts(endpoint string, body any, opts Options) (*input.Facts, error) {
	switch b := body.(type) {
	case *container.ExecCreateRequest:
		return &input.Facts{
			Privileged: &input.BoolFact{Value: b.Privileged, Path: "Privileged"},
			User:       userFact(b.User, "User"),
			WorkingDir: fact(b.WorkingDir, "WorkingDir"),
		}, nil
	case *volume.CreateRequest:
		return &input.Facts{Mounts: []input.Mount{mountFact(string(mount.TypeVolume), b.Name, "", false, volumeDriver(b.Driver), b.DriverOpts, "DriverOpts")}}, nil
	case *decode.ServiceSpec:
		return serviceFacts(b, opts.Resolve), nil
	case *network.ConnectRequest:
		return connectFacts(b), nil
	}
	return nil, nil
}

// nonNil is a list as the policy sees it: empty, never null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func fact(v, p string) *input.StringFact { return &input.StringFact{Value: v, Path: p} }

func indexed(vs []string, p string) []input.StringFact {
	out := make([]input.StringFact, 0, len(vs))
	for i, v := range vs {
		out = append(out, input.StringFact{Value: v, Path: fmt.Sprintf("%s[%d]", p, i)})
	}
	return out
}

// capabilities normalises names as the daemon does before use: upper-cased
// (strings.ToUpper, so Unicode letters that upper-case to ASCII count), and
// CAP_-prefixed, except the keyword ALL.
func capabilities(caps []string, p string) []input.StringFact {
	out := make([]input.StringFact, 0, len(caps))
	for i, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, input.StringFact{Value: c, Path: fmt.Sprintf("%s[%d]", p, i)})
	}
	return out
}

func mountFact(typ, source, target string, readOnly bool, driver string, opts map[string]string, p string) input.Mount {
	if opts == nil {
		opts = map[string]string{}
	}
	return input.Mount{
		Type: typ, Source: source, Target: target, ReadOnly: readOnly,
		Driver: driver, DriverOptions: opts, Path: p,
	}
}

func volumeDriver(name string) string {
	if name == "" {
		return "local"
	}
	return name
}

// cleanSource cleans a bind source lexically, as the daemon does before it
// hands the path to the kernel.
func cleanSource(s string) string { return path.Clean(s) }
