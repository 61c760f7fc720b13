package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// commands lists the commands the usage text announces.
func commands(t *testing.T) []string {
	t.Helper()
	var out []string
	inList := false
	sc := bufio.NewScanner(strings.NewReader(usage))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "commands:":
			inList = true
		case inList && strings.TrimSpace(line) == "":
			return out
		case inList:
			out = append(out, strings.Fields(line)[0])
		}
	}
	return out
}

var flagLine = regexp.MustCompile(`^  -([a-z][a-z0-9-]*)`)

// flagsOf runs a command's -h and reads its flag names from the output.
func flagsOf(t *testing.T, cmd string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{cmd, "-h"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("%s -h: exit %d\n%s", cmd, code, stderr.String())
	}
	var names []string
	sc := bufio.NewScanner(strings.NewReader(stdout.String() + stderr.String()))
	for sc.Scan() {
		if m := flagLine.FindStringSubmatch(sc.Text()); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// TestEveryFlagIsDocumented fails when a command has a flag that
// docs/cli.md does not mention, or a command the page does not cover.
func TestEveryFlagIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(doc)
	cmds := commands(t)
	if len(cmds) < 5 {
		t.Fatalf("usage lists %d commands: %v", len(cmds), cmds)
	}
	for _, cmd := range cmds {
		if cmd == "help" {
			continue
		}
		if !strings.Contains(page, "`"+cmd+"`") {
			t.Errorf("docs/cli.md does not mention the command `%s`", cmd)
		}
		for _, name := range flagsOf(t, cmd) {
			if !strings.Contains(page, "`--"+name) {
				t.Errorf("docs/cli.md does not document %s's flag `--%s`", cmd, name)
			}
		}
	}
}

// TestReadmeLayoutMatchesTree fails when the README's layout table names a
// path that does not exist, or when a directory under cmd/ or plugin/ is
// missing from it.
func TestReadmeLayoutMatchesTree(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(readme), "## Layout")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	cell := regexp.MustCompile("`([a-z][a-z0-9_./-]*)`")
	listed := map[string]bool{}
	for _, line := range strings.Split(layout, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			p := strings.TrimSuffix(m[1], "/")
			listed[p] = true
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("README layout lists %s, which does not exist", p)
			}
		}
	}
	for _, parent := range []string{"cmd", "plugin"} {
		entries, err := os.ReadDir(filepath.Join(root, parent))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() && !listed[parent+"/"+e.Name()] {
				t.Errorf("README layout does not list %s/%s", parent, e.Name())
			}
		}
	}
}
