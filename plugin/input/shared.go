package input

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// maxSharedMembers is the most members a struct type may have for its
// objects to be shared.
const maxSharedMembers = 8

// maxShared bounds how many objects are shared. The members of a shared
// object are shared terms, which come from a fixed vocabulary (interned),
// so there are few in practice; the bound keeps it so whatever requests
// come.
const maxShared = 4096

// sharedKey identifies a shared object: its struct type's plan and its
// members' terms, in plan order (nil for an absent member); or a shared
// array (arrayPlan) and its elements. Every member term is shared, so
// equal keys mean equal values.
type sharedKey struct {
	plan  *plan
	terms [maxSharedMembers]*ast.Term
}

// sharedObjects holds the objects of structs whose members are all shared
// terms: built once, then handed to every document that has them. OPA
// values are never modified once built (OPA shares its own interned ones
// the same way), so one object can sit in any number of documents.
// arrayPlan marks the key of an array: elements, not members.
var arrayPlan = new(plan)

var sharedObjects = sharedTable{m: map[sharedKey]*ast.Term{}}

type sharedTable struct {
	mu sync.RWMutex
	m  map[sharedKey]*ast.Term
}

func (s *sharedTable) get(k sharedKey) *ast.Term {
	s.mu.RLock()
	t := s.m[k]
	s.mu.RUnlock()
	return t
}

// put shares t under k, unless another conversion did first (then that
// term) or the table is full (then t, unshared but equal).
func (s *sharedTable) put(k sharedKey, t *ast.Term) *ast.Term {
	Freeze(t.Value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[k]; ok {
		return old
	}
	if len(s.m) < maxShared {
		s.m[k] = t
	}
	return t
}

// Freeze makes v safe to share between documents (here and in
// plugin/normalize/jsonterm) by sorting the keys of every object in it now.
// OPA sorts an object's keys lazily, once, in place (under a sync.Once, but
// Copy reads them without it): a value shared between documents is sorted
// before it is shared, and from then on only ever read, whatever
// evaluations run at once.
func Freeze(v ast.Value) {
	switch x := v.(type) {
	case ast.Object:
		x.Foreach(func(_, v *ast.Term) { Freeze(v.Value) })
	case *ast.Array:
		x.Foreach(func(t *ast.Term) { Freeze(t.Value) })
	}
}
