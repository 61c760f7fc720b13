package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/checkpoint"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/volume"
)

// decoderOnly is how the daemon reads a body, and how decodeFirst read it
// before its json.Unmarshal path: json.NewDecoder(body).Decode, first value
// only.
func decoderOnly[T any](body []byte) (*T, error) {
	v := new(T)
	err := json.NewDecoder(bytes.NewReader(body)).Decode(v)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty body")
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// sameAsDecoder says how decodeFirst differs from decoderOnly on body, or "".
func sameAsDecoder[T any](body []byte) string {
	got, gerr := decodeFirst[T](body)
	want, werr := decoderOnly[T](body)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		return fmt.Sprintf("error %v, the Decoder's %v", gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("value\n%+v\nthe Decoder's\n%+v", got, want)
	}
	return ""
}

// firstValueTypes is every type decodeFirst reads into, by endpoint.
var firstValueTypes = map[string]func([]byte) string{
	"container.create":   sameAsDecoder[createWrapper],
	"container.start":    sameAsDecoder[createWrapper],
	"container.update":   sameAsDecoder[container.UpdateConfig],
	"container.commit":   sameAsDecoder[container.Config],
	"container.copy":     sameAsDecoder[CopyConfig],
	"checkpoint.create":  sameAsDecoder[checkpoint.CreateRequest],
	"image.push":         sameAsDecoder[registry.AuthConfig],
	"exec.create":        sameAsDecoder[container.ExecCreateRequest],
	"exec.start":         sameAsDecoder[container.ExecStartRequest],
	"volume.create":      sameAsDecoder[volume.CreateRequest],
	"volume.update":      sameAsDecoder[VolumeUpdate],
	"network.create":     sameAsDecoder[network.CreateRequest],
	"network.connect":    sameAsDecoder[network.ConnectRequest],
	"network.disconnect": sameAsDecoder[network.DisconnectRequest],
	"service.create":     sameAsDecoder[ServiceSpec],
	"service.update":     sameAsDecoder[ServiceSpec],
	"swarm.init":         sameAsDecoder[swarm.InitRequest],
	"swarm.join":         sameAsDecoder[swarm.JoinRequest],
	"swarm.update":       sameAsDecoder[swarm.Spec],
	"swarm.unlock":       sameAsDecoder[swarm.UnlockRequest],
	"node.update":        sameAsDecoder[swarm.NodeSpec],
	"secret.create":      sameAsDecoder[swarm.SecretSpec],
	"secret.update":      sameAsDecoder[swarm.SecretSpec],
	"config.create":      sameAsDecoder[swarm.ConfigSpec],
	"config.update":      sameAsDecoder[swarm.ConfigSpec],
	"plugin.set":         sameAsDecoder[[]string],
	"plugin.pull":        sameAsDecoder[plugin.Privileges],
	"plugin.upgrade":     sameAsDecoder[plugin.Privileges],
}

var firstValueSeeds = []string{
	``, ` `, "\n\t", `null`, `{}`, `[]`, `[1]`, `"x"`, `1`, `1x`, `true`,
	`{"Image":"x","HostConfig":{"Privileged":true}}`,
	`{"Image":"x"}{"HostConfig":{"Privileged":true}}`,
	`{"Image":"x","HostConfig":{}} garbage`,
	`{"Image":"x"}` + "\n",
	` {"Image":"x"} `,
	`{"Image":"x"`,
	`{"Image":"x",}`,
	`{"HostConfig":{"Privileged":"yes"}}`,
	`{"HostConfig":{"Privileged":"yes","Binds":["/:/h"]}}`,
	`{"HostConfig":{"Binds":["/:/h"]},"HostConfig":{"Privileged":false}}`,
	`{"hostconfig":{"\u0050rivileged":true},"\u017fecurityOpt":1}`,
	`{"ExposedPorts":{"80/tcp":{},"bad port":{}}}`,
	`{"Cmd":"sh","Entrypoint":["a"],"Healthcheck":{"Interval":"1s"}}`,
	`{"Privileged":true,"HostConfig":null}`,
	`{"Name":"v","DriverOpts":{"o":"bind","device":"/"}}`,
	`["DEBUG=1"]`, `[{"Name":"network","Value":["host"]}]`,
	`{"Memory":1e400}`, `{"Memory":-1.5}`, `{"Name":"\ud800"}`,
}

// The json.Unmarshal path of decodeFirst reads every body as the daemon's
// Decoder does: same value, same error, trailing data and all.
func TestDecodeFirstIsTheDecoder(t *testing.T) {
	for endpoint := range decoders {
		if firstValueTypes[endpoint] == nil {
			t.Errorf("%s: no entry in firstValueTypes", endpoint)
		}
	}
	for endpoint, check := range firstValueTypes {
		for _, body := range firstValueSeeds {
			if diff := check([]byte(body)); diff != "" {
				t.Errorf("%s %q: %s", endpoint, body, diff)
			}
		}
	}
}

func FuzzDecodeFirstIsTheDecoder(f *testing.F) {
	for _, body := range firstValueSeeds {
		f.Add("container.create", []byte(body))
	}
	f.Fuzz(func(t *testing.T, endpoint string, body []byte) {
		check := firstValueTypes[endpoint]
		if check == nil {
			check = firstValueTypes["container.create"]
		}
		if diff := check(body); diff != "" {
			t.Fatalf("%s %q: %s", endpoint, body, diff)
		}
	})
}
