package check

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report for people: each refused request with its
// findings, each request that needs the daemon, and a summary line.
func WriteText(w io.Writer, rep Report) error {
	refused, needs := 0, 0
	for _, r := range rep.Results {
		if !r.Refused && len(r.NeedsDaemon) == 0 {
			continue
		}
		verdict := "refused"
		if r.Refused {
			refused++
		} else {
			needs++
			verdict = "allowed on its own; the verdict needs the daemon"
		}
		fmt.Fprintf(w, "%s: %s: %s\n", r.Source, r.Object, verdict)
		for _, f := range r.Findings {
			fmt.Fprintf(w, "  [%s] %s\n", f.RuleID, f.Message)
			if where := where(f.Path, f.Location); where != "" {
				fmt.Fprintf(w, "    at: %s\n", where)
			}
			if f.AllowBy != "" {
				fmt.Fprintf(w, "    allow by: %s\n", f.AllowBy)
			}
		}
		for _, n := range r.NeedsDaemon {
			fmt.Fprintf(w, "  needs the daemon: %s %s exists only there, and its state decides", n.Kind, n.Name)
			if where := where(n.Path, n.Location); where != "" {
				fmt.Fprintf(w, " (%s)", where)
			}
			fmt.Fprintln(w)
		}
	}
	noun := "requests"
	if len(rep.Results) == 1 {
		noun = "request"
	}
	_, err := fmt.Fprintf(w, "%d %s checked: %d refused, %d need the daemon, %d allowed.\n",
		len(rep.Results), noun, refused, needs, len(rep.Results)-refused-needs)
	return err
}

// where renders a field's origin: "HostConfig.Privileged, flag --privileged"
// or "HostConfig.Binds[0], compose.yaml:12 (services.ci.volumes[0])".
func where(path string, l Location) string {
	var parts []string
	if path != "" {
		parts = append(parts, path)
	}
	if len(l.Flags) > 0 {
		word := "flag"
		if len(l.Flags) > 1 {
			word = "flags"
		}
		parts = append(parts, word+" "+strings.Join(l.Flags, " or "))
	}
	if l.File != "" && l.Line > 0 {
		s := fmt.Sprintf("%s:%d", l.File, l.Line)
		if l.Key != "" {
			s += " (" + l.Key + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
