package jsonterm

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func reference(t *testing.T, v any) ast.Value {
	t.Helper()
	p, err := Plain(v)
	if err != nil {
		t.Fatal(err)
	}
	av, err := ast.InterfaceToValue(p)
	if err != nil {
		t.Fatal(err)
	}
	return av
}

// dupKeys marshals with a key twice, as a custom marshaller could: a map
// keeps the last value, so the value must too (the slow path).
type dupKeys struct{}

func (dupKeys) MarshalJSON() ([]byte, error) { return []byte(`{"a":1,"a":2}`), nil }

type sample struct {
	S   string
	N   int64
	F   float64
	B   bool
	P   *int
	L   []string
	M   map[string]any
	Raw dupKeys
}

func TestEncodeIsThePlainRoundTrip(t *testing.T) {
	cases := map[string]any{
		"escapes and numbers": sample{S: "\u2028\"\\<&>é\x01", N: -1 << 62, F: 1e-7, L: []string{}, M: map[string]any{"x": []any{nil, true}}},
		"nulls":               sample{},
		"duplicate keys":      dupKeys{},
		"array":               []any{1, "a", map[string]any{}},
		"string":              "x",
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			b := Get()
			defer b.Release()
			got, err := b.Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(t, v); want.Compare(got.Value) != 0 {
				t.Errorf("Encode:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestEncodeObjectSetsExtraKeys(t *testing.T) {
	b := Get()
	defer b.Release()
	got, err := b.EncodeObject(map[string]any{"Image": "x", "HostConfig": "client's"}, ast.Item(Key("HostConfig"), ast.BooleanTerm(true)))
	if err != nil {
		t.Fatal(err)
	}
	want := ast.MustParseTerm(`{"Image": "x", "HostConfig": true}`).Value
	if want.Compare(got) != 0 {
		t.Errorf("got %v, want %v", got, want)
	}
	// Not an object: an empty one, with the extra keys.
	got, err = b.EncodeObject(nil, ast.Item(Key("HostConfig"), ast.NullTerm()))
	if err != nil {
		t.Fatal(err)
	}
	if want := ast.MustParseTerm(`{"HostConfig": null}`).Value; want.Compare(got) != 0 {
		t.Errorf("nil: got %v, want %v", got, want)
	}
}
