package capture

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func client(s *Server) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", s.Socket)
	}}}
}

// The endpoint answers what a client asks before a create, records the
// create, and fails what would act on it; nothing else is forwarded.
func TestEndpointRecordsCreatesAndExecutesNothing(t *testing.T) {
	s, err := Start("1.47")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := client(s)
	for _, tc := range []struct {
		method, target, body string
		code                 int
		header, contains     string
	}{
		{"HEAD", "/_ping", "", 200, "1.47", ""},
		{"GET", "/v1.47/version", "", 200, "", `"ApiVersion":"1.47"`},
		{"GET", "/v1.47/images/busybox/json", "", 200, "", `"RepoTags":["busybox"]`},
		{"POST", "/v1.47/containers/create?name=x", `{"Image":"busybox"}`, 201, "", `"Id":`},
		{"POST", "/v1.47/volumes/create", `{"Name":"v"}`, 201, "", `"Name":"v"`},
		{"POST", "/v1.47/containers/abc/start", "", 500, "", ErrNotForwarded},
		{"GET", "/v1.47/containers/abc/json", "", 404, "", ErrNotForwarded},
	} {
		req, _ := http.NewRequest(tc.method, "http://docker"+tc.target, strings.NewReader(tc.body))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.contains) || resp.Header.Get("Api-Version") != "1.47" {
			t.Errorf("%s %s: %d %q (Api-Version %q), want %d with %q", tc.method, tc.target, resp.StatusCode, b, resp.Header.Get("Api-Version"), tc.code, tc.contains)
		}
	}
	creates := s.Creates()
	if len(creates) != 2 || creates[0].URI != "/v1.47/containers/create?name=x" || string(creates[0].Body) != `{"Image":"busybox"}` || creates[1].Path() != "/volumes/create" {
		t.Errorf("creates: %+v", creates)
	}
	if n := len(s.Requests()); n != 7 {
		t.Errorf("%d requests recorded, want 7", n)
	}
}
