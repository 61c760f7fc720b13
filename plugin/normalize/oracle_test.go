package normalize

import (
	"testing"

	"github.com/docker/docker/api/types/container"
)

// dockerHostConfig is dockerd 20.10's HostConfig, as its decoder returns it.
type dockerHostConfig = container.HostConfig

// The reference decoder reads what dockerd reads, including the shapes
// plugin/decode must match: legacy top-level HostConfig fields, keys in any
// case, the first of two HostConfig objects merged with the second.
func TestDockerdDecoderIsTheReference(t *testing.T) {
	for body, privileged := range map[string]bool{
		`{"HostConfig":{"Privileged":true}}`:                                    true,
		`{"hostconfig":{"privileged":true}}`:                                    true,
		`{"Privileged":true}`:                                                   true,
		`{"Privileged":true,"HostConfig":{}}`:                                   false,
		`{"HostConfig":{"Privileged":true}}{"HostConfig":{"Privileged":false}}`: true,
	} {
		hc, ok := dockerdDecode([]byte(body))
		if !ok {
			t.Fatalf("%s: dockerd's decoder refused it", body)
		}
		if hc.Privileged != privileged {
			t.Errorf("%s: dockerd reads Privileged=%v, want %v", body, hc.Privileged, privileged)
		}
	}
	if _, ok := dockerdDecode([]byte(`{"HostConfig":`)); ok {
		t.Error("a truncated body decoded")
	}
}
