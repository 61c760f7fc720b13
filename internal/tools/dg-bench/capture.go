package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// capture has the docker CLI send a CI job's create,
//
//	docker create -v WORKSPACE:/workspace -v cache:/cache --name job-0 IMAGE true
//
// to a stand-in daemon on a private socket that speaks API -api-version,
// and writes that request as a golden request file (internal/goldenhttp's
// format: "POST URI", the Content-Type, a blank line, the body). The load's
// create then sends exactly the CLI's body, with the API version prefix
// the CLI negotiated, renaming the container each call. The stand-in
// answers /_ping and the create; anything else the CLI asks is an error, so
// a CLI that needs more is noticed rather than half captured.
func capture(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ExitOnError)
	cli := fs.String("cli", "docker", "the docker CLI to capture")
	apiVersion := fs.String("api-version", "1.41", "the API version the stand-in daemon announces (the real daemon's)")
	workspace := fs.String("workspace", "", "the workspace directory to bind (a host path)")
	image := fs.String("image", "dood-guard-busybox:latest", "image")
	out := fs.String("out", "", "write the captured request here")
	fs.Parse(args)
	if *workspace == "" || *out == "" {
		return errors.New("capture: -workspace and -out are required")
	}
	dir, err := os.MkdirTemp("", "dgb-cli.")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	var (
		mu         sync.Mutex
		uri        string
		body       []byte
		unexpected []string
	)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", *apiVersion)
		w.Header().Set("Ostype", "linux")
		w.Header().Set("Docker-Experimental", "false")
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if r.Method != http.MethodHead {
				io.WriteString(w, "OK")
			}
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/containers/create") && uri == "":
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				unexpected = append(unexpected, "create with Content-Type "+ct)
			}
			uri, body = r.RequestURI, raw
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"Id":%q,"Warnings":[]}`, strings.Repeat("0", 64))
		default:
			unexpected = append(unexpected, r.Method+" "+r.RequestURI)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"dg-bench capture: not served"}`)
		}
	})}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, *cli, "-H", "unix://"+sock, "create",
		"-v", *workspace+":/workspace", "-v", "cache:/cache", "--name", "job-0", *image, "true")
	// Only what the CLI needs: no DOCKER_HOST, DOCKER_API_VERSION or
	// context from the caller's environment, no config of theirs.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DOCKER_CONFIG=" + filepath.Join(dir, "config")}
	output, err := cmd.CombinedOutput()
	mu.Lock()
	defer mu.Unlock()
	if err != nil || uri == "" || len(unexpected) > 0 {
		return fmt.Errorf("capture: %s create: %v (captured: %q; unexpected requests: %q); output: %s",
			*cli, err, uri, unexpected, bytes.TrimSpace(output))
	}
	var f bytes.Buffer
	fmt.Fprintf(&f, "POST %s\nContent-Type: application/json\n\n%s\n", uri, bytes.TrimSuffix(body, []byte("\n")))
	return os.WriteFile(*out, f.Bytes(), 0o644)
}
