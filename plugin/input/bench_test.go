package input_test

import (
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/route"
)

// staged builds the documents of the staged golden requests
// (goldenhttp.Staged) as the guard does, without state.
func staged(tb testing.TB) map[string]*input.Document {
	tb.Helper()
	reqs, err := goldenhttp.ReadStaged("../guard/testdata")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]*input.Document{}
	for name, r := range reqs {
		m, err := route.Parse(r.RequestMethod, r.RequestURI)
		if err != nil {
			tb.Fatal(err)
		}
		req := normalize.Request{Phase: "request", Method: r.RequestMethod, Path: m.Path, Endpoint: m.Endpoint,
			Params: m.Params, Query: m.Query, APIVersion: "1.41", APIVersionGiven: true, APIVersionSupported: true}
		var body any
		if len(r.RequestBody) > 0 {
			if body, err = decode.Body(m.Endpoint, r.RequestBody); err != nil {
				tb.Fatal(err)
			}
		}
		doc, err := normalize.Input(req, body, normalize.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = doc
	}
	return out
}

// BenchmarkValue is the conversion of a document to the value OPA
// evaluates (the body is already one: it passes through).
func BenchmarkValue(b *testing.B) {
	docs := staged(b)
	for _, name := range goldenhttp.Staged {
		doc := docs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := input.Value(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
