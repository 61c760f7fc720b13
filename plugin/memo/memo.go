// Package memo is the bounded table the guard remembers answers in: by a
// digest of the AuthZ request (plugin/guard) and by a digest of what the
// policy reads of the input (plugin/engine).
//
// When full it starts over, which keeps the hot entries cheap to re-learn
// and memory flat under a flood of distinct keys. Keys are SHA-256 digests:
// a request crafted to collide with a remembered benign one would need a
// second preimage.
package memo

import (
	"crypto/sha256"
	"sync"
)

// Key is a SHA-256 digest.
type Key = [sha256.Size]byte

// Table maps keys to values, holding at most max entries. It is safe for
// concurrent use.
type Table[V any] struct {
	mu  sync.RWMutex
	m   map[Key]V
	max int
}

// New returns an empty table holding at most max entries.
func New[V any](max int) *Table[V] {
	return &Table[V]{m: make(map[Key]V, max), max: max}
}

// Get returns the value remembered for key.
func (t *Table[V]) Get(key Key) (V, bool) {
	t.mu.RLock()
	v, ok := t.m[key]
	t.mu.RUnlock()
	return v, ok
}

// Put remembers v for key, forgetting everything first when the table is
// full.
func (t *Table[V]) Put(key Key, v V) {
	t.mu.Lock()
	if len(t.m) >= t.max {
		clear(t.m)
	}
	t.m[key] = v
	t.mu.Unlock()
}

// Len is the number of entries remembered.
func (t *Table[V]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
