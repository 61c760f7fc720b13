// Package emptydaemon is a state source for tests of the whole pipeline: a
// daemon where no container or volume a request names exists, and whose
// only authorization plugin is the guard.
package emptydaemon

import (
	"context"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/state"
)

// GuardID is the guard's plugin ID in the daemon's authorization chain.
const GuardID = "4f2a9c0e7b1d3a5f6e8c0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a"

// Daemon answers every lookup: each object the request names is missing,
// the chain is the guard alone.
type Daemon struct{}

// Lookup reports what the request names as missing.
func (Daemon) Lookup(_ context.Context, doc *input.Document, kinds []string) (*input.State, error) {
	refs, err := state.Refs(doc, kinds)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	out := &input.State{Containers: map[string]*input.Container{}, Volumes: map[string]*input.Volume{}}
	for _, r := range refs {
		switch r.Kind {
		case state.KindAuthzPlugins:
			out.AuthzPlugins = []input.AuthzPlugin{{Name: "dood-guard:latest", ID: GuardID, Plugin: "dood-guard:latest"}}
		case "volume":
			out.Volumes[r.Name] = &input.Volume{Path: r.Path}
		default:
			out.Containers[r.Name] = &input.Container{Path: r.Path}
		}
	}
	return out, nil
}

// Observe ignores what the daemon handled: nothing exists either way.
func (Daemon) Observe(string, string) {}
