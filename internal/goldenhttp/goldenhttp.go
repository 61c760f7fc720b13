// Package goldenhttp reads the golden AuthZ requests under
// plugin/guard/testdata: "METHOD URI", header lines, a blank line, then the
// body exactly as dockerd would forward it. Tests of several pipeline stages
// replay the same files.
package goldenhttp

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/go-plugins-helpers/authorization"
)

// Read parses one golden request file.
func Read(path string) (authorization.Request, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return authorization.Request{}, err
	}
	head, body, _ := bytes.Cut(raw, []byte("\n\n"))
	sc := bufio.NewScanner(bytes.NewReader(head))
	sc.Scan()
	method, uri, ok := strings.Cut(sc.Text(), " ")
	if !ok {
		return authorization.Request{}, fmt.Errorf("%s: first line must be METHOD URI", path)
	}
	req := authorization.Request{RequestMethod: method, RequestURI: uri, RequestHeaders: map[string]string{}}
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		req.RequestHeaders[k] = strings.TrimSpace(v)
	}
	if b := bytes.TrimSuffix(body, []byte("\n")); len(b) > 0 {
		req.RequestBody = b
	}
	return req, nil
}

// Files lists the golden request files in dir, sorted.
func Files(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.http"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no golden requests in %s", dir)
	}
	return files, err
}

// Staged are the golden requests the per-stage benchmarks replay (route and
// decode, normalise, the conversion to an OPA value): the docker CLI's
// create with a workspace bind and a named volume, a compose create with
// several mounts, an exec create and an inspect.
var Staged = []string{"benign-cli-create", "benign-compose-create", "benign-exec-nonroot", "benign-inspect"}

// ReadStaged reads the Staged requests from dir (plugin/guard/testdata),
// by name.
func ReadStaged(dir string) (map[string]authorization.Request, error) {
	out := make(map[string]authorization.Request, len(Staged))
	for _, name := range Staged {
		req, err := Read(filepath.Join(dir, name+".http"))
		if err != nil {
			return nil, err
		}
		out[name] = req
	}
	return out, nil
}
