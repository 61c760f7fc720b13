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
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
)

var update = flag.Bool("update", false, "rewrite the .want files of the golden requests")

// newTestGuard serves the embedded policy, as the binary does by default,
// against a daemon where no named container or volume exists and the guard
// is the only authorization plugin (emptyDaemon).
func newTestGuard(t testing.TB) *Guard {
	t.Helper()
	g := embeddedGuard(t, Options{}, nil)
	g.SetState(emptyDaemon())
	return g
}

// embeddedGuard is a guard with opts serving the embedded policy and data,
// with the per-rule enforcement rules; it logs nothing.
func embeddedGuard(t testing.TB, opts Options, rules map[string]enforce.Mode) *Guard {
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
	g := New(opts, log)
	g.Install(e, rules)
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

// goldenClass is what a golden request's file name declares it to be:
// "attack" must be denied with a rule ID, "benign" must be allowed.
func goldenClass(file string) string {
	base := filepath.Base(file)
	for _, c := range []string{"attack", "benign"} {
		if strings.HasPrefix(base, c+"-") {
			return c
		}
	}
	return ""
}

// checkClass says what is wrong with answer for a request of class, or "".
func checkClass(class, answer string) string {
	switch class {
	case "attack":
		if !strings.HasPrefix(answer, "deny: [DG-") {
			return "an attack must be denied with a [DG- rule ID"
		}
	case "benign":
		if answer != "allow\n" {
			return "a benign request must be allowed"
		}
	default:
		return "the file name must start with attack- or benign-"
	}
	return ""
}

// TestGoldenClasses holds every golden request to what its name declares,
// independently of the .want snapshots: -update can rewrite a snapshot,
// never this. Both the live decision and the snapshot on disk are checked,
// so a snapshot regenerated into an approval fails here even if the code
// that approved it is later fixed.
func TestGoldenClasses(t *testing.T) {
	g := newTestGuard(t)
	files, err := goldenhttp.Files("testdata")
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]int{}
	for _, f := range files {
		class := goldenClass(f)
		classes[class]++
		t.Run(strings.TrimSuffix(filepath.Base(f), ".http"), func(t *testing.T) {
			got := answer(g.Decide(context.Background(), readHTTP(t, f)).Response)
			if why := checkClass(class, got); why != "" {
				t.Errorf("decision %q: %s", strings.TrimSpace(got), why)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".http") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			if why := checkClass(class, string(want)); why != "" {
				t.Errorf("snapshot %q: %s", strings.TrimSpace(string(want)), why)
			}
		})
	}
	if classes["attack"] == 0 || classes["benign"] == 0 {
		t.Errorf("golden requests by class %v: want attacks and benign requests", classes)
	}
}

// The classifier itself: an approval or an ID-less denial of an attack is
// caught, and so is a denial of a benign request.
func TestGoldenClassCheck(t *testing.T) {
	for _, tc := range []struct {
		class, answer string
		ok            bool
	}{
		{"attack", "deny: [DG-PRIV-001] privileged containers are not allowed\n", true},
		{"attack", "allow\n", false},
		{"attack", "deny: denied by policy\n", false},
		{"benign", "allow\n", true},
		{"benign", "deny: [DG-PRIV-001] x\n", false},
		{"", "allow\n", false},
	} {
		if got := checkClass(tc.class, tc.answer) == ""; got != tc.ok {
			t.Errorf("checkClass(%q, %q) ok = %v, want %v", tc.class, tc.answer, got, tc.ok)
		}
	}
}
