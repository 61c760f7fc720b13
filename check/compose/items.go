package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/dood-guard/dood-guard/plugin/input"
	"net/url"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/dood-guard/dood-guard/check"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
)

// Items loads the project in files and returns the requests docker compose
// up sends to create it, in its order: volumes, networks, then containers
// (by service name; compose orders them by depends_on, which changes no
// body). Each locates its fields in the compose files.
func Items(ctx context.Context, files []string, o Options) ([]check.Item, error) {
	p, err := Load(ctx, files, o)
	if err != nil {
		return nil, err
	}
	lines, err := readLines(p.ComposeFiles)
	if err != nil {
		return nil, err
	}
	v := o.APIVersion
	if v == "" {
		v = "1.41"
	}
	prefix := "/v" + v
	known := map[string]*input.VolumeInfo{}
	var items []check.Item

	for _, key := range sortedKeys(p.Volumes) {
		vol := p.Volumes[key]
		if vol.External {
			continue
		}
		body := volume.CreateRequest{Name: vol.Name, Driver: vol.Driver, DriverOpts: vol.DriverOpts, Labels: resourceLabels(p, key, "volume", vol.Labels)}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		opts := map[string]string{}
		for k, x := range vol.DriverOpts {
			opts[k] = x
		}
		// What the daemon will hold once compose created it: containers
		// mounting it by name are judged against that.
		known[vol.Name] = &input.VolumeInfo{Name: vol.Name, Driver: vol.Driver, Options: opts}
		path := []string{"volumes", key}
		items = append(items, check.Item{Source: firstFile(p), Object: "volume " + key, Method: "POST", URI: prefix + "/volumes/create", Body: b,
			Locate: func(field string) check.Location { return lines.locate(append(path, driverKey(field)...)) }})
	}
	for _, key := range sortedKeys(p.Networks) {
		n := p.Networks[key]
		if n.External {
			continue
		}
		body := network.CreateRequest{Name: n.Name, Driver: n.Driver, Options: n.DriverOpts, Internal: n.Internal,
			Attachable: n.Attachable, EnableIPv4: n.EnableIPv4, EnableIPv6: n.EnableIPv6, Labels: resourceLabels(p, key, "network", n.Labels)}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		path := []string{"networks", key}
		items = append(items, check.Item{Source: firstFile(p), Object: "network " + key, Method: "POST", URI: prefix + "/networks/create", Body: b,
			Locate: func(string) check.Location { return lines.locate(path) }})
	}
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		cc, err := serviceCreate(p, s)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		b, err := json.Marshal(cc.Body)
		if err != nil {
			return nil, err
		}
		origins := cc.Origins
		items = append(items, check.Item{Source: firstFile(p), Object: "service " + name, Method: "POST",
			URI: prefix + "/containers/create?name=" + url.QueryEscape(cc.Name), Body: b, Volumes: known,
			Locate: func(field string) check.Location {
				return lines.locate(append([]string{"services", name}, serviceKey(origins, field)...))
			}})
	}
	return items, nil
}

func firstFile(p *types.Project) string {
	if len(p.ComposeFiles) > 0 {
		return display(p.ComposeFiles[0])
	}
	return "compose"
}

func resourceLabels(p *types.Project, key, kind string, l types.Labels) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[k] = v
	}
	out["com.docker.compose.project"] = p.Name
	out["com.docker.compose."+kind] = key
	return out
}

func driverKey(field string) []string {
	if field == "" {
		return nil
	}
	return []string{"driver_opts"}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
