package input_test

import (
	"bytes"
	"encoding/json"
	"github.com/dood-guard/dood-guard/internal/astequal"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestValueOfEveryGoldenRequest: for the document of every golden request
// (plugin/guard/testdata), Value gives what encoding/json's text of the
// same document gives, read back by OPA (the body, already an OPA value,
// taken as it is), converted twice in a row (the second conversion shares
// what the first left behind) and on several documents at once.
func TestValueOfEveryGoldenRequest(t *testing.T) {
	files, err := goldenhttp.Files("../guard/testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".http"), func(t *testing.T) {
			r, err := goldenhttp.Read(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := route.Parse(r.RequestMethod, r.RequestURI)
			if err != nil {
				t.Skipf("not routed: %v", err) // refused before any document exists
			}
			req := normalize.Request{Phase: "request", Method: r.RequestMethod, Path: m.Path, Endpoint: m.Endpoint,
				Params: m.Params, Query: m.Query, APIVersion: "1.41", APIVersionGiven: true, APIVersionSupported: true}
			var body any
			if len(r.RequestBody) > 0 && decode.Has(m.Endpoint) {
				if body, err = decode.Body(m.Endpoint, r.RequestBody); err != nil {
					body = nil // refused before normalising; the document without a body still converts
				}
			}
			doc, err := normalize.Input(req, body, normalize.Options{})
			if err != nil {
				t.Skipf("not normalised: %v", err)
			}
			want := viaJSON(t, doc)
			for i := range 2 {
				got, err := input.Value(doc)
				if err != nil {
					t.Fatal(err)
				}
				if !astequal.Strict(want, got) {
					t.Fatalf("conversion %d:\n got %v\nwant %v", i, got, want)
				}
			}
		})
	}
}

// viaJSON converts as the engine did before the document had types:
// encoding/json's text read back as plain values, then OPA's own
// conversion; the body, an OPA value already, goes through ast.JSON.
func viaJSON(t *testing.T, doc *input.Document) ast.Value {
	t.Helper()
	d := *doc
	if v, ok := d.Body.(ast.Value); ok {
		plain, err := ast.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		d.Body = plain
	}
	raw, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	av, err := ast.InterfaceToValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return av
}
