//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rawRequest is sent byte for byte as written here: the request target is
// not cleaned or re-encoded (net/http would normalise percent-encoding,
// absolute-form targets and header spelling), headers go out in order and
// the body is framed as asked (Content-Length, chunked, or none).
type rawRequest struct {
	Method string
	// Target is the request-target exactly as it appears on the request
	// line: "/v1.41/containers/%63reate", "http://localhost/v1.41/...".
	Target string
	// Header lines in order, e.g. {"Content-Type", "application/json"}.
	// Host and Connection are added unless given.
	Header [][2]string
	Body   []byte
	// Chunked sends Body with Transfer-Encoding: chunked in chunks of
	// ChunkSize bytes (default 32 KiB) instead of Content-Length.
	Chunked   bool
	ChunkSize int
	// Timeout for the whole exchange; default 60s.
	Timeout time.Duration
}

type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Message is the daemon's {"message": "..."} error text, or the raw body.
func (r *rawResponse) Message() string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(r.Body, &m) == nil && m.Message != "" {
		return m.Message
	}
	return strings.TrimSpace(string(r.Body))
}

func (r *rawResponse) String() string {
	if r == nil {
		return "<no response>"
	}
	b := r.Body
	if len(b) > 2048 {
		b = append(b[:2048:2048], "..."...)
	}
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(b))
}

var ruleIDRe = regexp.MustCompile(`DG-[A-Z]+-[0-9]{3}`)

// RuleIDs lists the dood-guard rule IDs quoted in the response's message.
func (r *rawResponse) RuleIDs() []string { return ruleIDRe.FindAllString(r.Message(), -1) }

// unixClient speaks HTTP/1.1 over a unix socket, one connection per request.
type unixClient struct {
	socket string
}

func (c *unixClient) Do(req rawRequest) (*rawResponse, error) {
	resp, conn, err := c.Open(req)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}, fmt.Errorf("read body: %w", err)
	}
	return &rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Open sends req and returns as soon as the response headers are read; the
// caller reads resp.Body and closes conn.
func (c *unixClient) Open(req rawRequest) (*http.Response, net.Conn, error) {
	timeout := req.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	conn, err := net.DialTimeout("unix", c.socket, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))

	var head bytes.Buffer
	method := req.Method
	if method == "" {
		method = "GET"
	}
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\n", method, strings.ReplaceAll(req.Target, apiToken, api))
	has := func(name string) bool {
		for _, h := range req.Header {
			if strings.EqualFold(h[0], name) {
				return true
			}
		}
		return false
	}
	if !has("Host") {
		head.WriteString("Host: docker\r\n")
	}
	for _, h := range req.Header {
		fmt.Fprintf(&head, "%s: %s\r\n", h[0], h[1])
	}
	if req.Chunked {
		if !has("Transfer-Encoding") {
			head.WriteString("Transfer-Encoding: chunked\r\n")
		}
	} else if req.Body != nil && !has("Content-Length") {
		fmt.Fprintf(&head, "Content-Length: %d\r\n", len(req.Body))
	}
	if !has("Connection") {
		head.WriteString("Connection: close\r\n")
	}
	head.WriteString("\r\n")

	// Write concurrently with reading: the daemon may answer (403, 404)
	// before it has read a large body.
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(conn, 64<<10)
		_, err := w.Write(head.Bytes())
		if err == nil {
			err = writeBody(w, req)
		}
		if err == nil {
			err = w.Flush()
		}
		werr <- err
	}()

	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		conn.Close()
		if we := <-werr; we != nil {
			return nil, nil, fmt.Errorf("write: %v; read: %w", we, err)
		}
		return nil, nil, fmt.Errorf("read response: %w", err)
	}
	return resp, conn, nil
}

func writeBody(w io.Writer, req rawRequest) error {
	if !req.Chunked {
		if req.Body == nil {
			return nil
		}
		_, err := w.Write(req.Body)
		return err
	}
	size := req.ChunkSize
	if size <= 0 {
		size = 32 << 10
	}
	b := req.Body
	for len(b) > 0 {
		n := min(size, len(b))
		if _, err := fmt.Fprintf(w, "%x\r\n", n); err != nil {
			return err
		}
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\r\n"); err != nil {
			return err
		}
		b = b[n:]
	}
	_, err := io.WriteString(w, "0\r\n\r\n")
	return err
}

// do sends req and fails the test on a transport error.
func (c *unixClient) do(t testing.TB, req rawRequest) *rawResponse {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Target, err)
	}
	return resp
}

// jsonReq sends a JSON body (any value, or raw bytes / string as is) with
// Content-Type application/json; nil body sends none.
func (c *unixClient) jsonReq(t testing.TB, method, target string, body any) *rawResponse {
	t.Helper()
	req := rawRequest{Method: method, Target: target}
	switch b := body.(type) {
	case nil:
	case []byte:
		req.Body = b
	case string:
		req.Body = []byte(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		req.Body = enc
	}
	if req.Body != nil {
		req.Header = append(req.Header, [2]string{"Content-Type", "application/json"})
	}
	return c.do(t, req)
}

// demux splits a non-TTY attach/logs stream into stdout and stderr.
func demux(b []byte) (stdout, stderr string) {
	var o, e strings.Builder
	for len(b) >= 8 {
		n := int(binary.BigEndian.Uint32(b[4:8]))
		if 8+n > len(b) {
			n = len(b) - 8
		}
		switch b[0] {
		case 1:
			o.Write(b[8 : 8+n])
		case 2:
			e.Write(b[8 : 8+n])
		default:
			// not multiplexed: give everything as stdout
			return string(b), ""
		}
		b = b[8+n:]
	}
	return o.String(), e.String()
}
