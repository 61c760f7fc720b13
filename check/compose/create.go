package compose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// containerCreate is one service's container create: the body, the
// container name, and for each request field the compose key it came from
// (keys relative to the service, e.g. "volumes[2]", "privileged").
type containerCreate struct {
	Name    string
	Body    container.CreateRequest
	Origins map[string]string // request field path → compose key
}

// serviceCreate maps a service to the create docker compose sends for its
// first replica (the others differ only in name and number).
func serviceCreate(p *types.Project, s types.ServiceConfig) (containerCreate, error) {
	cc := containerCreate{Name: containerName(p, s), Origins: map[string]string{}}
	origin := func(field, key string) { cc.Origins[field] = key }

	if s.UseAPISocket {
		// apiSocket.go: use_api_socket binds the daemon's socket.
		s.Volumes = append(s.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeBind,
			Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"})
	}
	binds, mounts, err := volumes(p, s, origin)
	if err != nil {
		return cc, err
	}
	tmpfs := map[string]string{}
	for _, t := range s.Tmpfs {
		k, v, _ := strings.Cut(t, ":")
		tmpfs[k] = v
	}
	secOpts, unconfined, err := securityOpts(p, s.SecurityOpt)
	if err != nil {
		return cc, err
	}
	var dns []netip.Addr
	for _, d := range s.DNS {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return cc, fmt.Errorf("service %s: invalid DNS address %q: %w", s.Name, d, err)
		}
		dns = append(dns, a)
	}
	netMode, netCfg := networking(p, s)

	cfg := &container.Config{
		Hostname:     s.Hostname,
		Domainname:   s.DomainName,
		User:         s.User,
		Tty:          s.Tty,
		OpenStdin:    s.StdinOpen,
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          []string(s.Command),
		Entrypoint:   []string(s.Entrypoint),
		Image:        imageName(p, s),
		WorkingDir:   s.WorkingDir,
		Env:          env(s.Environment),
		Labels:       labels(p, s),
		StopSignal:   s.StopSignal,
	}
	hc := &container.HostConfig{
		Annotations:    s.Annotations,
		Binds:          binds,
		Mounts:         mounts,
		CapAdd:         s.CapAdd,
		CapDrop:        s.CapDrop,
		NetworkMode:    container.NetworkMode(netMode),
		Init:           s.Init,
		IpcMode:        container.IpcMode(serviceRef(p, s.Ipc)),
		CgroupnsMode:   container.CgroupnsMode(s.Cgroup),
		ReadonlyRootfs: s.ReadOnly,
		RestartPolicy:  restartPolicy(s),
		ShmSize:        int64(s.ShmSize),
		Sysctls:        s.Sysctls,
		Resources:      resources(s),
		VolumeDriver:   s.VolumeDriver,
		VolumesFrom:    volumesFrom(p, s.VolumesFrom),
		DNS:            dns,
		DNSSearch:      s.DNSSearch,
		DNSOptions:     s.DNSOpts,
		ExtraHosts:     s.ExtraHosts.AsList(":"),
		SecurityOpt:    secOpts,
		StorageOpt:     s.StorageOpt,
		UsernsMode:     container.UsernsMode(s.UserNSMode),
		UTSMode:        container.UTSMode(s.Uts),
		Privileged:     s.Privileged,
		PidMode:        container.PidMode(serviceRef(p, s.Pid)),
		Tmpfs:          tmpfs,
		Isolation:      container.Isolation(s.Isolation),
		Runtime:        s.Runtime,
		GroupAdd:       s.GroupAdd,
		OomScoreAdj:    int(s.OomScoreAdj),
	}
	if s.Logging != nil {
		hc.LogConfig = container.LogConfig{Type: s.Logging.Driver, Config: s.Logging.Options}
	}
	if unconfined {
		hc.MaskedPaths, hc.ReadonlyPaths = []string{}, []string{}
	}
	cc.Body = container.CreateRequest{Config: cfg, HostConfig: hc, NetworkingConfig: netCfg}

	for field, key := range map[string]string{
		"Image": "image", "Cmd": "command", "Entrypoint": "entrypoint", "User": "user", "Env": "environment",
		"Labels": "labels", "Hostname": "hostname", "WorkingDir": "working_dir",
		"HostConfig.Privileged": "privileged", "HostConfig.CapAdd": "cap_add", "HostConfig.CapDrop": "cap_drop",
		"HostConfig.NetworkMode": "network_mode", "HostConfig.IpcMode": "ipc", "HostConfig.PidMode": "pid",
		"HostConfig.UTSMode": "uts", "HostConfig.UsernsMode": "userns_mode", "HostConfig.CgroupnsMode": "cgroup",
		"HostConfig.CgroupParent": "cgroup_parent", "HostConfig.SecurityOpt": "security_opt",
		"HostConfig.MaskedPaths": "security_opt", "HostConfig.ReadonlyPaths": "security_opt",
		"HostConfig.Devices": "devices", "HostConfig.DeviceCgroupRules": "device_cgroup_rules",
		"HostConfig.DeviceRequests": "gpus", "HostConfig.Sysctls": "sysctls", "HostConfig.Runtime": "runtime",
		"HostConfig.Tmpfs": "tmpfs", "HostConfig.VolumesFrom": "volumes_from", "HostConfig.VolumeDriver": "volume_driver",
		"HostConfig.GroupAdd": "group_add", "HostConfig.OomScoreAdj": "oom_score_adj", "HostConfig.ShmSize": "shm_size",
		"HostConfig.ReadonlyRootfs": "read_only", "HostConfig.Init": "init", "HostConfig.StorageOpt": "storage_opt",
		"HostConfig.Isolation": "isolation", "HostConfig.Annotations": "annotations", "HostConfig.LogConfig": "logging",
		"HostConfig.Ulimits": "ulimits", "HostConfig.PidsLimit": "pids_limit", "HostConfig.RestartPolicy": "restart",
		"HostConfig.Dns": "dns", "HostConfig.ExtraHosts": "extra_hosts", "NetworkingConfig": "networks",
	} {
		if _, ok := cc.Origins[field]; !ok {
			origin(field, key)
		}
	}
	if s.Deploy != nil && s.Deploy.Resources.Reservations != nil && len(s.Deploy.Resources.Reservations.Devices) > 0 && len(s.Gpus) == 0 {
		origin("HostConfig.DeviceRequests", "deploy.resources.reservations.devices")
	}
	return cc, nil
}

