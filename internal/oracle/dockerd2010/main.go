// Command dockerd2010 is the fuzz oracle of plugin/normalize: dockerd
// 20.10's own create decoder (runconfig.ContainerDecoder, what POST
// /containers/create calls), read from the module source. It is a module of
// its own because dockerd 20.10's dependencies (containerd/cgroups v1) do
// not build against the OCI runtime spec the product needs; the tests talk
// to it over stdin and stdout, one request a line:
//
//	in:  base64 of a create body
//	out: {"ok":true,"hostconfig":{...}} or {"ok":false}
//
// It is a test tool: nothing in the product imports it.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/sysinfo"
	"github.com/docker/docker/runconfig"
)

type answer struct {
	OK         bool                  `json:"ok"`
	HostConfig *container.HostConfig `json:"hostconfig,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	dec := runconfig.ContainerDecoder{GetSysInfo: func() *sysinfo.SysInfo { return &sysinfo.SysInfo{} }}
	for in.Scan() {
		body, err := base64.StdEncoding.DecodeString(in.Text())
		var a answer
		if err == nil {
			_, hc, _, derr := dec.DecodeConfig(bytes.NewReader(body))
			if derr == nil && hc != nil {
				a = answer{OK: true, HostConfig: hc}
			}
		}
		if err := enc.Encode(a); err != nil {
			fmt.Fprintln(os.Stderr, "dockerd2010:", err)
			os.Exit(1)
		}
		out.Flush()
	}
}
