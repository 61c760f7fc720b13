package front

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
	"golang.org/x/net/http2"
)

// recorder is a guard that remembers what it was handed and denies any
// request whose body or target mentions "Privileged".
type recorder struct {
	mu       sync.Mutex
	reqs     []authorization.Request
	res      []authorization.Request
	refusals []string
}

func (g *recorder) AuthZReq(r authorization.Request) authorization.Response {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, r)
	if bytes.Contains(r.RequestBody, []byte("Privileged")) || strings.Contains(r.RequestURI, "Privileged") {
		return verdict.Deny(verdict.New("DG-PRIV-001", "privileged containers are not allowed", "HostConfig.Privileged"))
	}
	return verdict.Allow()
}

func (g *recorder) AuthZRes(r authorization.Request) authorization.Response {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.res = append(g.res, r)
	return verdict.Allow()
}

func (g *recorder) Refuse(r authorization.Request, vs ...verdict.Violation) authorization.Response {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refusals = append(g.refusals, strings.Join(verdict.IDs(vs), ","))
	return verdict.Deny(vs...)
}

func (g *recorder) last(t *testing.T) authorization.Request {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.reqs) == 0 {
		t.Fatal("the guard was never asked")
	}
	return g.reqs[len(g.reqs)-1]
}

// upstream is a fake daemon on a unix socket: it records each request as
// it arrived (target, headers, body) and answers with handler.
type upstream struct {
	sock  string
	mu    sync.Mutex
	seen  []seenRequest
	conns int
}

type seenRequest struct {
	Target string
	Header http.Header
	Body   []byte
	Chunk  bool
}

func startUpstream(t testing.TB, handler http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{sock: filepath.Join(t.TempDir(), "docker.sock")}
	l, err := net.Listen("unix", u.sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body []byte
			// A hijacking handler reads its own body.
			if r.Header.Get("Upgrade") == "" && !strings.Contains(r.URL.Path, "/start") {
				body, _ = io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			u.mu.Lock()
			u.seen = append(u.seen, seenRequest{Target: r.RequestURI, Header: r.Header.Clone(), Body: body, Chunk: len(r.TransferEncoding) > 0})
			u.mu.Unlock()
			handler(w, r)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				u.mu.Lock()
				u.conns++
				u.mu.Unlock()
			}
		},
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return u
}

func (u *upstream) requests() []seenRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seenRequest(nil), u.seen...)
}

func (u *upstream) connections() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conns
}

// startFront serves a front for u judged by g; it returns the front's socket.
func startFront(t testing.TB, g Guard, u *upstream) string {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	f, err := New(g, Options{Upstream: u.sock}, log)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "front.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go f.Serve(l)
	t.Cleanup(func() { l.Close() })
	return sock
}