// containerName is the name compose gives a service's first container.
func containerName(p *types.Project, s types.ServiceConfig) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return p.Name + "-" + s.Name + "-1"
}

// imageName is api.GetImageNameOrDefault: the image, or the one compose
// builds, named project-service.
func imageName(p *types.Project, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return p.Name + "-" + s.Name
}

// serviceRef turns "service:x" (network_mode, ipc, pid) into the
// container: reference compose sends (resolveSharedNamespaces sends x's
// container ID; its name designates the same container).
func serviceRef(p *types.Project, mode string) string {
	if name, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
		if s, err := p.GetService(name); err == nil {
			return types.ContainerPrefix + containerName(p, s)
		}
		return types.ContainerPrefix + p.Name + "-" + name + "-1"
	}
	return mode
}

// volumesFrom is resolveVolumeFrom: "container:x[:mode]" becomes x, a
// service name its container (compose drops the mode either way).
func volumesFrom(p *types.Project, from []string) []string {
	var out []string
	for _, v := range from {
		spec := strings.Split(v, ":")
		if spec[0] == "container" && len(spec) > 1 {
			out = append(out, spec[1])
			continue
		}
		out = append(out, strings.TrimPrefix(serviceRef(p, types.ServicePrefix+spec[0]), types.ContainerPrefix))
	}
	return out
}

