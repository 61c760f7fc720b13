// Package decode turns a request body into the typed value dockerd's handler
// would build from it, using encoding/json and moby's API types so that key
// case, Unicode folding, escapes, duplicates and trailing data resolve as
// they do in the daemon.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/moby/moby/api/types/checkpoint"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/volume"
)

// ErrNoDecoder means the endpoint has no body decoder: the guard does not
// know what the handler would read.
var ErrNoDecoder = errors.New("no body decoder for this endpoint")

type decoder func(body []byte) (any, error)

// decoders maps route endpoint names to the type the handler decodes into.
var decoders = map[string]decoder{
	"container.create":   decodeContainerCreate,
	"container.start":    decodeContainerStart,
	"container.update":   into[container.UpdateConfig],
	"container.commit":   into[container.Config],
	"container.copy":     into[CopyConfig],
	"checkpoint.create":  into[checkpoint.CreateRequest],
	"image.push":         into[registry.AuthConfig],
	"exec.create":        into[container.ExecCreateRequest],
	"exec.start":         into[container.ExecStartRequest],
	"volume.create":      into[volume.CreateRequest],
	"volume.update":      into[VolumeUpdate],
	"network.create":     into[network.CreateRequest],
	"network.connect":    into[network.ConnectRequest],
	"network.disconnect": into[network.DisconnectRequest],
	"service.create":     into[ServiceSpec],
	"service.update":     into[ServiceSpec],
	"swarm.init":         into[swarm.InitRequest],
	"swarm.join":         into[swarm.JoinRequest],
	"swarm.update":       into[swarm.Spec],
	"swarm.unlock":       into[swarm.UnlockRequest],
	"node.update":        into[swarm.NodeSpec],
	"secret.create":      into[swarm.SecretSpec],
	"secret.update":      into[swarm.SecretSpec],
	"config.create":      into[swarm.ConfigSpec],
	"config.update":      into[swarm.ConfigSpec],
	"plugin.set":         into[[]string],
	"plugin.pull":        into[plugin.Privileges],
	"plugin.upgrade":     into[plugin.Privileges],
}

// CopyConfig is the body of the legacy POST /containers/{name}/copy.
type CopyConfig struct {
	Resource string
}

// ServiceSpec is a service create/update body: moby's spec plus the
// top-level Networks, which the current API types dropped but daemons (20.10
// to v28) still attach the service to when TaskTemplate.Networks is empty.
type ServiceSpec struct {
	swarm.ServiceSpec
	Networks []swarm.NetworkAttachmentConfig `json:",omitempty"`
}

// VolumeUpdate is the body of PUT /volumes/{name} (cluster volumes).
type VolumeUpdate struct {
	Spec *volume.ClusterVolumeSpec `json:",omitempty"`
}

// Has reports whether the endpoint's body can be decoded.
func Has(endpoint string) bool {
	_, ok := decoders[endpoint]
	return ok
}

// Body decodes the body of a request routed to endpoint.
func Body(endpoint string, body []byte) (any, error) {
	d, ok := decoders[endpoint]
	if !ok {
		return nil, fmt.Errorf("%s: %w", endpoint, ErrNoDecoder)
	}
	v, err := d(body)
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", endpoint, err)
	}
	return v, nil
}

func into[T any](body []byte) (any, error) {
	return decodeFirst[T](body)
}

// decodeFirst reads the first JSON value only, as the daemon's
// json.NewDecoder(r.Body).Decode does: trailing data after it is never seen
// by the handler, so it must not change the decision either.
//
// A body that is one JSON value (the rule: clients send nothing else) is
// decoded with json.Unmarshal, which reads the same bytes with the same
// decoder state as json.Decoder.Decode (no options set) without copying
// the body into a buffer of its own: json.Unmarshal succeeds only when the
// whole body is one value with white space around it, which is then the
// value the Decoder reads first. Any error, trailing data included, sends
// the body to the Decoder, into a fresh value, so that every other body
// (and every error message) is exactly the Decoder's.
func decodeFirst[T any](body []byte) (*T, error) {
	v := new(T)
	if json.Unmarshal(body, v) == nil {
		return v, nil
	}
	v = new(T)
	err := json.NewDecoder(bytes.NewReader(body)).Decode(v)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty body")
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
