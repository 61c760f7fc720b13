package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/moby/moby/api/types/container"
	"github.com/sirupsen/logrus"
)

// The benchmarks measure what one API call costs the guard, in process.
//
//   - BenchmarkDecide: the request pipeline alone (route, decode,
//     normalise, evaluate, answer), from an authorization.Request.
//   - BenchmarkDecideAfterIdle: the same for calls that each arrive after
//     an idle pause (as end to end), beside the same calls back to back.
//   - BenchmarkAuthZ: the plugin's HTTP handler (Guard.Handler, what
//     Serve runs) for each call, without the network: the AuthZ request
//     JSON decoded (base64 body and all in the request phase; only the
//     method and URI in the response phase), AuthZReq or AuthZRes, the
//     decision log line (JSON sink, discarded), the answer encoded.
//   - BenchmarkHandler: the same over a unix socket and a kept-alive
//     connection, as dockerd calls it, beside "noop": go-plugins-helpers'
//     authorization handler around a plugin that allows everything (the
//     floor, as internal/tools/noop-authz).
//
// Each runs the request phase (req) and the response phase (res) of:
// HEAD /_ping, GET /_ping, GET /containers/json, GET /containers/{id}/json
// (the same id, and a distinct id per iteration), the docker CLI's benign
// create, a violating create, and an exec create. A case repeats one
// request, which the guard answers from the outcomes it remembers (memo.go);
// its "-new" twin (uncached, for inspect) makes every iteration a request
// not seen before, so the whole pipeline runs each time. BenchmarkDecide
// and BenchmarkDecideAfterIdle also run a CI job's create (ciCreateCases):
// a new container name each call, and a new workspace path as well.

type benchCase struct {
	name string
	req  authorization.Request
	// distinct, when set, gives each iteration its own request, one the
	// guard has not seen (and so not remembered).
	distinct func(i int) authorization.Request
}

func benchCases(b *testing.B) []benchCase {
	inspect := func(id string) authorization.Request {
		return authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/" + id + "/json", RequestHeaders: map[string]string{}}
	}
	return []benchCase{
		{name: "ping-head", req: authorization.Request{RequestMethod: "HEAD", RequestURI: "/_ping", RequestHeaders: map[string]string{}}},
		{name: "ping-get", req: authorization.Request{RequestMethod: "GET", RequestURI: "/_ping", RequestHeaders: map[string]string{}}},
		{name: "container-list", req: authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/json?all=1", RequestHeaders: map[string]string{}}},
		{name: "inspect-cached", req: inspect("abc")},
		{name: "inspect-uncached", req: inspect("abc"), distinct: func(i int) authorization.Request { return inspect("c" + strconv.Itoa(i)) }},
		{name: "benign-create", req: benchReq(b, "benign-cli-create")},
		renamed(benchReq(b, "benign-cli-create"), "benign-create-new"),
		{name: "violating-create", req: benchReq(b, "attack-legacy-top-level-hostconfig")},
		renamed(benchReq(b, "attack-legacy-top-level-hostconfig"), "violating-create-new"),
		{name: "exec-create", req: benchReq(b, "benign-exec-nonroot")},
		renamed(benchReq(b, "benign-exec-nonroot"), "exec-create-new"),
	}
}

// renamed gives each iteration its own request by changing a query
// parameter the policy does not judge: the pipeline runs every time, as
// for a request the guard has not seen under this policy.
func renamed(req authorization.Request, name string) benchCase {
	return benchCase{name: name, req: req, distinct: func(i int) authorization.Request {
		r := req
		sep := "?"
		if strings.Contains(r.RequestURI, "?") {
			sep = "&"
		}
		r.RequestURI += sep + "bench=" + strconv.Itoa(i)
		return r
	}}
}

// seq numbers the distinct requests across every run of a benchmark
// function (the framework may call one several times), so that a "-new"
// request is never one the guard has seen.
var seq atomic.Int64

func (c benchCase) at(i int) authorization.Request {
	if c.distinct != nil {
		return c.distinct(i)
	}
	return c.req
}

// benchGuard serves the embedded policy and logs every decision with the
// JSON sink, as `dood-guard serve` does by default, to nowhere.
func benchGuard(b *testing.B) *Guard {
	g := newTestGuard(b)
	sink := decisionlog.NewJSON(io.Discard, decisionlog.JSONOptions{Filter: decisionlog.All})
	b.Cleanup(func() { sink.Close() })
	g.SetDecisionLog(sink)
	return g
}

// ciCreateCases are the create a CI job sends for each of its containers:
// the docker CLI's body with a workspace bind and a named volume
// (testdata/benign-cli-create.http: -v /srv/ci/workspace:/workspace
// -v cache:/cache). Every call is one the guard has not seen.
//
//   - ci-create-new-name: only the container name changes (?name=job-N),
//     as when every job names its containers afresh;
//   - ci-create-new-workspace: the workspace bind's source changes as well
//     (/srv/ci/ws-N), as when every job has its own checkout directory: a
//     create shape with a host path the guard has not resolved before.
//
// Building the request costs the iteration one URI string and, for the
// workspace case, one copy of the body (about 3 KiB): 1–2 of the allocations
// reported.
func ciCreateCases(tb testing.TB) []benchCase {
	base := readHTTP(tb, "testdata/benign-cli-create.http")
	const ws = "/srv/ci/workspace:/workspace"
	if !bytes.Contains(base.RequestBody, []byte(ws)) || !strings.Contains(base.RequestURI, "?name=ci-job") {
		tb.Fatalf("testdata/benign-cli-create.http no longer binds %s as ?name=ci-job", ws)
	}
	named := func(i int) authorization.Request {
		r := base
		r.RequestURI = strings.Replace(base.RequestURI, "?name=ci-job", "?name=job-"+strconv.Itoa(i), 1)
		return r
	}
	return []benchCase{
		{name: "ci-create-new-name", req: base, distinct: named},
		{name: "ci-create-new-workspace", req: base, distinct: func(i int) authorization.Request {
			r := named(i)
			r.RequestBody = bytes.Replace(base.RequestBody, []byte(ws), []byte("/srv/ci/ws-"+strconv.Itoa(i)+":/workspace"), 1)
			return r
		}},
	}
}

// BenchmarkDecide measures the request pipeline in process: route, decode,
// normalise, evaluate and build the answer.
func BenchmarkDecide(b *testing.B) {
	g := newTestGuard(b)
	ctx := context.Background()
	for _, c := range append(benchCases(b), ciCreateCases(b)...) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Decide(ctx, c.at(int(seq.Add(1))))
			}
		})
	}
}

