package reload

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// watch runs a watcher on paths and returns a channel that gets a value
// per debounced change.
func watch(t *testing.T, paths ...string) <-chan struct{} {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	ch := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := &Watcher{Paths: paths, Debounce: 50 * time.Millisecond, Log: log}
	go func() { defer close(done); _ = w.Run(ctx, func() { ch <- struct{}{} }) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(100 * time.Millisecond) // the first sync
	return ch
}

func expectChange(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no change reported", what)
	}
	// Drain the rest of the burst.
	for {
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

func expectQuiet(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("%s: a change was reported", what)
	case <-time.After(300 * time.Millisecond):
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatchEditInPlace(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "policies", "a.rego"), "package a\n")
	ch := watch(t, filepath.Join(dir, "policies"))
	write(t, filepath.Join(dir, "policies", "a.rego"), "package a\n# edited\n")
	expectChange(t, ch, "a file written in place")
}

// TestWatchAtomicRenameEditor: vim, sed -i and most tools write a new file
// and rename it over the old one.
func TestWatchAtomicRenameEditor(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.yaml")
	write(t, data, "guard: {}\n")
	ch := watch(t, data)
	for i := range 3 { // the watch survives each replacement
		tmp := filepath.Join(dir, ".data.yaml.tmp")
		write(t, tmp, "guard: {disabled_rules: []}\n")
		if err := os.Rename(tmp, data); err != nil {
			t.Fatal(err)
		}
		expectChange(t, ch, "data file replaced by rename, round "+string(rune('1'+i)))
	}
	write(t, filepath.Join(dir, "unrelated.txt"), "x")
	expectQuiet(t, ch, "another file beside the data file")
}

// TestWatchKubernetesSymlinkSwap: a ConfigMap volume holds
// name -> ..data/name, and ..data -> ..<timestamp>; an update writes a new
// timestamped directory and renames a new ..data link over the old one.
func TestWatchKubernetesSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "..2024_01", "data.yaml"), "guard: {}\n")
	if err := os.Symlink("..2024_01", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/data.yaml", filepath.Join(dir, "data.yaml")); err != nil {
		t.Fatal(err)
	}
	ch := watch(t, filepath.Join(dir, "data.yaml"))
	swap := func(gen string) {
		write(t, filepath.Join(dir, gen, "data.yaml"), "guard: {gen: "+gen+"}\n")
		if err := os.Symlink(gen, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	swap("..2024_02")
	expectChange(t, ch, "..data swapped")
	os.RemoveAll(filepath.Join(dir, "..2024_01"))
	swap("..2024_03")
	expectChange(t, ch, "..data swapped again")
}

// TestWatchConfigDirSymlinkSwap: the configured directory itself is a
// symlink that is swapped to another directory.
func TestWatchConfigDirSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "v1", "policies", "a.rego"), "package a\n")
	link := filepath.Join(dir, "current")
	if err := os.Symlink("v1", link); err != nil {
		t.Fatal(err)
	}
	ch := watch(t, link)
	write(t, filepath.Join(dir, "v2", "policies", "a.rego"), "package a\n# v2\n")
	if err := os.Symlink("v2", filepath.Join(dir, "next")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "next"), link); err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, "directory symlink swapped")
	// The new target is watched, subdirectories included.
	write(t, filepath.Join(dir, "v2", "policies", "b.rego"), "package b\n")
	expectChange(t, ch, "a file added in the new target's subdirectory")
	write(t, filepath.Join(dir, "v1", "policies", "c.rego"), "package c\n")
	expectQuiet(t, ch, "a file added in the old target")
}

// TestWatchAbsentThenCreated: a managed plugin's config dir usually does
// not exist when it starts; an admin creates it later, with subdirectories.
func TestWatchAbsentThenCreated(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "etc", "dood-guard")
	if err := os.Mkdir(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	ch := watch(t, cfg)
	write(t, filepath.Join(dir, "etc", "other.conf"), "x")
	expectQuiet(t, ch, "a sibling in the existing ancestor")
	if err := os.MkdirAll(filepath.Join(cfg, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, "config dir created")
	write(t, filepath.Join(cfg, "rules", "team.rego"), "package dood.rules.team\n")
	expectChange(t, ch, "a rule file in a subdirectory created after the start")
	if err := os.RemoveAll(cfg); err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, "config dir removed")
	write(t, filepath.Join(cfg, "data.yaml"), "guard: {}\n")
	expectChange(t, ch, "config dir created again")
}
