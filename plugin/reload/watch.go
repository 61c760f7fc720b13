package reload

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/sirupsen/logrus"
)

// DefaultDebounce is how long the watcher waits after the last change
// before it reloads: an editor's save or a `cp -r` is several events.
const DefaultDebounce = 300 * time.Millisecond

// Watcher calls a function when the files at some paths change.
//
// It watches directories, never files: editors save by writing a new file
// and renaming it over the old one, and Kubernetes updates a mounted
// ConfigMap by swapping a "..data" symlink, so a watch on the file itself
// would follow the old inode into oblivion. For each path it watches
//
//   - the directory holding it (or, while the path does not exist, its
//     nearest existing ancestor, for the path appearing later), caring
//     only about events on the path's own chain of names there;
//   - when the path is a directory (symlinks followed), that directory and
//     every directory below it, caring about every event in them.
//
// After each relevant event it recomputes that set, so a directory created,
// replaced or swapped is watched from then on, and a debounced call
// follows. What it calls reads everything afresh, so events missed while
// the set was being recomputed are covered by that read.
type Watcher struct {
	Paths    []string
	Debounce time.Duration // 0 is DefaultDebounce
	Log      logrus.FieldLogger

	w       *fsnotify.Watcher
	content map[string]bool // directories whose every event counts
	chain   map[string]bool // the paths and their ancestors: events on these names count
}

// Run watches until ctx is done, calling changed after changes settle.
func (wt *Watcher) Run(ctx context.Context, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	wt.w = w
	wt.sync()
	debounce := wt.Debounce
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watcher closed")
			}
			if !wt.relevant(ev) {
				continue
			}
			wt.Log.WithFields(logrus.Fields{"file": ev.Name, "op": ev.Op.String()}).Debug("policy file event")
			wt.sync()
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watcher closed")
			}
			// An overflowed queue lost events: read everything again.
			wt.Log.WithError(err).Warn("watching the policy files: events lost; reloading")
			wt.sync()
			timer.Reset(debounce)
		case <-timer.C:
			changed()
		}
	}
}

// relevant: an event inside a watched directory, or on one of the names
// leading to a path.
func (wt *Watcher) relevant(ev fsnotify.Event) bool {
	if wt.chain[ev.Name] {
		return true
	}
	return wt.content[filepath.Dir(ev.Name)]
}

// sync makes the watch set what the paths need now.
func (wt *Watcher) sync() {
	want := map[string]bool{}
	wt.content = map[string]bool{}
	wt.chain = map[string]bool{}
	for _, p := range wt.Paths {
		p, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		for a := p; ; a = filepath.Dir(a) {
			wt.chain[a] = true
			if a == filepath.Dir(a) {
				break
			}
		}
		if dir := existingAncestor(filepath.Dir(p)); dir != "" {
			want[dir] = true
		}
		// The symlinks the path resolves through: swapping one (a
		// ConfigMap's ..data) changes what the path is.
		for _, l := range symlinksOn(p) {
			wt.chain[l] = true
			want[filepath.Dir(l)] = true
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			continue
		}
		// The real directory's own name chain matters too: a symlink
		// swap replaces it.
		_ = filepath.WalkDir(real, func(d string, e fs.DirEntry, err error) error {
			if err != nil || !e.IsDir() {
				return nil
			}
			if d != real && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir // hidden, as the policy loader skips them
			}
			want[d] = true
			wt.content[d] = true
			return nil
		})
	}
	have := map[string]bool{}
	for _, d := range wt.w.WatchList() {
		have[d] = true
		if !want[d] {
			_ = wt.w.Remove(d)
		}
	}
	for d := range want {
		if !have[d] {
			if err := wt.w.Add(d); err != nil {
				wt.Log.WithError(err).WithField("file", d).Warn("cannot watch a policy directory; changes in it need a SIGHUP")
			}
		}
	}
}

// existingAncestor is the nearest directory at or above dir that exists.
func existingAncestor(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// symlinksOn lists the symlinks met while resolving the absolute path p,
// as the paths they sit at: for a ConfigMap's data.yaml -> ..data/data.yaml
// with ..data -> ..2024_01, both data.yaml and ..data.
func symlinksOn(p string) []string {
	var out []string
	for hops := 0; hops < 40; hops++ {
		next, link := "", ""
		cur := "/"
		parts := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
		for i, part := range parts {
			at := filepath.Join(cur, part)
			fi, err := os.Lstat(at)
			if err != nil {
				return out
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				t, err := os.Readlink(at)
				if err != nil {
					return out
				}
				if !filepath.IsAbs(t) {
					t = filepath.Join(cur, t)
				}
				link, next = at, filepath.Join(append([]string{t}, parts[i+1:]...)...)
				break
			}
			cur = at
		}
		if link == "" {
			return out
		}
		out = append(out, link)
		p = next
	}
	return out
}
