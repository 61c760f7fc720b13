package front

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/http/httpguts"
)

// FuzzForwardIsWhatWasJudged: for any request Go's server accepts, the
// request the front writes to the daemon parses back (as the daemon's own
// Go server parses it) to the same method, target, headers and — when the
// guard judged a body — that very body.
func FuzzForwardIsWhatWasJudged(f *testing.F) {
	for _, s := range []string{
		"POST /v1.41/containers/%63reate?x=1 HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
		"POST http://docker/v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		"PUT /v1.41/containers/c/archive?path=/ HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 3\r\n\r\ntar",
		"GET /v1.41/info HTTP/1.1\r\nHost: docker\r\nX-A: 1\r\nX-A: 2\r\nAuthorization: x\r\n\r\n",
		"POST /v1.41/build HTTP/1.1\r\nHost: docker\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
		"POST /v1.41/exec/x/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil || r.ProtoMajor != 1 || !serverAccepts(r) {
			return // Go's server would not hand it to the front either
		}
		req, judged, err := authzRequest(r, 1<<16)
		if err != nil {
			return // refused: nothing is forwarded
		}
		if (judged != nil) != sendBody(r.RequestURI, r.Header) || !bytes.Equal(judged, req.RequestBody) {
			t.Fatalf("judged body %q, request body %q, sendBody %v", judged, req.RequestBody, sendBody(r.RequestURI, r.Header))
		}
		for k := range req.RequestHeaders {
			if strings.EqualFold(k, "Authorization") || strings.HasPrefix(strings.ToLower(k), "x-registry-") {
				t.Fatalf("credential header %q handed to the guard", k)
			}
		}
		var wire bytes.Buffer
		if err := writeRequest(&wire, r, judged); err != nil {
			return // the client's own body failed to read
		}
		got, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			t.Fatalf("the daemon could not parse what the front wrote: %v\n%q", err, wire.Bytes())
		}
		if got.Method != r.Method || got.RequestURI != r.RequestURI {
			t.Fatalf("forwarded %s %s, judged %s %s", got.Method, got.RequestURI, r.Method, r.RequestURI)
		}
		if diff := cmp.Diff(flatten(r.Header), flatten(got.Header), ignoreFraming); diff != "" {
			t.Fatalf("headers (-judged +forwarded):\n%s", diff)
		}
		body, _ := io.ReadAll(got.Body)
		if judged != nil && !bytes.Equal(body, judged) {
			t.Fatalf("forwarded body %q, judged %q", body, judged)
		}
	})
}

// serverAccepts applies the checks Go's server makes after parsing a
// request (net/http's readRequest): valid header names and values, a valid
// Host.
func serverAccepts(r *http.Request) bool {
	for k, vs := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return false
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	return httpguts.ValidHostHeader(r.Host)
}

// ignoreFraming leaves out Content-Length, the one header the front may
// change (a judged chunked body goes with its length).
var ignoreFraming = cmp.FilterPath(func(p cmp.Path) bool {
	mi, ok := p.Last().(cmp.MapIndex)
	return ok && mi.Key().String() == "Content-Length"
}, cmp.Ignore())
