// Package jsonterm encodes typed values (moby's API structs) as the OPA
// values a policy reads: encoding/json writes the canonical text (moby's
// field names, whatever spelling the client used) and a strict reader turns
// that text straight into OPA terms, with no map[string]any in between.
// Anything the reader does not take goes the slow way (Plain, then
// ast.InterfaceToValue), which gives the same value; plugin/normalize's
// differential tests and fuzz target hold the two together.
package jsonterm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Builder makes terms for one input document. Terms are carved from slabs
// rather than allocated one by one; scratch stacks are reused through a
// pool (the terms themselves are never reused: they belong to the value).
type Builder struct {
	slab  []ast.Term
	lists []*ast.Term // element lists of arrays, carved like the terms
	items [][2]*ast.Term
	elems []*ast.Term
	seen  []uint64
	// alone marks the builder of a shared value, or of a private one
	// (Private): it reads its texts through, sharing nothing of them.
	alone bool
	// out holds the text encoding/json writes (enc writes into it): a
	// text whose value is shared is read from there and never copied.
	out bytes.Buffer
	enc *json.Encoder
}

var pool = sync.Pool{New: func() any { return new(Builder) }}

func (b *Builder) Release() {
	b.slab, b.lists = nil, nil // owned by the value now
	b.alone = false
	if b.out.Cap() > maxSharedText {
		b.out, b.enc = bytes.Buffer{}, nil // a large body's buffer is not kept
	}
	clear(b.items)
	clear(b.elems)
	b.items, b.elems = b.items[:0], b.elems[:0]
	pool.Put(b)
}

func (b *Builder) term(v ast.Value) *ast.Term {
	if len(b.slab) == 0 {
		b.slab = make([]ast.Term, 64)
	}
	t := &b.slab[0]
	b.slab = b.slab[1:]
	t.Value = v
	return t
}

// list copies elems into a slice of its own (appending to it never writes
// into another's).
func (b *Builder) list(elems []*ast.Term) []*ast.Term {
	n := len(elems)
	var l []*ast.Term
	if n > 32 {
		l = make([]*ast.Term, n)
	} else {
		if len(b.lists) < n {
			b.lists = make([]*ast.Term, max(n, 64))
		}
		l = b.lists[:n:n]
		b.lists = b.lists[n:]
	}
	copy(l, elems)
	return l
}

func (b *Builder) str(s string) *ast.Term {
	if s == "" {
		return ast.InternedEmptyString
	}
	return b.term(ast.String(s))
}

func (b *Builder) key(s string) *ast.Term {
	if t, ok := keyTerms[s]; ok {
		return t
	}
	return b.term(ast.String(s))
}

// Encode is Plain as an OPA value: encoding/json writes the canonical
// text, which is read into terms without an intermediate map. Should the
// text hold anything the fast reader does not take (a duplicate key from a
// custom marshaller), the value is built the slow way: Plain, then
// ast.InterfaceToValue.
func (b *Builder) Encode(v any) (*ast.Term, error) {
	raw, err := b.marshal(v)
	if err != nil {
		return nil, err
	}
	if t := b.sharedText(raw); t != nil {
		return t, nil
	}
	t, err := (&reader{b: b, s: string(raw)}).whole()
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, errSlowPath) {
		return nil, fmt.Errorf("re-decode body: %w", err)
	}
	nv, err := Plain(v)
	if err != nil {
		return nil, err
	}
	av, err := ast.InterfaceToValue(nv)
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	return ast.NewTerm(av), nil
}

// EncodeObject encodes v, which must encode as an object (an empty one if it
// does not), with extra keys set on it, replacing keys it already has.
func (b *Builder) EncodeObject(v any, extra ...[2]*ast.Term) (ast.Value, error) {
	raw, err := b.marshal(v)
	if err != nil {
		return nil, err
	}
	if t := b.sharedText(raw); t != nil {
		if obj, ok := t.Value.(ast.Object); ok {
			return b.withExtra(obj, extra), nil
		}
	}
	p := reader{b: b, s: string(raw)}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '{' {
		t, err := p.object(extra)
		if err == nil {
			p.skipSpace()
			if p.i == len(p.s) {
				return t.Value, nil
			}
			err = errSlowPath
		}
		if !errors.Is(err, errSlowPath) {
			return nil, fmt.Errorf("re-decode body: %w", err)
		}
	}
	// Not an object, or not for the fast reader: as Plain and ast.InterfaceToValue build it.
	nv, err := Plain(v)
	if err != nil {
		return nil, err
	}
	m, ok := nv.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	av, err := ast.InterfaceToValue(m)
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	return b.withExtra(av.(ast.Object), extra), nil
}

// withExtra is obj with the extra keys set, replacing keys it has.
func (b *Builder) withExtra(obj ast.Object, extra [][2]*ast.Term) ast.Object {
	start := len(b.items)
	obj.Foreach(func(k, v *ast.Term) {
		if !hasKey(extra, k) {
			b.items = append(b.items, ast.Item(k, v))
		}
	})
	b.items = append(b.items, extra...)
	out := ast.NewObject(b.items[start:]...) // copies the pairs
	clear(b.items[start:])
	b.items = b.items[:start]
	return out
}

func hasKey(items [][2]*ast.Term, k *ast.Term) bool {
	for _, it := range items {
		if it[0].Equal(k) {
			return true
		}
	}
	return false
}

// marshal is json.Marshal(v), written into the builder's buffer: valid
// until the next call. json.Encoder writes what json.Marshal returns, and
// a newline, which is cut.
func (b *Builder) marshal(v any) ([]byte, error) {
	if b.enc == nil {
		b.enc = json.NewEncoder(&b.out)
	}
	b.out.Reset()
	if err := b.enc.Encode(v); err != nil {
		return nil, fmt.Errorf("re-encode body: %w", err)
	}
	raw := b.out.Bytes()
	return raw[:len(raw)-1], nil
}

// text is raw as a string without a copy, to look it up: nothing keeps it
// (a value read from it reads a copy).
func text(raw []byte) string {
	return unsafe.String(unsafe.SliceData(raw), len(raw))
}

// Private makes b share nothing of what it encodes until Release: for
// bodies holding secrets (credentials, join tokens, unlock keys), which
// must not outlive the request in the shared values.
func (b *Builder) Private() { b.alone = true }

// sharedText is the shared value of raw, nil for a private builder.
func (b *Builder) sharedText(raw []byte) *ast.Term {
	if b.alone {
		return nil
	}
	return sharedText(text(raw))
}

// Get takes a Builder for one document; Release gives it back.
func Get() *Builder { return pool.Get().(*Builder) }

// Plain re-encodes a typed value into plain JSON values (maps, slices,
// strings, bools, json.Number), so the policy sees canonical field names
// whatever spelling the client used.
func Plain(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("re-encode body: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("re-decode body: %w", err)
	}
	return out, nil
}