// raw sends the bytes of a request as written and returns the connection
// and a reader positioned at the answer.
func raw(t *testing.T, sock, req string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// roundTrip sends a raw request and reads the answer in full.
func roundTrip(t *testing.T, sock, req string) (*http.Response, string) {
	t.Helper()
	_, br := raw(t, sock, req)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

// TestRequestAsDockerdBuildsIt checks the AuthZ request against dockerd's
// pkg/authorization rules, case by case.
func TestRequestAsDockerdBuildsIt(t *testing.T) {
	cases := []struct {
		name string
		req  string
		want authorization.Request
	}{
		{
			name: "headers flattened, last value wins, credentials dropped",
			req: "GET /v1.41/info HTTP/1.1\r\nHost: docker\r\nX-A: 1\r\nX-A: 2\r\nAuthorization: Basic eA==\r\n" +
				"X-Registry-Auth: secret\r\nX-Registry-Config: secret\r\nUser-Agent: Docker-Client/29\r\n\r\n",
			want: authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/info",
				RequestHeaders: map[string]string{"X-A": "2", "User-Agent": "Docker-Client/29"}},
		},
		{
			name: "the raw target: percent-encoding and query untouched",
			req:  "GET /v1.41/containers/%63reate?all=1&all=0 HTTP/1.1\r\nHost: docker\r\n\r\n",
			want: authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/%63reate?all=1&all=0", RequestHeaders: map[string]string{}},
		},
		{
			name: "absolute-form target kept as sent",
			req:  "GET http://docker/v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n",
			want: authorization.Request{RequestMethod: "GET", RequestURI: "http://docker/v1.41/info", RequestHeaders: map[string]string{}},
		},
		{
			name: "JSON body with parameters and any case is judged",
			req:  "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: Application/JSON; charset=utf-8\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}",
			want: authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create", RequestBody: []byte(`{"Image":"x"}`),
				RequestHeaders: map[string]string{"Content-Type": "Application/JSON; charset=utf-8", "Content-Length": "13"}},
		},
		{
			name: "chunked JSON body is read and judged",
			req: "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"5\r\n{\"Ima\r\n8\r\nge\":\"x\"}\r\n0\r\n\r\n",
			want: authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create", RequestBody: []byte(`{"Image":"x"}`),
				RequestHeaders: map[string]string{"Content-Type": "application/json"}},
		},
		{
			name: "non-JSON body is not handed over",
			req:  "POST /v1.41/build HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 3\r\n\r\ntar",
			want: authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/build",
				RequestHeaders: map[string]string{"Content-Type": "application/x-tar", "Content-Length": "3"}},
		},
		{
			name: "the first Content-Type decides, as dockerd's header.Get",
			req:  "POST /v1.41/build HTTP/1.1\r\nHost: docker\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
			want: authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/build",
				RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": "2"}},
		},
		{
			name: "login credentials are never handed over",
			req:  "POST /v1.41/auth HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
			want: authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/auth",
				RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": "2"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &recorder{}
			u := startUpstream(t, ok)
			sock := startFront(t, g, u)
			resp, body := roundTrip(t, sock, tc.req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if diff := cmp.Diff(tc.want, g.last(t)); diff != "" {
				t.Errorf("AuthZ request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestForwardsExactlyWhatWasJudged: the daemon gets the target byte for
// byte and the very body the guard judged.
func TestForwardsExactlyWhatWasJudged(t *testing.T) {
	atLimit := `{"Image":"x","Labels":{"pad":"` + strings.Repeat("x", DefaultBodyLimit-len(`{"Image":"x","Labels":{"pad":""}}`)) + `"}}`
	cases := []struct{ name, req, target, body string }{
		{"percent-encoded path", "POST /v1.41/containers/%63reate?name=a%2Fb HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}",
			"/v1.41/containers/%63reate?name=a%2Fb", `{"Image":"x"}`},
		{"absolute form", "POST http://docker/v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}",
			"http://docker/v1.41/containers/create", `{"Image":"x"}`},
		{"chunked JSON", "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Ima\r\n8\r\nge\":\"x\"}\r\n0\r\n\r\n",
			"/v1.41/containers/create", `{"Image":"x"}`},
		{"trailing data after the JSON value", "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"Image\":\"x\"} {}\n",
			"/v1.41/containers/create", "{\"Image\":\"x\"} {}\n"},
		{"JSON body of exactly the limit", fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", DefaultBodyLimit, atLimit),
			"/v1.41/containers/create", atLimit},
		{"tar build context streams unjudged", "POST /v1.41/build?t=x HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 9\r\n\r\ntar-bytes",
			"/v1.41/build?t=x", "tar-bytes"},
		{"chunked archive (docker cp)", "PUT /v1.41/containers/c/archive?path=/tmp HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntar\r\n4\r\n-cp!\r\n0\r\n\r\n",
			"/v1.41/containers/c/archive?path=/tmp", "tar-cp!"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &recorder{}
			u := startUpstream(t, ok)
			sock := startFront(t, g, u)
			resp, body := roundTrip(t, sock, tc.req)
			if resp.StatusCode != 200 || body != `{"ok":true}` {
				t.Fatalf("answer %d %q", resp.StatusCode, body)
			}
			got := u.requests()
			if len(got) != 1 {
				t.Fatalf("daemon got %d requests, want 1", len(got))
			}
			if got[0].Target != tc.target || string(got[0].Body) != tc.body {
				t.Errorf("daemon got %q with body %q, want %q with %q", got[0].Target, got[0].Body, tc.target, tc.body)
			}
			if j := g.last(t).RequestBody; j != nil && !bytes.Equal(j, got[0].Body) {
				t.Errorf("judged %q but forwarded %q", j, got[0].Body)
			}
		})
	}
}

// TestRefusedNeverReachesTheDaemon: a denial is the daemon's error shape,
// and the daemon is never even connected to.
func TestRefusedNeverReachesTheDaemon(t *testing.T) {
	big := `{"Image":"x","Labels":{"pad":"` + strings.Repeat("x", DefaultBodyLimit) + `"}}`
	cases := []struct{ name, req, wantMsg, refusal string }{
		{"policy denial", "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 39\r\n\r\n{\"HostConfig\":{\"Privileged\":true}}     ",
			"authorization denied by dood-guard: [DG-PRIV-001] privileged containers are not allowed (HostConfig.Privileged)", ""},
		{"JSON body over the limit", fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(big), big),
			"authorization denied by dood-guard: [DG-BODY-001] the JSON request body is over 4194304 bytes", "DG-BODY-001"},
		{"chunked JSON body over the limit", fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(big), big),
			"authorization denied by dood-guard: [DG-BODY-001]", "DG-BODY-001"},
		{"h2c upgrade (BuildKit session)", "POST /session HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
			"authorization denied by dood-guard: [DG-REQ-003] HTTP/2 is refused by the socket front", "DG-REQ-003"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &recorder{}
			u := startUpstream(t, ok)
			sock := startFront(t, g, u)
			resp, body := roundTrip(t, sock, tc.req)
			if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(body, `{"message":"`+tc.wantMsg) {
				t.Errorf("answer %d %s %q, want 403 application/json starting %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.wantMsg)
			}
			if n := u.connections(); n != 0 {
				t.Errorf("the daemon was connected to %d times; a refused request must never reach it", n)
			}
			if tc.refusal != "" && (len(g.refusals) != 1 || g.refusals[0] != tc.refusal) {
				t.Errorf("refusals logged: %v, want [%s]", g.refusals, tc.refusal)
			}
		})
	}
}

// TestHTTP2PrefaceRefused: a client opening with the HTTP/2 preface (gRPC
// to BuildKit on Docker 29) gets GOAWAY HTTP_1_1_REQUIRED with the reason.
func TestHTTP2PrefaceRefused(t *testing.T) {
	g := &recorder{}
	u := startUpstream(t, ok)
	sock := startFront(t, g, u)
	_, br := raw(t, sock, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
	fr := http2.NewFramer(io.Discard, br)
	f1, err := fr.ReadFrame()
	if err != nil || f1.Header().Type.String() != "SETTINGS" {
		t.Fatalf("first frame %v, %v; want SETTINGS", f1, err)
	}
	f2, err := fr.ReadFrame()
	if err != nil {
		t.Fatalf("second frame: %v", err)
	}
	ga, isGoAway := f2.(*http2.GoAwayFrame)
	if !isGoAway || ga.ErrCode != http2.ErrCodeHTTP11Required || !strings.Contains(string(ga.DebugData()), "[DG-REQ-003] HTTP/2 is refused") {
		t.Errorf("got %v, want GOAWAY HTTP_1_1_REQUIRED naming DG-REQ-003", f2)
	}
	if n := u.connections(); n != 0 {
		t.Errorf("the daemon was connected to %d times", n)
	}
}

// TestHijackedStreams: attach/exec over an upgraded connection, and the
// raw-stream 200 older clients get, carry stdin and stdout both ways, with
// the client's half-close passed on.
func TestHijackedStreams(t *testing.T) {
	daemon := func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(io.LimitReader(r.Body, r.ContentLength)) // the exec start body
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		if r.Header.Get("Upgrade") != "" {
			io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		} else {
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n")
		}
		in, _ := io.ReadAll(brw) // stdin until the client half-closes
		io.WriteString(conn, "echo:"+strings.ToUpper(string(in)))
	}
	for _, upgrade := range []bool{true, false} {
		t.Run(fmt.Sprintf("upgrade=%v", upgrade), func(t *testing.T) {
			g := &recorder{}
			u := startUpstream(t, daemon)
			sock := startFront(t, g, u)
			hdr := ""
			if upgrade {
				hdr = "Connection: Upgrade\r\nUpgrade: tcp\r\n"
			}
			body := `{"Detach":false,"Tty":false}`
			c, br := raw(t, sock, fmt.Sprintf("POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%shello ", hdr, len(body), body))
			resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
			if err != nil {
				t.Fatal(err)
			}
			wantStatus := 200
			if upgrade {
				wantStatus = 101
			}
			if resp.StatusCode != wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, wantStatus)
			}
			io.WriteString(c, "world")
			c.(*net.UnixConn).CloseWrite()
			out, _ := io.ReadAll(br)
			if string(out) != "echo:HELLO WORLD" {
				t.Errorf("stream gave %q, want %q", out, "echo:HELLO WORLD")
			}
			if got := string(g.last(t).RequestBody); got != body {
				t.Errorf("judged body %q, want %q", got, body)
			}
		})
	}
}

