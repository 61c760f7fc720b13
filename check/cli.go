package check

import (
	"context"
	"strings"

	"github.com/dood-guard/dood-guard/check/dockercli"
)

// FromCommandLine turns a docker command line into the create requests
// docker/cli sends for it (check/dockercli), each locating its fields by the
// flags that set them, in the file and line at (where the line was written,
// e.g. a CI file; zero when unknown). apiVersion is the version the
// stand-in daemon speaks, which the CLI negotiates down to.
func FromCommandLine(ctx context.Context, args []string, apiVersion string, at Location) ([]Item, error) {
	res, err := dockercli.Run(ctx, args, apiVersion)
	if err != nil {
		return nil, err
	}
	line := "docker " + strings.Join(trimDocker(args), " ")
	table := containerFlags
	if res.Command == "service create" {
		table = serviceFlags
	}
	var items []Item
	for _, r := range res.Creates {
		object := strings.TrimPrefix(strings.TrimSuffix(r.Path(), "/create"), "/")
		items = append(items, Item{
			Source: line,
			Object: strings.TrimSuffix(object, "s"),
			Method: r.Method,
			URI:    r.URI,
			Body:   r.Body,
			Locate: func(path string) Location {
				l := at
				l.Flags = flagsFor(table, path, res.Changed)
				return l
			},
		})
	}
	return items, nil
}

func trimDocker(args []string) []string {
	if len(args) > 0 && (args[0] == "docker" || strings.HasSuffix(args[0], "/docker")) {
		return args[1:]
	}
	return args
}
