package guard

import (
	"bytes"
	"context"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
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
//     the policy: read, normalise, look the state up, convert. Its
//     "-unseen" case is the CLI create with a body never sent before
//     (Hostname and workspace path numbered per iteration), where nothing
//     of it is found among the values shared between requests
//     (plugin/normalize/jsonterm's shared.go).
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
	type benchReq struct {
		name string
		next func() authorization.Request
	}
	var cases []benchReq
	for _, name := range goldenhttp.Staged {
		req := reqs[name]
		cases = append(cases, benchReq{name, func() authorization.Request { return req }})
	}
	cases = append(cases, benchReq{"benign-cli-create-unseen", unseen(b, reqs["benign-cli-create"])})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := c.next()
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

// unseen numbers the docker CLI create's Hostname and workspace path anew
// on each call, in place (same length, one buffer): a body, a Config and a
// HostConfig never seen before.
func unseen(b *testing.B, req authorization.Request) func() authorization.Request {
	body := bytes.Replace(req.RequestBody, []byte(`"Hostname":""`), []byte(`"Hostname":"h0000000"`), 1)
	body = bytes.Replace(body, []byte(`/srv/ci/workspace:`), []byte(`/srv/ci/w0000000:`), 1)
	host := bytes.Index(body, []byte(`h0000000`)) + 1
	ws := bytes.Index(body, []byte(`w0000000`)) + 1
	if host == 0 || ws == 0 {
		b.Fatal("the CLI create body has changed: no Hostname or workspace bind to number")
	}
	req.RequestBody = body
	n := 0
	return func() authorization.Request {
		n++
		for i, x := 6, n; i >= 0; i, x = i-1, x/10 {
			body[host+i] = byte('0' + x%10)
			body[ws+i] = byte('0' + x%10)
		}
		return req
	}
}
