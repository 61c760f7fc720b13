package guard

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/internal/goldenhttp"
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

// readHTTP reads a golden request (internal/goldenhttp describes the format).
func readHTTP(t testing.TB, path string) authorization.Request {
	t.Helper()
	req, err := goldenhttp.Read(path)
	if err != nil {
		t.Fatal(err)
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
	files, err := goldenhttp.Files("testdata")
	if err != nil {
		t.Fatal(err)
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
