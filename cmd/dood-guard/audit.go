package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/apiversion"
	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/front"
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
	// DryRun are the rule IDs among RuleIDs in dry-run: the guard would
	// let this object be created, and log them as would_deny.
	DryRun []string `json:"dryrun_rule_ids,omitempty"`
}

type auditReport struct {
	// Daemon is what the daemon said in GET /version; requests are judged
	// under its API versions.
	Daemon *apiversion.Daemon `json:"daemon,omitempty"`
	// DryRunRules are the rules in dry-run (data.guard.enforcement): the
	// findings name them, and the guard would not refuse them yet.
	DryRunRules []string  `json:"dryrun_rules,omitempty"`
	Containers  int       `json:"containers"`
	Volumes     int       `json:"volumes"`
	Findings    []finding `json:"findings"`
	// Fronts are the socket fronts recorded on this host (dood-guard
	// proxy), whether still running or not.
	Fronts []front.Info `json:"fronts"`
	// Warnings name what the guard cannot see on this daemon (they do not
	// change the exit status).
	Warnings []string `json:"warnings"`
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
	frontsDir := fs.String("fronts-dir", front.DefaultDir, "where socket fronts (dood-guard proxy) record themselves")
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
	// Judge under the daemon's API versions; a daemon that cannot be asked
	// fails the listing below with its own error.
	if d, err := st.DaemonVersion(ctx); err == nil {
		g.SetDaemon(&d)
	}
	rep, err := runAudit(ctx, g, st, c.CgroupV1())
	if err != nil {
		fmt.Fprintf(stderr, "dood-guard audit: %v\n", err)
		return 1
	}
	if rep.Fronts, err = front.List(*frontsDir); err != nil {
		fmt.Fprintf(stderr, "dood-guard audit: reading the socket fronts: %v\n", err)
	}
	if rep.Fronts == nil {
		rep.Fronts = []front.Info{}
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
	rep := auditReport{Findings: []finding{}, DryRunRules: g.Enforcement().DryRunRules(), Warnings: []string{}}
	if d := g.Versions().Daemon; d != nil {
		rep.Daemon = d
		if d.GRPCUnguarded() {
			rep.Warnings = append(rep.Warnings, grpcWarning)
		}
	}
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
		req := authorization.Request{RequestMethod: "POST", RequestURI: "/volumes/create",
			RequestHeaders: map[string]string{"Content-Type": "application/json"}, RequestBody: body}
		if f, bad := judge(ctx, g, req, "volume", "", v.Name); bad {
			rep.Findings = append(rep.Findings, f)
		}
	}
	return rep, nil
}

// asCreate turns an inspect answer into the create request that would make
// that container: its Config with its HostConfig, as the CLI sends them,
// without a version prefix: the inspect answer was given in the daemon's
// newest version, and the create is read under the same one (the daemon's,
// once learned; otherwise the newest the guard knows).
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
		RequestURI:     "/containers/create?name=" + url.QueryEscape(name),
		RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestBody:    b,
	}, nil
}

func judge(ctx context.Context, g *guard.Guard, req authorization.Request, kind, id, name string) (finding, bool) {
	out := g.Decide(ctx, req)
	vs := append(append([]verdict.Violation(nil), out.Violations...), out.WouldDeny...)
	if len(vs) == 0 {
		return finding{}, false
	}
	f := finding{Kind: kind, ID: id, Name: name, RuleIDs: verdict.IDs(vs), Violations: vs}
	if len(out.WouldDeny) > 0 {
		f.DryRun = uniq(verdict.IDs(out.WouldDeny))
	}
	return f, true
}

func printAudit(w io.Writer, rep auditReport) {
	for _, m := range rep.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n\n", m)
	}
	printFronts(w, rep.Fronts)
	if len(rep.DryRunRules) > 0 {
		fmt.Fprintf(w, "DRY-RUN rules (data.guard.enforcement; listed, not yet refused): %s\n", strings.Join(rep.DryRunRules, ","))
	}
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
			dry := ""
			if slices.Contains(f.DryRun, v.ID) {
				dry = " (dry-run)"
			}
			fmt.Fprintf(w, "  %s%s\n", verdict.Message([]verdict.Violation{v}), dry)
		}
	}
}

// printFronts lists the socket fronts: a client of a front is guarded by
// it; a client of the daemon's own socket is not, unless a plugin runs.
func printFronts(w io.Writer, fronts []front.Info) {
	if len(fronts) == 0 {
		fmt.Fprintln(w, "No socket front (dood-guard proxy) is recorded on this host.")
		return
	}
	fmt.Fprintf(w, "%d socket front(s) recorded:\n", len(fronts))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tSTATE\tLISTENS\tDAEMON\tPOLICY")
	for _, f := range fronts {
		st := "stale"
		if f.Alive {
			st = "running"
		}
		on := strings.TrimSuffix(strings.Join([]string{f.Socket, f.TCP}, " "), " ")
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", f.PID, st, strings.TrimSpace(on), f.DockerHost, f.Policy)
	}
	tw.Flush()
	fmt.Fprintln(w)
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
