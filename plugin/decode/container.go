package decode

import (
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// ContainerCreate is a container create body as the daemon ends up using it.
type ContainerCreate struct {
	Config           *container.Config
	HostConfig       *container.HostConfig // effective: nested object, or legacy top-level fields
	NetworkingConfig *network.NetworkingConfig
	// LegacyHostConfig records that HostConfig came from top-level fields,
	// which daemons before v27 honour when the nested object is absent or null.
	LegacyHostConfig bool
}

// createWrapper has the shape of dockerd's ContainerConfigWrapper (runconfig,
// daemons before v27), so that encoding/json resolves keys, case variants,
// duplicates and merged objects exactly as the daemon's decoder does: Config
// and HostConfig fields are both promoted to the top level, and the nested
// "HostConfig" key is a field of its own.
type createWrapper struct {
	*container.Config
	InnerHostConfig       *container.HostConfig     `json:"HostConfig,omitempty"`
	Cpuset                string                    `json:",omitempty"`
	NetworkingConfig      *network.NetworkingConfig `json:"NetworkingConfig,omitempty"`
	*container.HostConfig                           // legacy top-level HostConfig fields
}

// effectiveHostConfig picks the HostConfig the daemon applies: the nested
// one wins when present (taking a few legacy scalars it lacks), otherwise
// the top-level fields do.
func (w *createWrapper) effectiveHostConfig() (hc *container.HostConfig, legacy bool) {
	top, inner := w.HostConfig, w.InnerHostConfig
	switch {
	case inner == nil:
		hc, legacy = top, top != nil
	case top != nil:
		if inner.Memory == 0 {
			inner.Memory = top.Memory
		}
		if inner.MemorySwap == 0 {
			inner.MemorySwap = top.MemorySwap
		}
		if inner.CPUShares == 0 {
			inner.CPUShares = top.CPUShares
		}
		if inner.CpusetCpus == "" {
			inner.CpusetCpus = top.CpusetCpus
		}
		if inner.VolumeDriver == "" {
			inner.VolumeDriver = top.VolumeDriver
		}
		hc = inner
	default:
		hc = inner
	}
	if hc != nil {
		if w.Cpuset != "" && hc.CpusetCpus == "" {
			hc.CpusetCpus = w.Cpuset
		}
		if hc.NetworkMode == "" {
			hc.NetworkMode = "default"
		}
	}
	return hc, legacy
}

func decodeContainerCreate(body []byte) (any, error) {
	w, err := decodeFirst[createWrapper](body)
	if err != nil {
		return nil, err
	}
	hc, legacy := w.effectiveHostConfig()
	cfg := w.Config
	if cfg == nil {
		cfg = &container.Config{}
	}
	return &ContainerCreate{Config: cfg, HostConfig: hc, NetworkingConfig: w.NetworkingConfig, LegacyHostConfig: legacy}, nil
}

// ContainerStart is the HostConfig body that daemons accept on
// POST /containers/{id}/start for API versions below 1.24.
type ContainerStart struct {
	HostConfig       *container.HostConfig
	LegacyHostConfig bool
}

// decodeContainerStart reads the start body with the same wrapper as create:
// that is what the daemon does, so both `{"Privileged":true}` and
// `{"HostConfig":{"Privileged":true}}` take effect.
func decodeContainerStart(body []byte) (any, error) {
	w, err := decodeFirst[createWrapper](body)
	if err != nil {
		return nil, err
	}
	hc, legacy := w.effectiveHostConfig()
	return &ContainerStart{HostConfig: hc, LegacyHostConfig: legacy}, nil
}
