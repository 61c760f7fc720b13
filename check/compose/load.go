// Package compose turns a compose project into the requests `docker compose
// up` sends to create it: a volume create per project volume, a network
// create per project network, a container create per service replica. The
// project is loaded by compose-go (github.com/compose-spec/compose-go/v2),
// as docker compose loads it: interpolation, .env and --env-file, profiles,
// extends, include, merging of several files. The mapping of a service to
// its create body follows docker compose v5.6.0 (pkg/compose/create.go,
// apiSocket.go, service_containers.go); docs/check.md lists each field.
package compose

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// Options are docker compose's project options.
type Options struct {
	ProjectName string   // -p
	Profiles    []string // --profile
	EnvFiles    []string // --env-file
	// APIVersion is the Engine API version the requests are addressed to.
	APIVersion string
}

// Load reads a project as docker compose does (cmd/compose toProjectOptions
// and the service's LoadProject), without remote (git, OCI) includes.
func Load(ctx context.Context, files []string, o Options) (*types.Project, error) {
	fns := []cli.ProjectOptionsFn{cli.WithOsEnv}
	if _, ok := os.LookupEnv("PWD"); !ok {
		if pwd, err := os.Getwd(); err == nil {
			fns = append(fns, cli.WithEnv([]string{"PWD=" + pwd}))
		}
	}
	fns = append(fns,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.Profiles...),
		cli.WithName(o.ProjectName),
	)
	po, err := cli.NewProjectOptions(files, fns...)
	if err != nil {
		return nil, fmt.Errorf("compose project: %w", err)
	}
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("compose project %s: %w", strings.Join(files, ", "), err)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("compose project %s: project name can't be empty; give --project-name", strings.Join(files, ", "))
	}
	return p.WithoutUnnecessaryResources(), nil
}
