package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The configuration directory (serve --config-dir; a managed plugin's
// default is the host's /etc/dood-guard, seen at /host/etc/dood-guard) is
// optional in every part, so that a plugin installed on a host where
// nothing was prepared starts on the embedded policy, and picks up what an
// admin puts there later (the watcher reloads when it appears):
//
//	policies/           .rego files replacing the embedded library
//	rules/              a team's rule packages, beside the policy
//	data.yaml           policy data (or data.yml, or data.json; one of them)
//
// A directory part without a .rego file in it counts as absent: an admin
// creating rules/ before the files, or removing the last one, does not
// break the load. A part given both here and by its own flag is an error,
// not a silent choice.

// ConfigDirParts names the parts of a configuration directory.
var ConfigDirParts = struct {
	Policies, Rules string
	Data            []string
}{
	Policies: "policies", Rules: "rules", Data: []string{"data.yaml", "data.yml", "data.json"},
}

// withConfigDir adds the parts of o.ConfigDir that exist to o.
func withConfigDir(o Options) (Options, error) {
	if o.ConfigDir == "" {
		return o, nil
	}
	fi, err := os.Stat(o.ConfigDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return o, nil
	case err != nil:
		return o, fmt.Errorf("config dir: %w", err)
	case !fi.IsDir():
		return o, fmt.Errorf("config dir %s: not a directory", o.ConfigDir)
	}
	if p := filepath.Join(o.ConfigDir, ConfigDirParts.Policies); hasRego(p) {
		if len(o.Policies) > 0 {
			return o, fmt.Errorf("config dir: %s and --policy both give the policy; use one", p)
		}
		o.Policies = []string{p}
	}
	if p := filepath.Join(o.ConfigDir, ConfigDirParts.Rules); hasRego(p) {
		o.Rules = append(append([]string(nil), o.Rules...), p)
	}
	var data []string
	for _, n := range ConfigDirParts.Data {
		if p := filepath.Join(o.ConfigDir, n); exists(p) {
			data = append(data, p)
		}
	}
	switch {
	case len(data) > 1:
		return o, fmt.Errorf("config dir: more than one data file: %v; keep one", data)
	case len(data) == 1 && o.Data != "":
		return o, fmt.Errorf("config dir: %s and --data both give the data; use one", data[0])
	case len(data) == 1:
		o.Data = data[0]
	}
	return o, nil
}

// exists follows symlinks: a dangling one (a ConfigMap mid-swap) is absent.
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// WatchPaths are the paths whose changes a reload would read.
func (o Options) WatchPaths() []string {
	var ps []string
	ps = append(ps, o.Policies...)
	ps = append(ps, o.Rules...)
	if o.Data != "" {
		ps = append(ps, o.Data)
	}
	if o.ConfigDir != "" {
		ps = append(ps, o.ConfigDir)
	}
	return ps
}

// hasRego says that the directory p holds a .rego module (tests and hidden
// entries apart) somewhere below it.
func hasRego(p string) bool {
	found := false
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipAll
		}
		if skip, err := hidden(p, q, d); skip {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(q, ".rego") && !strings.HasSuffix(q, "_test.rego") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
