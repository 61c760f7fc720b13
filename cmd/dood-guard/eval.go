package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/sirupsen/logrus"
)

// eval decides one AuthZ request offline: what a policy author uses to see
// why a request is refused, without a daemon.
func eval(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c config.Config
	fs := newFlagSet("eval", stderr)
	policyFlags(fs, &c)
	if code, done := parseArgs(fs, args, 1); done {
		return code
	}
	if !validConfig("eval", &c, stderr) {
		return 2
	}
	in := stdin
	if fs.NArg() > 0 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "dood-guard eval: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	var req authorization.Request
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		fmt.Fprintf(stderr, "dood-guard eval: read AuthZ request: %v\n", err)
		return 1
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	g, _, err := newGuard(context.Background(), c, log)
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard eval: %v\n", err)
		return 1
	}
	out := g.Decide(context.Background(), req)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"Allow": out.Response.Allow, "Msg": out.Response.Msg, "Endpoint": out.Request.Endpoint}); err != nil {
		return 1
	}
	if !out.Response.Allow {
		return 3
	}
	return 0
}