// TestStreamsAreFlushed: logs -f, events and stats reach the client as the
// daemon writes them, not when the stream ends.
func TestStreamsAreFlushed(t *testing.T) {
	release := make(chan struct{})
	daemon := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"start"}`+"\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, `{"status":"die"}`+"\n")
	}
	g := &recorder{}
	u := startUpstream(t, daemon)
	sock := startFront(t, g, u)
	_, br := raw(t, sock, "GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	close(release)
	if err != nil || line != `{"status":"start"}`+"\n" {
		t.Fatalf("first event %q, %v: want it before the stream ends", line, err)
	}
}

// TestResponsePhase: the guard is told how the daemon answered, as dockerd
// tells a plugin after its handler.
func TestResponsePhase(t *testing.T) {
	g := &recorder{}
	u := startUpstream(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	sock := startFront(t, g, u)
	resp, _ := roundTrip(t, sock, "POST /v1.41/containers/abc/start HTTP/1.1\r\nHost: docker\r\n\r\n")
	if resp.StatusCode != 204 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The handler returns after answering; give it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		n := len(g.res)
		g.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.res) != 1 || g.res[0].ResponseStatusCode != 204 || g.res[0].RequestURI != "/v1.41/containers/abc/start" {
		t.Errorf("response phase got %+v", g.res)
	}
}

// TestTLSUserIsTheCertificateCN: dockerd makes a TLS client certificate's
// common name the user, with "TLS" as the method.
func TestTLSUserIsTheCertificateCN(t *testing.T) {
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: "ci-runner"}}
	r, _ := http.NewRequestWithContext(context.Background(), "GET", "/v1.41/info", nil)
	r.RequestURI = "/v1.41/info"
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	req, _, err := authzRequest(r, DefaultBodyLimit)
	if err != nil {
		t.Fatal(err)
	}
	if req.User != "ci-runner" || req.UserAuthNMethod != "TLS" || len(req.RequestPeerCertificates) != 1 {
		t.Errorf("user %q method %q certs %d, want ci-runner TLS 1", req.User, req.UserAuthNMethod, len(req.RequestPeerCertificates))
	}
}
