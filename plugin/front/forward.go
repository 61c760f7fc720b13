package front

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// forward sends the allowed request to the daemon and relays its answer,
// returning the status and headers the response phase is told about.
// Each request gets its own connection to the daemon: a hijacked stream
// then owns it, and nothing from one client can be read as part of
// another's request.
func (f *Front) forward(w http.ResponseWriter, r *http.Request, body []byte) (int, http.Header) {
	up, err := net.DialTimeout("unix", f.opts.Upstream, 10*time.Second)
	if err != nil {
		f.log.WithError(err).Error("socket front: cannot reach the daemon")
		writeError(w, http.StatusBadGateway, "the socket front cannot reach the daemon: "+err.Error())
		return http.StatusBadGateway, w.Header()
	}
	defer up.Close()
	// A body that streams (a build context, a copied archive) is read
	// from the client while the daemon answers.
	_ = http.NewResponseController(w).EnableFullDuplex()
	sent := make(chan error, 1)
	go func() { sent <- writeRequest(up, r, body) }()

	br := bufio.NewReaderSize(up, 32<<10)
	resp, err := readResponse(br, r.Method)
	if err != nil {
		if werr := drain(sent); werr != nil {
			err = fmt.Errorf("%w (sending the request: %v)", err, werr)
		}
		f.log.WithError(err).Error("socket front: no answer from the daemon")
		writeError(w, http.StatusBadGateway, "the socket front got no answer from the daemon: "+err.Error())
		return http.StatusBadGateway, w.Header()
	}
	if hijacked(resp) {
		f.splice(w, up, br, resp, sent)
		return resp.StatusCode, resp.Header
	}
	defer resp.Body.Close()
	copyResponse(w, resp)
	return resp.StatusCode, resp.Header
}

// drain returns the writer's error if it has finished, nil if not.
func drain(sent chan error) error {
	select {
	case err := <-sent:
		return err
	default:
		return nil
	}
}

// writeRequest writes the request to the daemon as the client sent it: the
// same method, the same request target byte for byte (percent-encoding,
// absolute form and query untouched), every header with every value, and
// the body — the judged bytes when the guard read it, the client's stream
// otherwise. Only the framing may change: a judged body goes with its
// Content-Length.
func writeRequest(w io.Writer, r *http.Request, judged []byte) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	host := r.Host
	if host == "" {
		host = "docker" // HTTP/1.1 needs one; an HTTP/1.0 client may send none
	}
	fmt.Fprintf(bw, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, r.RequestURI, host)
	h := r.Header.Clone()
	hadLength := h.Get("Content-Length") != ""
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	if err := h.Write(bw); err != nil {
		return err
	}
	var body io.Reader
	chunked := false
	switch {
	case judged != nil:
		fmt.Fprintf(bw, "Content-Length: %d\r\n", len(judged))
	case r.ContentLength > 0:
		fmt.Fprintf(bw, "Content-Length: %d\r\n", r.ContentLength)
		body = io.LimitReader(r.Body, r.ContentLength)
	case r.ContentLength < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		body, chunked = r.Body, true
	case hadLength:
		bw.WriteString("Content-Length: 0\r\n")
	}
	bw.WriteString("\r\n")
	switch {
	case judged != nil:
		bw.Write(judged)
	case chunked:
		cw := httputil.NewChunkedWriter(bw)
		if err := copyFlushing(cw, body, bw); err != nil {
			return err
		}
		cw.Close()
		bw.WriteString("\r\n")
	case body != nil:
		if err := copyFlushing(bw, body, bw); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// copyFlushing copies a streamed body, flushing after each read so a slow
// producer's bytes are not held back.
func copyFlushing(dst io.Writer, src io.Reader, bw *bufio.Writer) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			if werr := bw.Flush(); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read request body: %w", err)
		}
	}
}

// readResponse reads the daemon's answer, past interim 1xx answers other
// than 101 Switching Protocols (a client's Expect: 100-continue was
// answered by the front's own server).
func readResponse(br *bufio.Reader, method string) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		return resp, nil
	}
}

// copyResponse relays a framed answer: status, headers, body. An answer of
// unknown length is a stream (logs -f, events, stats, build and pull
// progress): every read is flushed to the client at once.
func copyResponse(w http.ResponseWriter, resp *http.Response) {
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	stream := resp.ContentLength < 0
	if stream {
		_ = rc.Flush()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if stream {
				if rc.Flush() != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// newErrorLog routes the HTTP server's own complaints (a client's TLS
// handshake failing, say) to the log at debug level.
func newErrorLog(l logrus.FieldLogger) *log.Logger {
	return log.New(logWriter{l}, "", 0)
}

type logWriter struct{ l logrus.FieldLogger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Debug("socket front: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
