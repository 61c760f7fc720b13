package front

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"golang.org/x/net/http2"
)

// writeDenial answers as dockerd answers a plugin's denial: 403 with the
// daemon's own error document, so every client shows it as it shows one
// from a plugin ("authorization denied by <name>: [ID] ...").
func (f *Front) writeDenial(w http.ResponseWriter, res authorization.Response) {
	writeError(w, http.StatusForbidden, "authorization denied by "+f.opts.Name+": "+res.Msg)
}

// writeError writes dockerd's error shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Message string `json:"message"`
	}{msg})
}

// http2Violation is why HTTP/2 is refused: on Docker 29.2 and later an
// HTTP/2 request with Content-Type application/grpc goes to BuildKit past
// the router and every authorization check. The front judges HTTP/1.1 only,
// so it passes none on.
var http2Violation = verdict.New(verdict.NotHTTP1,
	"HTTP/2 is refused by the socket front: only HTTP/1.1 requests are judged (HTTP/2 gRPC reaches BuildKit past every authorization check)", "")

// h2cUpgrade reports whether the request asks to switch to HTTP/2 in
// cleartext: BuildKit's /session and /grpc streams ask so.
func h2cUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for tok := range strings.SplitSeq(v, ",") {
			if p := strings.ToLower(strings.TrimSpace(tok)); strings.HasPrefix(p, "h2") {
				return true
			}
		}
	}
	return r.Header.Get("HTTP2-Settings") != ""
}

// refuseHTTP2Preface answers a client that opened with the HTTP/2
// connection preface ("PRI * HTTP/2.0"). It speaks HTTP/2 and would not read
// an HTTP/1.1 answer, so it gets one in its own protocol: the server's
// SETTINGS, then GOAWAY with HTTP_1_1_REQUIRED and the reason as debug
// data, which HTTP/2 clients (gRPC's included) print.
func (f *Front) refuseHTTP2Preface(w http.ResponseWriter, r *http.Request) {
	res := f.guard.Refuse(baseRequest(r), http2Violation)
	msg := "authorization denied by " + f.opts.Name + ": " + res.Msg
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, http.StatusHTTPVersionNotSupported, msg)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	bw := bufio.NewWriter(conn)
	fr := http2.NewFramer(bw, nil)
	if fr.WriteSettings() != nil || fr.WriteGoAway(0, http2.ErrCodeHTTP11Required, []byte(msg)) != nil || bw.Flush() != nil {
		return
	}
	// Half-close and drain what the client still sends (the rest of the
	// preface, its SETTINGS, its first request): closing a TCP connection
	// with unread data resets it, and the client may lose the answer.
	closeWrite(conn)
	_, _ = io.Copy(io.Discard, brw)
}
