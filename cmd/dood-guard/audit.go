package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/dood-guard/dood-guard/plugin/verdict"
	"github.com/sirupsen/logrus"
)

// finding is an existing object the current policy would refuse to create.
type finding struct {
	Kind       string              `json:"kind"` // "container" or "volume"
	ID         string              `json:"id,omitempty"`
	Name       string              `json:"name"`
	RuleIDs    []string            `json:"rule_ids"`
	Violations []verdict.Violation `json:"violations"`
}

type auditReport struct {
	Containers int       `json:"containers"`
	Volumes    int       `json:"volumes"`
	Findings   []finding `json:"findings"`
}

// audit lists the existing containers and volumes that the policy would
// refuse if they were created now: each container's configuration is judged
// as a create request through the same pipeline (state lookups included,
// so VolumesFrom, container: namespaces and named volumes count), each
// volume as a volume create. Exit status 3 when there are findings.
func audit(args []string, stdout, stderr io.Writer) int {
	var c config.Config
	var sc stateConfig
	fs := newFlagSet("audit", stderr)
	policyFlags(fs, &c)
	stateFlags(fs, &sc)
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	if code, done := parseArgs(fs, args, 0); done {
		return code
	}
	if !validConfig("audit", &c, stderr) {
		return 2
	}
	nopts, err := normalizeOptions(c)
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard audit: %v\n", err)
		return 2
	}
	st, err := sc.source(nopts)
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard audit: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	g, _, err := newGuard(ctx, c, log)
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard audit: %v\n", err)
		return 1
	}
	g.SetState(st)
	rep, err := runAudit(ctx, g, st, c.CgroupV1())
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard audit: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return 1
		}
	} else {
		printAudit(stdout, rep)
	}
	if len(rep.Findings) > 0 {
		return 3
	}
	return 0
}

func runAudit(ctx context.Context, g *guard.Guard, st *state.Source, cgroupV1 bool) (auditReport, error) {
	rep := auditReport{Findings: []finding{}}
	ids, err := st.ContainerIDs(ctx)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		raw, found, err := st.ContainerInspect(ctx, id)
		if err != nil {
			return rep, err
		}
		if !found {
			continue // removed meanwhile
		}
		rep.Containers++
		name, req, err := asCreate(raw, cgroupV1)
		if err != nil {
			return rep, fmt.Errorf("container %.12s: %w", id, err)
		}
		if f, bad := judge(ctx, g, req, "container", id, name); bad {
			rep.Findings = append(rep.Findings, f)
		}
	}
	vols, err := st.Volumes(ctx)
	if err != nil {
		return rep, err
	}
	for _, v := range vols {
		rep.Volumes++
		body, err := json.Marshal(map[string]any{"Name": v.Name, "Driver": v.Driver, "DriverOpts": v.Options, "Labels": v.Labels})
		if err != nil {
			return rep, err
		}
		req := authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/volumes/create",
			RequestHeaders: map[string]string{"Content-Type": "application/json"}, RequestBody: body}
		if f, bad := judge(ctx, g, req, "volume", "", v.Name); bad {
			rep.Findings = append(rep.Findings, f)
		}
	}
	return rep, nil
}

// asCreate turns an inspect answer into the create request that would make
// that container: its Config with its HostConfig, as the CLI sends them.
// Inspect shows the effective cgroup namespace mode; on cgroup v1 hosts
// "host" is the daemon's default, which a create that names no mode gets
// too, so it is judged as not given.
func asCreate(raw []byte, cgroupV1 bool) (string, authorization.Request, error) {
	var c struct {
		Name       string
		Config     map[string]json.RawMessage
		HostConfig map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", authorization.Request{}, err
	}
	if cgroupV1 && string(c.HostConfig["CgroupnsMode"]) == `"host"` {
		c.HostConfig["CgroupnsMode"] = json.RawMessage(`""`)
	}
	body := map[string]any{}
	for k, v := range c.Config {
		body[k] = v
	}
	body["HostConfig"] = c.HostConfig
	b, err := json.Marshal(body)
	if err != nil {
		return "", authorization.Request{}, err
	}
	name := strings.TrimPrefix(c.Name, "/")
	return name, authorization.Request{
		RequestMethod:  "POST",
		RequestURI:     "/v1.41/containers/create?name=" + url.QueryEscape(name),
		RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestBody:    b,
	}, nil
}

func judge(ctx context.Context, g *guard.Guard, req authorization.Request, kind, id, name string) (finding, bool) {
	out := g.Decide(ctx, req)
	if out.Response.Allow {
		return finding{}, false
	}
	vs := out.Violations
	return finding{Kind: kind, ID: id, Name: name, RuleIDs: verdict.IDs(vs), Violations: vs}, true
}

func printAudit(w io.Writer, rep auditReport) {
	fmt.Fprintf(w, "%d containers and %d volumes checked; %d would be refused by the current policy.\n", rep.Containers, rep.Volumes, len(rep.Findings))
	if len(rep.Findings) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tID\tRULES")
	for _, f := range rep.Findings {
		id := f.ID
		if len(id) > 12 {
			id = id[:12]
		}
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Kind, f.Name, id, strings.Join(uniq(f.RuleIDs), ","))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "%s %s:\n", f.Kind, f.Name)
		for _, v := range f.Violations {
			fmt.Fprintf(w, "  %s\n", verdict.Message([]verdict.Violation{v}))
		}
	}
}

func uniq(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
