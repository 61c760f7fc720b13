package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"github.com/dood-guard/dood-guard/plugin/memo"
	"github.com/open-policy-agent/opa/v1/ast"
)

// The engine remembers decisions of a deterministic policy keyed on a
// SHA-256 digest of the endpoint and of the input's values at the paths
// the policy can read for it (reads.go). Two inputs with the same values
// there are indistinguishable to the policy, so they get the same decision:
// giving it from memory is exact. The input holds everything a decision
// rests on — the daemon's state and the host's resolution of bind sources
// included — so this holds for requests the guard cannot remember by their
// bytes.

// decisionMemoSize bounds the decisions remembered per policy load.
const decisionMemoSize = 4096

var digestBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// readKey digests what the policy can read of in; ok is false when the
// policy reads the input whole for its endpoint (nothing to key on).
func (r *inputReads) readKey(in ast.Value) (key memo.Key, ok bool) {
	obj, isObj := in.(ast.Object)
	if !isObj {
		return key, false
	}
	// The endpoint selects the paths; it is always part of the key.
	endpoint, given := "", false
	if t := obj.Get(endpointKey); t != nil {
		s, isStr := t.Value.(ast.String)
		if !isStr {
			return key, false
		}
		endpoint, given = string(s), true
	}
	paths := r.forEndpoint(endpoint)
	if paths.whole {
		return key, false
	}
	bp := digestBufs.Get().(*[]byte)
	b := (*bp)[:0]
	if given {
		b = appendValue(b, ast.String(endpoint))
	} else {
		b = append(b, tagAbsent)
	}
	for _, p := range paths.paths {
		v, found := lookup(in, p)
		if !found {
			b = append(b, tagAbsent)
			continue
		}
		b = appendValue(b, v)
	}
	key = sha256.Sum256(b)
	if cap(b) <= 1<<20 {
		*bp = b
		digestBufs.Put(bp)
	}
	return key, true
}

var endpointKey = ast.StringTerm("endpoint")

// lookup finds the value at a path of string keys as a ref does: an
// object's member, a set's element, nothing in anything else.
func lookup(v ast.Value, path ast.Ref) (ast.Value, bool) {
	for _, k := range path[1:] {
		switch x := v.(type) {
		case ast.Object:
			t := x.Get(k)
			if t == nil {
				return nil, false
			}
			v = t.Value
		case ast.Set:
			if !x.Contains(k) {
				return nil, false
			}
			v = k.Value
		default:
			return nil, false
		}
	}
	return v, true
}

// Type tags of the canonical encoding: each value is its tag, then its
// content, lengths first, so that no two values share an encoding.
const (
	tagAbsent byte = iota
	tagNull
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagArray
	tagObject
	tagSet
	tagOther
)

// appendValue appends the canonical encoding of v: objects and sets in
// OPA's sorted order.
func appendValue(b []byte, v ast.Value) []byte {
	switch x := v.(type) {
	case ast.Null:
		return append(b, tagNull)
	case ast.Boolean:
		if x {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case ast.Number:
		return appendBytes(append(b, tagNumber), string(x))
	case ast.String:
		return appendBytes(append(b, tagString), string(x))
	case *ast.Array:
		b = binary.AppendUvarint(append(b, tagArray), uint64(x.Len()))
		for i := range x.Len() {
			b = appendValue(b, x.Elem(i).Value)
		}
		return b
	case ast.Object:
		b = binary.AppendUvarint(append(b, tagObject), uint64(x.Len()))
		x.Foreach(func(k, v *ast.Term) {
			b = appendValue(appendValue(b, k.Value), v.Value)
		})
		return b
	case ast.Set:
		b = binary.AppendUvarint(append(b, tagSet), uint64(x.Len()))
		x.Foreach(func(e *ast.Term) { b = appendValue(b, e.Value) })
		return b
	}
	// Not a JSON value (the input never holds one): its text.
	return appendBytes(append(b, tagOther), v.String())
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
