// Command dood-guard is a Docker Engine authorization plugin that refuses
// the API calls which would turn a docker socket into root on the host.
package main

import (
	"fmt"
	"io"
	"os"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `usage: dood-guard <command> [flags]

commands:
  serve     serve the authorization plugin protocol on a unix socket
  proxy     serve the docker API in front of the daemon's socket, judging every request (the socket front)
  eval      decide one AuthZ request (JSON, from a file or stdin) and print the answer
  test      run the policy library's Rego tests, and a team's (dood-guard test DIR)
  audit     list existing containers and volumes the policy would refuse (exit 3 when any)
  bundle    build an OPA bundle of the policy and data (optionally signed) for serve --config
  check     judge a docker run/create/service create line or compose files before they reach a daemon (exit 3 when refused)
  version   print version, commit and OPA version

  help      print this text

Run 'dood-guard <command> -h' for the flags of a command. Rule
directories are given as --rules DIR to every command that loads policy.

exit codes (every command):
  0  done; nothing refused or found
  1  error: could not do what was asked
  2  usage: unknown command, bad flag, stray argument, invalid configuration
  3  done, and something was refused or found (eval denied, audit findings, check refusals)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "proxy":
		return proxy(args[1:], stderr)
	case "eval":
		return eval(args[1:], stdin, stdout, stderr)
	case "test":
		return test(args[1:], stdout, stderr)
	case "audit":
		return audit(args[1:], stdout, stderr)
	case "bundle":
		return bundle(args[1:], stdout, stderr)
	case "check":
		return checkCmd(args[1:], stdout, stderr)
	case "version":
		fs := newFlagSet("version", stderr)
		if code, done := parseArgs(fs, args[1:], 0); done {
			return code
		}
		printVersion(stdout)
		return exitOK
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "dood-guard: unknown command %q\n\n%s", args[0], usage)
	return 2
}
