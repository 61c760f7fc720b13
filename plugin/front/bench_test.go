package front

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/verdict"
)

// BenchmarkFrontOverhead measures what the front adds to one request on
// a kept-alive connection: direct to a fake daemon, then through the front
// (with a guard that answers at once, so the figure is the front's own
// cost: parsing, building the AuthZ request, a new daemon connection,
// relaying).
func BenchmarkFrontOverhead(b *testing.B) {
	for _, via := range []string{"direct", "front"} {
		b.Run(via, func(b *testing.B) {
			u := startUpstream(b, ok)
			sock := u.sock
			if via == "front" {
				sock = startFront(b, allowAll{}, u)
			}
			c, err := net.Dial("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req := []byte("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}")
			b.ResetTimer()
			for range b.N {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// allowAll is a guard that allows everything and remembers nothing.
type allowAll struct{}

func (allowAll) AuthZReq(authorization.Request) authorization.Response { return verdict.Allow() }
func (allowAll) AuthZRes(authorization.Request) authorization.Response { return verdict.Allow() }
func (allowAll) Refuse(_ authorization.Request, vs ...verdict.Violation) authorization.Response {
	return verdict.Deny(vs...)
}
