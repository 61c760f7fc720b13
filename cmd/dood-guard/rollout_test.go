package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/metrics"
	"github.com/dood-guard/dood-guard/plugin/reload"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// TestDryRunIsLoud: a guard wholly in dry-run says so when its policy
// loads, again periodically, and in its metrics.
func TestDryRunIsLoud(t *testing.T) {
	c := config.Config{Enforcement: "dryrun"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	log, hook := logtest.NewNullLogger()
	discard := logrus.New()
	discard.SetOutput(io.Discard)
	g, err := emptyGuard(c, discard)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Build{})
	r := newReloader(c, g, m, log)
	if _, err := r.Reload(context.Background(), reload.Start); err != nil {
		t.Fatal(err)
	}
	if n := count(hook, "DRY-RUN: the guard refuses nothing"); n != 1 {
		t.Errorf("%d start-up DRY-RUN lines, want 1", n)
	}
	want := "# HELP dood_guard_enforcement_dryrun 1 when the guard is wholly in dry-run: it refuses nothing.\n" +
		"# TYPE dood_guard_enforcement_dryrun gauge\ndood_guard_enforcement_dryrun 1\n"
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "dood_guard_enforcement_dryrun"); err != nil {
		t.Error(err)
	}
	defer func(d time.Duration) { dryRunEvery = d }(dryRunEvery)
	dryRunEvery = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { remindDryRun(ctx, g, log); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for count(hook, "DRY-RUN: still refusing nothing") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n := count(hook, "DRY-RUN: still refusing nothing"); n < 2 {
		t.Errorf("%d periodic DRY-RUN lines, want ≥ 2", n)
	}
}

func count(h *logtest.Hook, prefix string) int {
	n := 0
	for _, e := range h.AllEntries() {
		if strings.HasPrefix(e.Message, prefix) && e.Level == logrus.WarnLevel {
			n++
		}
	}
	return n
}
