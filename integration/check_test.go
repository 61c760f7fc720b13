//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var ruleID = regexp.MustCompile(`\[(DG-[A-Z]+-[0-9]+)\]`)

// checkBinary is a dood-guard binary with `check` in it: the one under test,
// except for the managed plugin's, built without it (-tags nocheck), where
// the full binary is built once beside it.
func checkBinary(t *testing.T) string {
	t.Helper()
	if h.mode != modeManaged {
		return h.bin
	}
	fullOnce.Do(func() {
		full := filepath.Join(h.tmp, "dood-guard-full")
		cmd := exec.Command("go", "build", "-o", full, "./cmd/dood-guard")
		cmd.Dir = h.root
		if out, err := cmd.CombinedOutput(); err != nil {
			fullErr = fmt.Errorf("go build ./cmd/dood-guard: %v\n%s", err, out)
			return
		}
		fullBin = full
	})
	if fullErr != nil {
		t.Fatal(fullErr)
	}
	return fullBin
}

var (
	fullOnce sync.Once
	fullBin  string
	fullErr  error
)

// `dood-guard check` judges a docker line before any daemon sees it; the
// guarded daemon judges what the real docker client sends for the same
// line. They agree: refused for the same rules, or both allowed.
func TestCheckAgreesWithTheGuardedDaemon(t *testing.T) {
	requireImage(t)
	for _, line := range []string{
		"run --rm --privileged " + image + " true",
		"run --rm -v /var/run/docker.sock:/var/run/docker.sock " + image + " true",
		"run --rm --pid host " + image + " true",
		"run --rm --cap-add SYS_ADMIN " + image + " true",
		"create --mount type=bind,source=/,target=/host " + image,
		"run --rm --security-opt seccomp=unconfined --device /dev/fuse " + image + " true",
		"run --rm -v " + h.workspace + ":/workspace -w /workspace " + image + " true",
		"run --rm --cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs /scratch " + image + " true",
	} {
		t.Run(line, func(t *testing.T) {
			args := strings.Fields(line)
			out, err := exec.Command(checkBinary(t), append([]string{"check", "--format", "json", "--api-version", strings.TrimPrefix(api, "/v"), "--", "docker"}, args...)...).Output()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Results []struct {
					Findings []struct {
						RuleID string `json:"rule_id"`
					}
				}
			}
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("check exit %d: %v\n%s", code, err, out)
			}
			checked := []string{}
			for _, r := range rep.Results {
				for _, f := range r.Findings {
					checked = append(checked, f.RuleID)
				}
			}
			daemonOut, daemonErr := cli(t, nil, args...)
			if daemonErr == nil && strings.HasPrefix(args[0], "create") {
				cleanupContainer(t, strings.TrimSpace(daemonOut))
			}
			daemon := []string{}
			if strings.Contains(daemonOut, "authorization denied") {
				for _, m := range ruleID.FindAllStringSubmatch(daemonOut, -1) {
					daemon = append(daemon, m[1])
				}
			} else if daemonErr != nil {
				t.Fatalf("docker %s failed other than by the guard: %v\n%s", line, daemonErr, daemonOut)
			}
			sort.Strings(checked)
			sort.Strings(daemon)
			if diff := cmp.Diff(daemon, checked); diff != "" {
				t.Errorf("rule IDs (-guarded daemon +check):\n%s\ndaemon said: %s", diff, daemonOut)
			}
			if want := map[bool]int{true: 3, false: 0}[len(daemon) > 0]; code != want {
				t.Errorf("check exit %d, want %d", code, want)
			}
		})
	}
}