func env(m types.MappingWithEquals) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v == nil {
			out = append(out, k)
		} else {
			out = append(out, k+"="+*v)
		}
	}
	sort.Strings(out)
	return out
}

func labels(p *types.Project, s types.ServiceConfig) map[string]string {
	l := map[string]string{}
	for k, v := range s.Labels {
		l[k] = v
	}
	l["com.docker.compose.project"] = p.Name
	l["com.docker.compose.service"] = s.Name
	l["com.docker.compose.oneoff"] = "False"
	l["com.docker.compose.container-number"] = "1"
	l["com.docker.compose.project.working_dir"] = p.WorkingDir
	l["com.docker.compose.project.config_files"] = strings.Join(p.ComposeFiles, ",")
	return l
}

// restartPolicy is getRestartPolicy.
func restartPolicy(s types.ServiceConfig) container.RestartPolicy {
	var rp container.RestartPolicy
	if s.Restart != "" {
		name, max, _ := strings.Cut(s.Restart, ":")
		rp.Name = container.RestartPolicyMode(name)
		rp.MaximumRetryCount, _ = strconv.Atoi(max)
	}
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		switch s.Deploy.RestartPolicy.Condition {
		case "any":
			rp.Name = container.RestartPolicyAlways
		case "on-failure":
			rp.Name = container.RestartPolicyOnFailure
		case "none":
			rp.Name = container.RestartPolicyDisabled
		default:
			rp.Name = container.RestartPolicyMode(s.Deploy.RestartPolicy.Condition)
		}
		if a := s.Deploy.RestartPolicy.MaxAttempts; a != nil {
			rp.MaximumRetryCount = int(*a)
		}
	}
	return rp
}

// resources is getDeployResources: devices (CDI names as device requests),
// gpus and reserved devices as device requests, limits, ulimits.
func resources(s types.ServiceConfig) container.Resources {
	r := container.Resources{
		CgroupParent:       s.CgroupParent,
		Memory:             int64(s.MemLimit),
		MemorySwap:         int64(s.MemSwapLimit),
		MemoryReservation:  int64(s.MemReservation),
		OomKillDisable:     &s.OomKillDisable,
		CPUCount:           s.CPUCount,
		CPUPeriod:          s.CPUPeriod,
		CPUQuota:           s.CPUQuota,
		CPURealtimePeriod:  s.CPURTPeriod,
		CPURealtimeRuntime: s.CPURTRuntime,
		CPUShares:          s.CPUShares,
		NanoCPUs:           int64(s.CPUS * 1e9),
		CpusetCpus:         s.CPUSet,
		DeviceCgroupRules:  s.DeviceCgroupRules,
	}
	if s.MemSwappiness != 0 {
		v := int64(s.MemSwappiness)
		r.MemorySwappiness = &v
	}
	if s.PidsLimit != 0 {
		r.PidsLimit = &s.PidsLimit
	}
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			if l.MemoryBytes != 0 {
				r.Memory = int64(l.MemoryBytes)
			}
			if l.NanoCPUs != 0 {
				r.NanoCPUs = int64(l.NanoCPUs * 1e9)
			}
			if l.Pids != 0 {
				r.PidsLimit = &l.Pids
			}
		}
		if res := s.Deploy.Resources.Reservations; res != nil {
			if res.MemoryBytes != 0 {
				r.MemoryReservation = int64(res.MemoryBytes)
			}
			for _, d := range res.Devices {
				r.DeviceRequests = append(r.DeviceRequests, container.DeviceRequest{
					Driver: d.Driver, Count: int(d.Count), DeviceIDs: d.IDs,
					Capabilities: [][]string{d.Capabilities}, Options: d.Options,
				})
			}
		}
	}
	var cdi []string
	for _, d := range s.Devices {
		if d.Source == d.Target && isCDIName(d.Source) {
			cdi = append(cdi, d.Source)
			continue
		}
		r.Devices = append(r.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: d.Target, CgroupPermissions: d.Permissions})
	}
	if len(cdi) > 0 {
		r.DeviceRequests = append(r.DeviceRequests, container.DeviceRequest{Driver: "cdi", DeviceIDs: cdi})
	}
	for _, g := range s.Gpus {
		r.DeviceRequests = append(r.DeviceRequests, container.DeviceRequest{
			Driver: g.Driver, Count: int(g.Count), DeviceIDs: g.IDs,
			Capabilities: [][]string{append(g.Capabilities, "gpu")}, Options: g.Options,
		})
	}
	names := make([]string, 0, len(s.Ulimits))
	for n := range s.Ulimits {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u := s.Ulimits[n]
		if u == nil {
			continue
		}
		if u.Single != 0 {
			r.Ulimits = append(r.Ulimits, &container.Ulimit{Name: n, Soft: int64(u.Single), Hard: int64(u.Single)})
		} else {
			r.Ulimits = append(r.Ulimits, &container.Ulimit{Name: n, Soft: int64(u.Soft), Hard: int64(u.Hard)})
		}
	}
	return r
}

