package compose

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/dood-guard/dood-guard/check"
	"go.yaml.in/yaml/v3"
)

// fileLines finds keys in the compose files by walking their YAML nodes:
// compose-go keeps no positions. A key is looked up in the files from the
// last (the one whose value wins when files are merged) to the first; a
// key missing from every file falls back to its nearest ancestor, so a
// service defined by extends or include is at least located by its name.
type fileLines struct {
	files []string
	roots []*yaml.Node
}

func readLines(files []string) (fileLines, error) {
	fl := fileLines{}
	for _, f := range files {
		fl.files = append(fl.files, display(f))
		b, err := os.ReadFile(f)
		if err != nil {
			return fl, fmt.Errorf("read %s: %w", f, err)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(b, &n); err != nil {
			return fl, fmt.Errorf("parse %s: %w", f, err)
		}
		fl.roots = append(fl.roots, &n)
	}
	return fl, nil
}

// sameOrder are the service keys whose list items become the request
// field's items in the same order.
var sameOrder = map[string]bool{
	"cap_add": true, "cap_drop": true, "security_opt": true, "device_cgroup_rules": true,
	"volumes_from": true, "dns": true, "dns_search": true, "group_add": true,
}

var leadingIndex = regexp.MustCompile(`^\[\d+\]`)

var indexed = regexp.MustCompile(`^([^\[]+)\[(\d+)\]$`)

// locate finds path (mapping keys, "key[i]" for a sequence item; a key may
// hold dots, e.g. "deploy.resources") and returns its line.
func (fl fileLines) locate(path []string) check.Location {
	var steps []string
	for _, p := range path {
		steps = append(steps, strings.Split(p, ".")...)
	}
	for n := len(steps); n > 0; n-- {
		for i := len(fl.roots) - 1; i >= 0; i-- {
			if line, col, ok := find(fl.roots[i], steps[:n]); ok {
				return check.Location{File: fl.files[i], Line: line, Column: col, Key: keyString(steps[:n])}
			}
		}
	}
	if len(fl.files) > 0 {
		return check.Location{File: fl.files[0]}
	}
	return check.Location{}
}

func keyString(steps []string) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteString(".")
		}
		b.WriteString(s)
	}
	return b.String()
}

func find(n *yaml.Node, steps []string) (line, col int, ok bool) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line, col = n.Line, n.Column
	for _, s := range steps {
		key, idx := s, -1
		if m := indexed.FindStringSubmatch(s); m != nil {
			key = m[1]
			idx, _ = strconv.Atoi(m[2])
		}
		if n.Kind != yaml.MappingNode {
			return 0, 0, false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, col = n.Content[i].Line, n.Content[i].Column
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return 0, 0, false
		}
		n = next
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return 0, 0, false
			}
			n = n.Content[idx]
			line, col = n.Line, n.Column
		}
	}
	return line, col, true
}

// serviceKey is the compose key, under the service, that a request field
// came from: the longest field prefix serviceCreate recorded.
func serviceKey(origins map[string]string, field string) []string {
	if field == "" {
		return nil
	}
	for k := field; k != ""; {
		if key, ok := origins[k]; ok {
			// A list passed through in order: the item itself.
			if m := leadingIndex.FindString(field[len(k):]); m != "" && sameOrder[key] {
				return []string{key + m}
			}
			return []string{key}
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return nil
}

// display is a file as reports show it: relative to the working directory
// when it is below it (what code-scanning services expect), else as is.
func display(f string) string {
	wd, err := os.Getwd()
	if err != nil {
		return f
	}
	if rel, err := filepath.Rel(wd, f); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return f
}
