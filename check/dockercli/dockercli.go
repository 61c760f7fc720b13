// Package dockercli produces the requests a docker command line sends, with
// docker/cli's own commands: it runs `docker run|create|container
// run|container create|service create ...` in process, with a client
// pointed at a capture endpoint (check/capture), and returns the create
// requests the command sent. No flag is parsed here: docker/cli parses its
// own flags, validates them and builds the body, as the real CLI does.
package dockercli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/command/commands"
	cliflags "github.com/docker/cli/cli/flags"
	"github.com/dood-guard/dood-guard/check/capture"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Result is what one command line sent.
type Result struct {
	// Command is the docker command that ran, e.g. "run" or "service create".
	Command string
	// Creates are the create requests, in the order sent.
	Creates []capture.Request
	// Changed lists the flags given on the command line (long names).
	Changed map[string]bool
}

// ErrUsage wraps a command line that docker itself would reject, or one
// that is not a create.
var ErrUsage = errors.New("usage")

// judged are the commands whose requests check judges, by command path
// without the leading "docker".
var judged = map[string]bool{
	"run": true, "create": true, "container run": true, "container create": true, "service create": true,
}

// Run runs args (a docker command line; a leading "docker" is dropped) with
// docker/cli against a capture endpoint that speaks apiVersion.
func Run(ctx context.Context, args []string, apiVersion string) (Result, error) {
	if len(args) > 0 && (args[0] == "docker" || strings.HasSuffix(args[0], "/docker")) {
		args = args[1:]
	}
	srv, err := capture.Start(apiVersion)
	if err != nil {
		return Result{}, err
	}
	defer srv.Close()

	var stderr bytes.Buffer
	dockerCLI, err := command.NewDockerCli(
		command.WithInputStream(io.NopCloser(strings.NewReader(""))),
		command.WithOutputStream(io.Discard),
		command.WithErrorStream(&stderr),
	)
	if err != nil {
		return Result{}, err
	}
	// The client the CLI makes for a -H host (the default context), with the
	// user's docker config as the real CLI reads it.
	copts := cliflags.NewClientOptions()
	copts.Hosts = []string{srv.Host()}
	if err := dockerCLI.Initialize(copts); err != nil {
		return Result{}, err
	}
	defer dockerCLI.Client().Close()
	// A terminal is what `-it` lines are written for; without one the CLI
	// refuses them before it builds the request.
	dockerCLI.In().SetIsTerminal(true)

	// docker/cli logs through logrus's standard logger, e.g. that waiting
	// for the container failed, which the endpoint makes it do on purpose.
	out := logrus.StandardLogger().Out
	logrus.SetOutput(io.Discard)
	defer logrus.SetOutput(out)

	// Which command the line runs, found on a root of its own: traversing
	// parses the global flags, which may be given only once per root.
	probe := newRoot(dockerCLI)
	target, _, err := probe.Traverse(args)
	if err != nil || target == probe {
		return Result{}, fmt.Errorf("%w: want a docker run, create or service create command line, got %q", ErrUsage, strings.Join(args, " "))
	}
	path := strings.TrimPrefix(target.CommandPath(), "docker ")
	if !judged[path] {
		return Result{}, fmt.Errorf("%w: docker %s makes no create request; check judges docker run, create and service create", ErrUsage, path)
	}
	root := newRoot(dockerCLI)
	root.SetArgs(args)
	executed, runErr := root.ExecuteContextC(ctx)
	if executed != nil {
		target = executed
	}
	res := Result{Command: path, Creates: srv.Creates(), Changed: map[string]bool{}}
	target.Flags().Visit(func(f *pflag.Flag) { res.Changed[f.Name] = true })
	if len(res.Creates) > 0 {
		// The run ends at the first call after the creates, which the
		// endpoint fails on purpose.
		return res, nil
	}
	if help, _ := target.Flags().GetBool("help"); help {
		return res, fmt.Errorf("%w: --help makes no request", ErrUsage)
	}
	if runErr == nil {
		return res, fmt.Errorf("docker %s sent no create request", path)
	}
	var se cli.StatusError
	if errors.As(runErr, &se) && se.StatusCode == 125 {
		return res, fmt.Errorf("%w: docker %s: %s", ErrUsage, path, strings.TrimSpace(se.Error()))
	}
	msg := strings.TrimSpace(runErr.Error())
	if s := strings.TrimSpace(stderr.String()); s != "" {
		msg += " (" + s + ")"
	}
	return res, fmt.Errorf("%w: docker %s: %s", ErrUsage, path, msg)
}

// newRoot is a "docker" command with the global flags and every command the
// docker CLI has, as cmd/docker builds it.
func newRoot(dockerCLI *command.DockerCli) *cobra.Command {
	root := &cobra.Command{
		Use:              "docker [OPTIONS] COMMAND [ARG...]",
		SilenceUsage:     true,
		SilenceErrors:    true,
		TraverseChildren: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("no docker command given")
		},
	}
	root.SetIn(dockerCLI.In())
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	cli.SetupRootCommand(root)
	commands.AddCommands(root, dockerCLI)
	return root
}

// FlagSet is the flags of a docker command (e.g. "run"), for tables keyed by
// docker's own flag names.
func FlagSet(path string) (*pflag.FlagSet, error) {
	dockerCLI, err := command.NewDockerCli(command.WithOutputStream(io.Discard), command.WithErrorStream(io.Discard))
	if err != nil {
		return nil, err
	}
	root := newRoot(dockerCLI)
	c, _, err := root.Find(strings.Fields(path))
	if err != nil || c == root {
		return nil, fmt.Errorf("no docker command %q", path)
	}
	return c.Flags(), nil
}