// idlePause is how long the guard idles before each call of
// BenchmarkDecideAfterIdle: about the gap between two calls of one CI job
// (dockerd's own work between them), long enough for the guard's caches and
// the CPU's to go cold on a machine that runs other things.
const idlePause = 5 * time.Millisecond

// BenchmarkDecideAfterIdle measures the same pipeline as BenchmarkDecide
// for a call that arrives after an idle pause, as calls do end to end,
// beside the same calls back to back (pause=0). Each call is timed on its
// own, the pauses excluded: ns/op is the mean decision time, p50-ns and
// p90-ns its median and 90th percentile. (b.StopTimer is not used: it reads
// the runtime's memory statistics, stopping the world, just before the
// call it would time.) allocs/op and B/op count the whole iteration, the
// pause included (it allocates nothing).
func BenchmarkDecideAfterIdle(b *testing.B) {
	g := newTestGuard(b)
	ctx := context.Background()
	var cases []benchCase
	for _, c := range benchCases(b) {
		switch c.name {
		case "ping-get", "inspect-uncached", "benign-create-new":
			cases = append(cases, c)
		}
	}
	for _, c := range append(cases, ciCreateCases(b)...) {
		for _, pause := range []time.Duration{0, idlePause} {
			b.Run(fmt.Sprintf("%s/pause=%v", c.name, pause), func(b *testing.B) {
				// Allocated before the loop, so not counted: the first
				// calls' times, enough for the percentiles.
				lat := latencies{kept: make([]time.Duration, 0, 1<<16)}
				b.ReportAllocs()
				for b.Loop() {
					if pause > 0 {
						time.Sleep(pause)
					}
					req := c.at(int(seq.Add(1)))
					t := time.Now()
					g.Decide(ctx, req)
					lat.add(time.Since(t))
				}
				lat.report(b)
			})
		}
	}
}

// latencies collects the times of single calls: the sum and count of all,
// the first cap(kept) for the percentiles.
type latencies struct {
	sum  time.Duration
	n    int
	kept []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.sum += d
	l.n++
	if len(l.kept) < cap(l.kept) {
		l.kept = append(l.kept, d)
	}
}

// report replaces ns/op with the mean of the calls' own times and adds
// their median and 90th percentile.
func (l *latencies) report(b *testing.B) {
	if l.n == 0 {
		return
	}
	slices.Sort(l.kept)
	b.ReportMetric(float64(l.sum)/float64(l.n), "ns/op")
	b.ReportMetric(float64(l.kept[len(l.kept)/2]), "p50-ns")
	b.ReportMetric(float64(l.kept[len(l.kept)*9/10]), "p90-ns")
}

