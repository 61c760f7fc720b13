package normalize

import (
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/route"
)

// staged routes and decodes the staged golden requests
// (goldenhttp.Staged) as the guard does, for the benchmarks of the later
// stages.
func staged(tb testing.TB) map[string]struct {
	req  Request
	body any
} {
	tb.Helper()
	reqs, err := goldenhttp.ReadStaged("../guard/testdata")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]struct {
		req  Request
		body any
	}{}
	for name, r := range reqs {
		m, err := route.Parse(r.RequestMethod, r.RequestURI)
		if err != nil {
			tb.Fatal(err)
		}
		req := Request{Phase: "request", Method: r.RequestMethod, Path: m.Path, Endpoint: m.Endpoint,
			Params: m.Params, Query: m.Query, APIVersion: "1.41", APIVersionGiven: true, APIVersionSupported: true}
		var body any
		if len(r.RequestBody) > 0 {
			if body, err = decode.Body(m.Endpoint, r.RequestBody); err != nil {
				tb.Fatal(err)
			}
		}
		out[name] = struct {
			req  Request
			body any
		}{req, body}
	}
	return out
}

// BenchmarkInput is the normalising stage: the document, the facts and the
// body as an OPA value (plugin/guard's stage_bench_test.go lists the
// others).
func BenchmarkInput(b *testing.B) {
	reqs := staged(b)
	for _, name := range goldenhttp.Staged {
		r := reqs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Input(r.req, r.body, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
