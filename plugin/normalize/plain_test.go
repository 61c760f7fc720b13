package normalize

import (
	"encoding/json"
	"fmt"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/open-policy-agent/opa/v1/ast"
)

// plainInput is Input as the policy sees it: the document converted by
// input.Value and read back as plain values (integers as int), so tests
// state the shape Rego reads.
func plainInput(req Request, body any, opts Options) (map[string]any, error) {
	doc, err := Input(req, body, opts)
	if err != nil {
		return nil, err
	}
	v, err := plainValue(doc)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func plainValue(x any) (any, error) {
	v, err := input.Value(x)
	if err != nil {
		return nil, err
	}
	j, err := ast.JSON(v)
	if err != nil {
		return nil, err
	}
	return ints(j), nil
}

func ints(x any) any {
	switch x := x.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		panic(fmt.Sprintf("non-integer number %s", x))
	case map[string]any:
		for k, v := range x {
			x[k] = ints(v)
		}
	case []any:
		for i, v := range x {
			x[i] = ints(v)
		}
	}
	return x
}
