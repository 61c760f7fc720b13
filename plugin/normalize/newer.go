package normalize

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// Facts for request fields added after API 1.41 (Docker 23 to 29). Each is
// judged whenever the daemon would act on it: a field is left out only when
// the request names an API version below the one that introduced it, which
// every daemon that knows the field then ignores (and older daemons never
// read). Without a version prefix the daemon uses its newest version, so the
// field counts.

// honours reports whether a daemon honours a field introduced in API
// version since, for this request.
func honours(req Request, since string) bool {
	return !req.APIVersionGiven || route.CompareVersions(req.APIVersion, since) >= 0
}

// endpointSysctlsKey is the endpoint driver option (API 1.46, Docker 27)
// whose comma-separated net.X.Y.IFNAME.Z=V entries the daemon writes in
// the container's network namespace.
const endpointSysctlsKey = "com.docker.network.endpoint.sysctls"

// addNewerContainerFacts adds the facts of a container create (or legacy
// start) for the newer fields: annotations (API 1.43), sysctls (HostConfig
// and, from API 1.46, per endpoint).
func addNewerContainerFacts(facts *input.Facts, hc *container.HostConfig, nc *network.NetworkingConfig, req Request) {
	if facts == nil {
		return
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	annotations := []input.KeyValue{}
	// A legacy start body is read only below API 1.24, by daemons whose
	// start path is not known to apply the create handler's 1.43 gate:
	// there the annotations count (see the most).
	if honours(req, "1.43") || req.Endpoint == "container.start" {
		annotations = keyValues(hc.Annotations, "HostConfig.Annotations")
	}
	facts.Annotations = annotations

	sysctls := keyValues(hc.Sysctls, "HostConfig.Sysctls")
	if nc != nil {
		nets := make([]string, 0, len(nc.EndpointsConfig))
		for n := range nc.EndpointsConfig {
			nets = append(nets, n)
		}
		sort.Strings(nets)
		for _, n := range nets {
			if ep := nc.EndpointsConfig[n]; ep != nil {
				sysctls = append(sysctls, endpointSysctls(ep.DriverOpts, n, fmt.Sprintf("NetworkingConfig.EndpointsConfig[%q].DriverOpts", n))...)
			}
		}
	}
	facts.Sysctls = sysctls

	// Below API 1.44 the daemon makes every read-only bind non-recursive
	// (submounts stay writable), as all daemons did before Docker 25.
	if !honours(req, "1.44") {
		for i := range facts.Mounts {
			if m := &facts.Mounts[i]; m.Type == "bind" && m.ReadOnly && m.ReadOnlyNonRecursive != nil {
				*m.ReadOnlyNonRecursive = true
			}
		}
	}
}

// connectFacts are the facts of a network connect: the endpoint's sysctls.
func connectFacts(b *network.ConnectRequest) *input.Facts {
	sysctls := []input.KeyValue{}
	if b.EndpointConfig != nil {
		if s := endpointSysctls(b.EndpointConfig.DriverOpts, "", "EndpointConfig.DriverOpts"); s != nil {
			sysctls = s
		}
	}
	return &input.Facts{Sysctls: sysctls}
}

// endpointSysctls lists the sysctls of one endpoint's driver options, split
// as libnetwork splits them: entries on ",", name and value on the first
// "=".
func endpointSysctls(opts map[string]string, network, p string) []input.KeyValue {
	raw, ok := opts[endpointSysctlsKey]
	if !ok {
		return nil
	}
	out := []input.KeyValue{}
	for _, e := range strings.Split(raw, ",") {
		name, value, _ := strings.Cut(e, "=")
		out = append(out, input.KeyValue{
			Name: name, Value: value, Raw: &e, Endpoint: true, Network: &network,
			Path: p + "[" + fmt.Sprintf("%q", endpointSysctlsKey) + "]",
		})
	}
	return out
}

// keyValues lists a string map in key order, each entry with its path.
func keyValues(m map[string]string, p string) []input.KeyValue {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]input.KeyValue, 0, len(keys))
	for _, k := range keys {
		out = append(out, input.KeyValue{Key: &k, Name: k, Value: m[k], Path: fmt.Sprintf("%s[%q]", p, k)})
	}
	return out
}

// cdiDevices lists the device IDs of a request that reach the daemon's CDI
// driver as fully-qualified CDI names: every ID of the "cdi" driver, and,
// for the other drivers, an ID that holds "=" (vendor.com/class=name), which
// the daemon's CDI-backed GPU drivers (Docker 29.2) pass through as they are.
func cdiDevices(r container.DeviceRequest) []string {
	out := []string{}
	for _, id := range r.DeviceIDs {
		if r.Driver == "cdi" || strings.Contains(id, "=") {
			out = append(out, id)
		}
	}
	return out
}
