package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportTargets: each of issue 15's targets is judged from the
// samples, met or not, and a target the run cannot judge says so.
func TestReportTargets(t *testing.T) {
	// p50s in µs per label and workload; every round the same.
	p50 := map[string]map[string]int64{
		"create":  {"none": 900, "noop": 1000, "guard": 1030}, // 1.030: met (≤ 1.03)
		"ping-1c": {"none": 90, "noop": 100, "guard": 106},    // 1.060: not met
		"inspect": {"none": 90, "noop": 100, "guard": 99},     // 0.990: met
		// ping-4c not run
	}
	samples := filepath.Join(t.TempDir(), "samples.jsonl")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for wl, byLabel := range p50 {
		for label, us := range byLabel {
			for round := 1; round <= 3; round++ {
				lat := []int64{us * 1000, us * 1000, us * 1000}
				if err := enc.Encode(sample{Label: label, Workload: wl, Round: round, Elapsed: 1e9, Lat: lat}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := os.WriteFile(samples, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, rss, calls string
		want             []string
	}{
		{"rss met", "30720", "118000", []string{
			"| create: guard p50 ≤ 1.03× noop p50 | 1.030 (median of the rounds' ratios 1.030) | **met** |",
			"| ping-1c: guard p50 ≤ 1.05× noop p50 | 1.060 (median of the rounds' ratios 1.060) | **not met** |",
			"| ping-4c: guard p50 ≤ 1.05× noop p50 | not run | not measured |",
			"| inspect: guard p50 ≤ 1.05× noop p50 | 0.990 (median of the rounds' ratios 0.990) | **met** |",
			"| guard peak RSS < 40 MiB after ≥ 100000 API calls | 30.0 MiB after 118000 calls | **met** |",
		}},
		{"rss not met", "55000", "118000", []string{"| 53.7 MiB after 118000 calls | **not met** |"}},
		{"too few calls for the rss target", "30720", "2700", []string{"| 30.0 MiB after 2700 calls | not measured (too few calls"}},
		{"rss not given", "", "", []string{"| - | not measured |"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{}
			if c.rss != "" {
				args = append(args, "-guard-rss-kib", c.rss, "-guard-calls", c.calls)
			}
			var out bytes.Buffer
			if err := report(append(args, samples), &out); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
