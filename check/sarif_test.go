package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/check"
	"github.com/dood-guard/dood-guard/check/compose"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema compiles the official SARIF 2.1.0 schema (testdata/README.md
// says where it comes from).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// The SARIF log of refusals from a command line and a compose project, and
// of a run that refused nothing, validates against the 2.1.0 schema.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchema(t)
	c := newChecker(t)
	ctx := context.Background()
	cli, err := check.FromCommandLine(ctx, strings.Fields("docker run --privileged -v /var/run/docker.sock:/var/run/docker.sock busybox"), "1.47", check.Location{File: ".gitlab-ci.yml", Line: 12})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := compose.Items(ctx, []string{"testdata/compose/ci-socket/compose.yaml"}, compose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, items := range map[string][]check.Item{"refusals": append(cli, proj...), "nothing refused": nil} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := check.WriteSARIF(&buf, c.Judge(ctx, items), "test"); err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(doc); err != nil {
				t.Errorf("SARIF does not validate: %v\n%s", err, buf.String())
			}
		})
	}
}

// The schema is not vacuous: a log missing a result's message fails.
func TestSARIFSchemaRejectsInvalidLog(t *testing.T) {
	sch := sarifSchema(t)
	var doc any
	bad := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"X","level":"loud"}]}]}`
	if err := json.Unmarshal([]byte(bad), &doc); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err == nil {
		t.Error("an invalid SARIF log validated")
	}
}
