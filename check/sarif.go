package check

import (
	"encoding/json"
	"io"
	"sort"
)

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the
// subset code-scanning services read: one run, a rule per rule ID seen, a
// result per finding (level error) and per object that needs the daemon
// (level note), located at the compose file and line when there is one.
// The output is validated against the official schema in sarif_test.go.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string        `json:"id"`
	Name             string        `json:"name,omitempty"`
	ShortDescription *sarifMessage `json:"shortDescription,omitempty"`
	Help             *sarifMessage `json:"help,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// needsDaemonRule is the SARIF rule of results that need the daemon.
const needsDaemonRule = "DG-CHECK-STATE"

// WriteSARIF writes the report as a SARIF 2.1.0 log. version is the tool's.
func WriteSARIF(w io.Writer, rep Report, version string) error {
	rules := map[string]sarifRule{}
	run := sarifRun{Results: []sarifResult{}}
	for _, r := range rep.Results {
		for _, f := range r.Findings {
			if _, ok := rules[f.RuleID]; !ok {
				rule := sarifRule{ID: f.RuleID, Name: f.Title}
				if f.Title != "" {
					rule.ShortDescription = &sarifMessage{Text: f.Title}
				}
				if f.AllowBy != "" {
					rule.Help = &sarifMessage{Text: "Allow a legitimate use: " + f.AllowBy}
				}
				rules[f.RuleID] = rule
			}
			msg := r.Object + ": " + f.Message
			if wh := where(f.Path, Location{Flags: f.Location.Flags}); wh != "" {
				msg += " (" + wh + ")"
			}
			run.Results = append(run.Results, sarifResult{
				RuleID: f.RuleID, Level: "error", Message: sarifMessage{Text: msg},
				Locations:  locations(r, f.Location),
				Properties: map[string]any{"path": f.Path, "request": r.Method + " " + r.URI},
			})
		}
		for _, n := range r.NeedsDaemon {
			if _, ok := rules[needsDaemonRule]; !ok {
				rules[needsDaemonRule] = sarifRule{ID: needsDaemonRule, Name: "NeedsTheDaemon",
					ShortDescription: &sarifMessage{Text: "The verdict depends on objects that exist only on the daemon"}}
			}
			run.Results = append(run.Results, sarifResult{
				RuleID: needsDaemonRule, Level: "note",
				Message:   sarifMessage{Text: r.Object + ": " + n.Kind + " " + n.Name + " exists only on the daemon, and its state decides (" + n.Path + ")"},
				Locations: locations(r, n.Location),
			})
		}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	run.Tool.Driver = sarifDriver{Name: "dood-guard", InformationURI: "https://github.com/dood-guard/dood-guard", Version: version, Rules: []sarifRule{}}
	for _, id := range ids {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rules[id])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

func locations(r Result, l Location) []sarifLocation {
	loc := sarifLocation{LogicalLocations: []sarifLogical{{Name: r.Object, FullyQualifiedName: r.Source + ": " + r.Object, Kind: "object"}}}
	if l.File != "" {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: l.File}}
		if l.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line, StartColumn: l.Column}
		}
	}
	return []sarifLocation{loc}
}