// BenchmarkAuthZ measures the plugin's HTTP handler (Guard.Handler, what
// Serve runs) for one call without the network: decode the AuthZ request
// JSON, decide, log, encode the answer. (httptest's request and recorder
// add about a microsecond.)
func BenchmarkAuthZ(b *testing.B) {
	h := benchGuard(b).Handler()
	for _, phase := range []string{"req", "res"} {
		for _, c := range benchCases(b) {
			b.Run(phase+"/"+c.name, func(b *testing.B) {
				bodies := encodeRequests(b, c, phase)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					authzCall(h, phase, bodies[i%len(bodies)])
					i++
				}
			})
		}
	}
}

// encodeRequests prepares the JSON dockerd sends for a case: one body, or
// a rotation of distinct ones for the uncached cases. In the response phase
// dockerd adds the status, the headers and, for a JSON answer it still
// holds, the answer itself: an inspect answer here for the GET cases.
func encodeRequests(b *testing.B, c benchCase, phase string) [][]byte {
	n := 1
	if c.distinct != nil {
		n = 1 << 16
	}
	out := make([][]byte, n)
	for i := range out {
		r := c.at(i)
		if phase == "res" {
			r.ResponseStatusCode = 200
			r.ResponseHeaders = map[string]string{"Content-Type": "application/json", "Api-Version": "1.41"}
			if r.RequestMethod == "GET" && r.RequestURI != "/_ping" {
				r.ResponseBody = inspectAnswer(b)
			}
		}
		raw, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = raw
	}
	return out
}

// inspectAnswer is a container inspect answer as dockerd returns it for
// the docker CLI's create (about 4 KiB of JSON).
func inspectAnswer(b *testing.B) []byte {
	b.Helper()
	v, err := decode.Body("container.create", benchReq(b, "benign-cli-create").RequestBody)
	if err != nil {
		b.Fatal(err)
	}
	c := v.(*decode.ContainerCreate)
	raw, err := json.Marshal(container.InspectResponse{
		ID: strings.Repeat("0123456789abcdef", 4), Created: "2024-01-01T00:00:00.000000000Z",
		Path: "echo", Args: []string{"hi"}, State: &container.State{Status: "created"},
		Image: "sha256:" + strings.Repeat("ab", 32), Name: "/ci-job", Driver: "overlay2",
		Platform: "linux", HostConfig: c.HostConfig, Config: c.Config,
		NetworkSettings: &container.NetworkSettings{},
	})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// authzCall posts one AuthZ call to h, as dockerd does, and returns the
// answer's body.
func authzCall(h http.Handler, phase string, body []byte) []byte {
	path := "/AuthZPlugin.AuthZReq"
	if phase == "res" {
		path = "/AuthZPlugin.AuthZRes"
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", path, bytes.NewReader(body)))
	return w.Body.Bytes()
}

// noop allows everything: the floor any plugin pays.
type noop struct{}

func (noop) AuthZReq(authorization.Request) authorization.Response {
	return authorization.Response{Allow: true}
}
func (noop) AuthZRes(authorization.Request) authorization.Response {
	return authorization.Response{Allow: true}
}

// BenchmarkHandler calls the real plugin handler over a unix socket, as
// dockerd does, for the guard and for a no-op plugin.
func BenchmarkHandler(b *testing.B) {
	for _, p := range []struct {
		name  string
		serve func(net.Listener) error
	}{{"noop", authorization.NewHandler(noop{}).Serve}, {"guard", benchGuard(b).Serve}} {
		client, stop := serveUnix(b, p.serve)
		for _, phase := range []string{"req", "res"} {
			for _, c := range benchCases(b) {
				b.Run(p.name+"/"+phase+"/"+c.name, func(b *testing.B) {
					bodies := encodeRequests(b, c, phase)
					path := "/AuthZPlugin.AuthZReq"
					if phase == "res" {
						path = "/AuthZPlugin.AuthZRes"
					}
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						resp, err := client.Post("http://plugin"+path, "application/json", bytes.NewReader(bodies[i%len(bodies)]))
						if err != nil {
							b.Fatal(err)
						}
						var res authorization.Response
						if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
							b.Fatalf("status %d: %v", resp.StatusCode, err)
						}
						resp.Body.Close()
						i++
					}
				})
			}
		}
		stop()
	}
}

