package front

import (
	"bufio"
	"io"
	"mime"
	"net"
	"net/http"
)

// hijacked reports whether the daemon took the connection over for a raw
// stream: 101 Switching Protocols (attach and exec start with
// "Upgrade: tcp", attach over websocket), or, for a client that did not ask
// to upgrade, a 200 with a docker stream media type and no framing at all
// (dockerd writes that head itself and then owns the connection).
func hijacked(resp *http.Response) bool {
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return true
	}
	if resp.StatusCode != http.StatusOK || resp.ContentLength >= 0 || len(resp.TransferEncoding) > 0 {
		return false
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return mt == "application/vnd.docker.raw-stream" || mt == "application/vnd.docker.multiplexed-stream"
}

// splice joins the client's connection to the daemon's once the daemon has
// hijacked its end: the answer's head goes to the client as the daemon
// wrote it, then bytes flow both ways until the daemon closes. A client
// closing its sending side (stdin at EOF) is passed on as a half-close, as
// the daemon expects.
func (f *Front) splice(w http.ResponseWriter, up net.Conn, upr *bufio.Reader, resp *http.Response, sent chan error) {
	// The request (and its judged body) must be on the wire before any of
	// the client's stream bytes follow it.
	if err := <-sent; err != nil {
		f.log.WithError(err).Error("socket front: sending a hijacked request to the daemon failed")
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, http.StatusInternalServerError, "the socket front cannot hijack this connection")
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		f.log.WithError(err).Error("socket front: hijacking the client connection failed")
		return
	}
	defer conn.Close()
	brw.WriteString("HTTP/1.1 " + resp.Status + "\r\n")
	resp.Header.Write(brw)
	brw.WriteString("\r\n")
	if err := brw.Flush(); err != nil {
		return
	}
	go func() {
		// Bytes the client sent after the request (stdin) may already sit
		// in the server's buffer: brw.Reader yields them first.
		io.Copy(up, brw.Reader)
		closeWrite(up)
	}()
	io.Copy(conn, upr)
	closeWrite(conn)
}

// closeWrite half-closes a connection that supports it.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
