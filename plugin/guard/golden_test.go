package guard

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
)

var update = flag.Bool("update", false, "rewrite the .want files of the golden requests")

// newTestGuard serves the embedded policy, as the binary does by default.
func newTestGuard(t testing.TB) *Guard {
	t.Helper()
	src, err := policy.Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(context.Background(), src.Modules, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	g := New(Options{}, log)
	g.SetEngine(e)
	return g
}

// readHTTP reads a golden request: "METHOD URI", header lines, a blank
// line, then the body exactly as dockerd would forward it.
func readHTTP(t testing.TB, path string) authorization.Request {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := bytes.Cut(raw, []byte("\n\n"))
	sc := bufio.NewScanner(bytes.NewReader(head))
	sc.Scan()
	method, uri, ok := strings.Cut(sc.Text(), " ")
	if !ok {
		t.Fatalf("%s: first line must be METHOD URI", path)
	}
	req := authorization.Request{RequestMethod: method, RequestURI: uri, RequestHeaders: map[string]string{}}
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		req.RequestHeaders[k] = strings.TrimSpace(v)
	}
	if b := bytes.TrimSuffix(body, []byte("\n")); len(b) > 0 {
		req.RequestBody = b
	}
	return req
}

func answer(r authorization.Response) string {
	if r.Allow {
		return "allow\n"
	}
	return "deny: " + r.Msg + "\n"
}

// TestGoldenRequests decides every request under testdata/ and compares the
// answer with its .want file (run with -update to rewrite them, then review
// the diff).
func TestGoldenRequests(t *testing.T) {
	g := newTestGuard(t)
	files, err := filepath.Glob("testdata/*.http")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden requests: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".http")
		t.Run(name, func(t *testing.T) {
			got := answer(g.Decide(context.Background(), readHTTP(t, f)).Response)
			wantFile := strings.TrimSuffix(f, ".http") + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("missing %s (run go test -update and review it): %v", wantFile, err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("decision mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