// BenchmarkDecisionLog is the one structured line an allowed decision
// costs with `--log-decisions all` (the default): "json" is the JSON sink
// `--log-format json` (the default) uses, "logrus" the same line through
// logrus's JSONFormatter, as before the sink. "discard" formats the line
// only; "file" also writes it to a file, as `dood-guard serve 2>>log` does
// (the JSON sink batches allowed lines, so most calls write nothing).
func BenchmarkDecisionLog(b *testing.B) {
	g := newTestGuard(b)
	out := g.Decide(context.Background(), benchReq(b, "benign-cli-create"))
	f, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sinks := []struct {
		name string
		open func(io.Writer) (decisionlog.Sink, func())
	}{
		{"json", func(w io.Writer) (decisionlog.Sink, func()) {
			s := decisionlog.NewJSON(w, decisionlog.JSONOptions{Filter: decisionlog.All})
			return s, func() { s.Close() }
		}},
		{"logrus", func(w io.Writer) (decisionlog.Sink, func()) {
			log := logrus.New()
			log.SetOutput(w)
			log.SetFormatter(&logrus.JSONFormatter{})
			return decisionlog.NewLogrus(log, decisionlog.All), func() {}
		}},
	}
	for _, sink := range sinks {
		for _, w := range []struct {
			name string
			out  io.Writer
		}{{"discard", io.Discard}, {"file", f}} {
			b.Run(sink.name+"/"+w.name, func(b *testing.B) {
				s, closeSink := sink.open(w.out)
				defer closeSink()
				g.SetDecisionLog(s)
				b.ReportAllocs()
				for b.Loop() {
					g.logDecision(out, 42)
				}
			})
		}
	}
}

// BenchmarkResponseDecode: what reading the response-phase request costs
// the handler. "full" is go-plugins-helpers' decode into
// authorization.Request (both bodies base64-decoded); "lean" reads only the
// fields AuthZRes looks at, as a handler of its own could.
func BenchmarkResponseDecode(b *testing.B) {
	req := benchReq(b, "benign-cli-create")
	req.RequestURI = "/v1.41/containers/abc/json"
	req.RequestMethod = "GET"
	req.RequestBody = nil
	for _, c := range []struct {
		name string
		body []byte
	}{{"inspect", inspectAnswer(b)}, {"create", nil}} {
		r := req
		if c.body == nil {
			r = benchReq(b, "benign-cli-create")
		} else {
			r.ResponseBody = c.body
		}
		r.ResponseStatusCode = 200
		raw, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/full", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var req authorization.Request
				d := json.NewDecoder(bytes.NewReader(raw))
				d.UseNumber()
				if err := d.Decode(&req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/lean", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var req struct {
					RequestMethod string
					RequestURI    string `json:"RequestUri"`
				}
				if err := json.Unmarshal(raw, &req); err != nil || req.RequestURI == "" {
					b.Fatal(err)
				}
			}
		})
	}
}

func serveUnix(b *testing.B, serve func(net.Listener) error) (*http.Client, func()) {
	sock := filepath.Join(b.TempDir(), "p.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	go serve(l)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 16,
	}
	return &http.Client{Transport: tr}, func() { tr.CloseIdleConnections(); l.Close() }
}

func benchReq(b *testing.B, name string) authorization.Request {
	b.Helper()
	return readHTTP(b, "testdata/"+name+".http")
}

// TestBenchCasesDecide keeps the benchmark cases honest: each decides as
// the golden files say (benign allowed, violating denied).
func TestBenchCasesDecide(t *testing.T) {
	g := newTestGuard(t)
	for _, c := range []struct {
		file  string
		allow bool
	}{{"benign-cli-create", true}, {"attack-legacy-top-level-hostconfig", false}, {"benign-exec-nonroot", true}} {
		r := g.Decide(context.Background(), readHTTP(t, "testdata/"+c.file+".http")).Response
		if r.Allow != c.allow {
			t.Errorf("%s: allow = %v, want %v (%s)", c.file, r.Allow, c.allow, r.Msg)
		}
	}
	for _, c := range ciCreateCases(t) {
		for _, i := range []int{1, 2} {
			if r := g.Decide(context.Background(), c.at(i)).Response; !r.Allow {
				t.Errorf("%s #%d: denied: %s", c.name, i, r.Msg)
			}
		}
	}
	out := authzCall(g.Handler(), "req", mustJSON(t, authorization.Request{RequestMethod: "HEAD", RequestURI: "/_ping"}))
	if string(out) != "{\"Allow\":true}\n" {
		t.Errorf("ping answer = %q", out)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// BenchmarkMetricsCost: what --metrics-addr adds to a decision, on a
// remembered request (the cheapest, so the relative cost is the largest)
// and on a denied create with a rule violation to count.
func BenchmarkMetricsCost(b *testing.B) {
	for _, req := range []struct {
		name string
		r    authorization.Request
	}{
		{"list-remembered", jsonReq("GET", "/v1.41/containers/json", "")},
		{"privileged-create-remembered", jsonReq("POST", "/v1.41/containers/create", `{"Image":"x","HostConfig":{"Privileged":true}}`)},
	} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/metrics=%v", req.name, on), func(b *testing.B) {
				g := benchGuard(b)
				if on {
					g.SetMetrics(metrics.New(metrics.Build{}))
				}
				b.ReportAllocs()
				for b.Loop() {
					g.AuthZReq(req.r)
				}
			})
		}
	}
}
