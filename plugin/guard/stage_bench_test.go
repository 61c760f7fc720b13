package guard

import (
	"context"
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize"
)

// The Go side of the decision path, per stage, on the staged golden
// requests (goldenhttp.Staged). Each stage has its benchmark in the package
// that implements it:
//
//   - BenchmarkRead (here): route and decode (Guard.read: plugin/route,
//     plugin/decode);
//   - BenchmarkInput (plugin/normalize): the document, facts and the body
//     as an OPA value;
//   - BenchmarkValue (plugin/input): the document converted to the value
//     OPA evaluates;
//   - BenchmarkGoSide (here): all of it, as Guard.evaluate runs it before
//     the policy: read, normalise, look the state up, convert.
//
// Run: go test -run '^$' -bench 'Read|GoSide|Input|Value' -benchmem ./plugin/guard/ ./plugin/normalize/ ./plugin/input/

func BenchmarkRead(b *testing.B) {
	g := newTestGuard(b)
	l := g.policy.Load()
	reqs, err := goldenhttp.ReadStaged("testdata")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range goldenhttp.Staged {
		req := reqs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, vs := g.read(req, l.versions); len(vs) > 0 {
					b.Fatal(vs)
				}
			}
		})
	}
}

func BenchmarkGoSide(b *testing.B) {
	g := newTestGuard(b)
	l := g.policy.Load()
	reqs, err := goldenhttp.ReadStaged("testdata")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range goldenhttp.Staged {
		req := reqs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				nreq, body, vs := g.read(req, l.versions)
				if len(vs) > 0 {
					b.Fatal(vs)
				}
				doc, err := normalize.Input(nreq, body, g.opts.Normalize)
				if err != nil {
					b.Fatal(err)
				}
				st, err := g.lookupState(ctx, l.engine, doc)
				if err != nil {
					b.Fatal(err)
				}
				doc.State = st
				if _, err := input.Value(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
