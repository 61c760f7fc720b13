package guard

import (
	"context"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
)

// BenchmarkDecide measures the request phase in process: route, decode,
// normalise, evaluate and build the answer.
func BenchmarkDecide(b *testing.B) {
	cases := []struct {
		name string
		req  authorization.Request
	}{
		{"ping", authorization.Request{RequestMethod: "HEAD", RequestURI: "/_ping"}},
		{"container-list", authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/json?all=1"}},
		{"container-inspect", authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/abc/json"}},
		{"benign-create", benchReq(b, "benign-cli-create")},
		{"violating-create", benchReq(b, "attack-legacy-top-level-hostconfig")},
		{"exec-create", benchReq(b, "benign-exec-nonroot")},
	}
	g := newTestGuard(b)
	ctx := context.Background()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Decide(ctx, c.req)
			}
		})
	}
}

func benchReq(b *testing.B, name string) authorization.Request {
	b.Helper()
	return readHTTP(b, "testdata/"+name+".http")
}
