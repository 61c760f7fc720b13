package normalize

import (
	"fmt"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/moby/moby/api/types/container"
)

// containerFacts derives what the daemon will do with a HostConfig. A nil
// HostConfig (a create body without one) still yields facts, so that rules
// can rely on their presence.
func containerFacts(hc *container.HostConfig, apiVersion string, opts Options) (*input.Facts, error) {
	if hc == nil {
		hc = &container.HostConfig{NetworkMode: "default"}
	}
	mounts, err := containerMounts(hc, opts)
	if err != nil {
		return nil, err
	}
	add, drop := capabilities(hc.CapAdd, "HostConfig.CapAdd"), capabilities(hc.CapDrop, "HostConfig.CapDrop")
	secOpts := securityOptions(hc.SecurityOpt)
	return &input.Facts{
		Privileged:        &input.BoolFact{Value: hc.Privileged, Path: "HostConfig.Privileged"},
		Mounts:            mounts,
		VolumesFrom:       indexed(hc.VolumesFrom, "HostConfig.VolumesFrom"),
		Capabilities:      &input.Capabilities{Add: add, Drop: drop},
		Seccomp:           seccompFact(secOpts, add, drop),
		Namespaces:        namespaces(hc, apiVersion, opts),
		Devices:           devices(hc.Devices),
		DeviceCgroupRules: indexed(hc.DeviceCgroupRules, "HostConfig.DeviceCgroupRules"),
		DeviceRequests:    deviceRequests(hc.DeviceRequests),
		SecurityOptions:   secOpts,
		Runtime:           fact(hc.Runtime, "HostConfig.Runtime"),
		CgroupParent:      fact(hc.CgroupParent, "HostConfig.CgroupParent"),
		MaskedPaths:       pathList(hc.MaskedPaths, "HostConfig.MaskedPaths"),
		ReadonlyPaths:     pathList(hc.ReadonlyPaths, "HostConfig.ReadonlyPaths"),
		RestartPolicy:     fact(string(hc.RestartPolicy.Name), "HostConfig.RestartPolicy.Name"),
	}, nil
}

// pathList keeps the distinction the daemon makes: null means the default
// list, an empty list means nothing masked.
func pathList(vs []string, p string) *input.PathList {
	return &input.PathList{Set: vs != nil, Value: nonNil(vs), Path: p}
}

func namespaces(hc *container.HostConfig, apiVersion string, opts Options) *input.Namespaces {
	cgroup := string(hc.CgroupnsMode)
	// Old clients get the host cgroup namespace by default on cgroup v1 hosts.
	if cgroup == "" && opts.CgroupV1 && apiVersion != "" && route.CompareVersions(apiVersion, "1.41") < 0 {
		cgroup = "host"
	}
	return &input.Namespaces{
		Pid:     input.Namespace{Mode: string(hc.PidMode), Path: "HostConfig.PidMode"},
		Network: input.Namespace{Mode: string(hc.NetworkMode), Path: "HostConfig.NetworkMode"},
		Ipc:     input.Namespace{Mode: string(hc.IpcMode), Path: "HostConfig.IpcMode"},
		Uts:     input.Namespace{Mode: string(hc.UTSMode), Path: "HostConfig.UTSMode"},
		User:    input.Namespace{Mode: string(hc.UsernsMode), Path: "HostConfig.UsernsMode"},
		Cgroup:  input.Namespace{Mode: cgroup, Path: "HostConfig.CgroupnsMode"},
	}
}

func devices(ds []container.DeviceMapping) []input.Device {
	out := make([]input.Device, 0, len(ds))
	for i, d := range ds {
		out = append(out, input.Device{
			PathOnHost:      d.PathOnHost,
			PathInContainer: d.PathInContainer,
			Permissions:     d.CgroupPermissions,
			Path:            fmt.Sprintf("HostConfig.Devices[%d]", i),
		})
	}
	return out
}

// deviceRequests lists HostConfig.DeviceRequests (--gpus): devices the
// runtime's hook hands the container.
func deviceRequests(rs []container.DeviceRequest) []input.DeviceRequest {
	out := make([]input.DeviceRequest, 0, len(rs))
	for i, r := range rs {
		caps := make([][]string, 0, len(r.Capabilities))
		for _, and := range r.Capabilities {
			caps = append(caps, nonNil(and))
		}
		out = append(out, input.DeviceRequest{
			Driver: r.Driver, Count: r.Count, DeviceIDs: nonNil(r.DeviceIDs), Capabilities: caps,
			CDIDevices: cdiDevices(r),
			Path:       fmt.Sprintf("HostConfig.DeviceRequests[%d]", i),
		})
	}
	return out
}

// securityOptions splits SecurityOpt entries the way the daemon's
// parseSecurityOpt does: bare "no-new-privileges", "writable-cgroups"
// (Docker 28) and "disable", then
// "key=value", then the legacy "key:value". Unparsable entries keep an
// empty key so a policy can refuse them.
func securityOptions(opts []string) []input.SecurityOption {
	out := make([]input.SecurityOption, 0, len(opts))
	for i, o := range opts {
		var k, v string
		switch {
		case o == "no-new-privileges", o == "writable-cgroups":
			k, v = o, "true"
		case o == "disable":
			k, v = "label", "disable"
		case strings.Contains(o, "="):
			k, v, _ = strings.Cut(o, "=")
		case strings.Contains(o, ":"):
			k, v, _ = strings.Cut(o, ":")
		default:
			v = o
		}
		out = append(out, input.SecurityOption{Key: k, Value: v, Raw: o, Path: fmt.Sprintf("HostConfig.SecurityOpt[%d]", i)})
	}
	return out
}