// isCDIName says whether a device is a CDI name, vendor.com/class=name (as
// tags.cncf.io/container-device-interface's IsQualifiedName accepts it).
func isCDIName(d string) bool {
	kind, name, ok := strings.Cut(d, "=")
	if !ok || name == "" || strings.HasPrefix(d, "/") {
		return false
	}
	vendor, class, ok := strings.Cut(kind, "/")
	return ok && strings.Contains(vendor, ".") && class != ""
}

// securityOpts is parseSecurityOpts: systempaths=unconfined empties the
// masked and read-only paths; a seccomp profile file is sent inline.
func securityOpts(p *types.Project, opts []string) ([]string, bool, error) {
	var out []string
	unconfined := false
	for _, o := range opts {
		if o == "systempaths=unconfined" {
			unconfined = true
			continue
		}
		k, v, ok := strings.Cut(o, "=")
		if !ok && o != "no-new-privileges" {
			if k, v, ok = strings.Cut(o, ":"); !ok {
				return nil, false, fmt.Errorf("invalid security-opt: %q", o)
			}
		}
		if k == "seccomp" && v != "unconfined" && v != "builtin" {
			f, err := os.ReadFile(relative(p, v))
			if err != nil {
				return nil, false, fmt.Errorf("opening seccomp profile (%s) failed: %w", v, err)
			}
			var b bytes.Buffer
			if err := json.Compact(&b, f); err != nil {
				return nil, false, fmt.Errorf("compacting json for seccomp profile (%s) failed: %w", v, err)
			}
			out = append(out, "seccomp="+b.String())
			continue
		}
		out = append(out, o)
	}
	return out, unconfined, nil
}

func relative(p *types.Project, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.WorkingDir, path)
}

// networking is defaultNetworkSettings: network_mode as given (service:x as
// x's container), else the service's networks by priority, the first as
// the network mode; from API 1.44 every network is in EndpointsConfig.
func networking(p *types.Project, s types.ServiceConfig) (string, *network.NetworkingConfig) {
	if s.NetworkMode != "" {
		return serviceRef(p, s.NetworkMode), nil
	}
	if len(p.Networks) == 0 {
		return "none", nil
	}
	keys := s.NetworksByPriority()
	if len(keys) == 0 {
		keys = []string{"default"}
	}
	eps := map[string]*network.EndpointSettings{}
	for _, k := range keys {
		ep := &network.EndpointSettings{Aliases: []string{s.Name}}
		if c := s.Networks[k]; c != nil {
			ep.Aliases = append(ep.Aliases, c.Aliases...)
			ep.DriverOpts = c.DriverOpts
			ep.GwPriority = c.GatewayPriority
		}
		eps[p.Networks[k].Name] = ep
	}
	return p.Networks[keys[0]].Name, &network.NetworkingConfig{EndpointsConfig: eps}
}
