package state

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/dood-guard/dood-guard/plugin/input"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/plugin"
)

// The daemon's authorization plugins must be protected whatever they are
// called: installed as registry/team/guard:1.0, the guard is not named
// dood-guard, and a socket holder who disables or removes it switches
// authorization off. Three sources, read afresh for every request that
// needs them (plugin management, which is rare), so nothing goes stale:
//
//   - GET /info, Plugins.Authorization: the chain as configured when the
//     daemon started. Not after a reload: dockerd 20.10 and 29 both hand
//     a reloaded "authorization-plugins" to the middleware only, and /info
//     keeps reporting the start-up list (daemon/info.go reads the config
//     store, which Reload does not update for this key).
//   - GET /plugins: every managed plugin that implements docker.authz —
//     the plugins a reload can put in the chain, whatever their names (a
//     superset of the chain: one not in it is protected too).
//   - the names the guard itself answers to as a legacy plugin (its
//     socket's name, Options.SelfNames).
//
// A source that cannot be read fails the request (the guard denies).

// Plugin is one entry of the authorization chain as the policy sees it.
type Plugin struct {
	// Name is the entry as configured (--authorization-plugin,
	// "authorization-plugins").
	Name string `json:"name"`
	// ID and Plugin are the managed plugin the entry resolves to (its full
	// ID, and its name as the daemon lists it, "name:tag"); both are empty
	// for a legacy plugin, found by the socket /run/docker/plugins/NAME.sock.
	ID     string `json:"id"`
	Plugin string `json:"plugin"`
}

// managedPlugin is the part of GET /plugins the resolution needs.
type managedPlugin struct {
	ID     string `json:"Id"`
	Name   string
	Config struct {
		Interface struct {
			Types []plugin.CapabilityID
		}
	}
}

// authz reports whether the plugin implements the authorization protocol
// (any prefix, any case: wider than dockerd's own filter).
func (m managedPlugin) authz() bool {
	for _, t := range m.Config.Interface.Types {
		if strings.EqualFold(t.Capability, "authz") {
			return true
		}
	}
	return false
}

// AuthzPlugins reads the daemon's authorization chain and resolves each
// entry to the managed plugin the daemon would use for it
// (input.state.authz_plugins).
func (s *Source) AuthzPlugins(ctx context.Context) ([]input.AuthzPlugin, error) {
	chain, err := s.authzChain(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]input.AuthzPlugin, 0, len(chain))
	for _, p := range chain {
		out = append(out, input.AuthzPlugin{Name: p.Name, ID: p.ID, Plugin: p.Plugin})
	}
	return out, nil
}

func (s *Source) authzChain(ctx context.Context) ([]Plugin, error) {
	body, _, err := s.mustGet(ctx, "/info")
	if err != nil {
		return nil, err
	}
	var info struct {
		Plugins struct{ Authorization []string }
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("%w: GET /info: %v", ErrUnavailable, err)
	}
	body, _, err = s.mustGet(ctx, "/plugins")
	if err != nil {
		return nil, err
	}
	var managed []managedPlugin
	if err := json.Unmarshal(body, &managed); err != nil {
		return nil, fmt.Errorf("%w: GET /plugins: %v", ErrUnavailable, err)
	}
	names := append(append([]string{}, info.Plugins.Authorization...), s.opts.SelfNames...)
	chain := resolveChain(names, managed)
	seen := map[string]bool{}
	for _, p := range chain {
		seen[p.ID] = true
	}
	for _, m := range managed {
		if m.authz() && !seen[m.ID] {
			chain = append(chain, Plugin{Name: m.Name, ID: m.ID, Plugin: m.Name})
		}
	}
	return chain, nil
}

// resolveChain resolves each configured name as the daemon's plugin store
// does when the authorization middleware asks for it: a full ID, else a
// name (normalised, ":latest" added), else a unique ID prefix; a name that
// resolves to no managed plugin is a legacy plugin.
func resolveChain(names []string, managed []managedPlugin) []Plugin {
	out := make([]Plugin, 0, len(names))
	for _, n := range names {
		p := Plugin{Name: n}
		if m, ok := resolvePlugin(n, managed); ok {
			p.ID, p.Plugin = m.ID, m.Name
		}
		out = append(out, p)
	}
	return out
}

var fullID = regexp.MustCompile(`^[a-f0-9]{64}$`)

func resolvePlugin(ref string, managed []managedPlugin) (managedPlugin, bool) {
	if fullID.MatchString(ref) {
		for _, m := range managed {
			if m.ID == ref {
				return m, true
			}
		}
		return managedPlugin{}, false
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return managedPlugin{}, false
	}
	if _, ok := named.(reference.Canonical); ok {
		return managedPlugin{}, false
	}
	name := reference.FamiliarString(reference.TagNameOnly(named))
	for _, m := range managed {
		if m.Name == name {
			return m, true
		}
	}
	var found *managedPlugin
	for i, m := range managed {
		if strings.HasPrefix(m.ID, ref) {
			if found != nil {
				return managedPlugin{}, false // ambiguous
			}
			found = &managed[i]
		}
	}
	if found == nil {
		return managedPlugin{}, false
	}
	return *found, true
}
