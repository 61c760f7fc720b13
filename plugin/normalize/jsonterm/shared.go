package jsonterm

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Bodies repeat: a CI system creates the same container (same image,
// command, workspace bind) under a new name job after job, and the
// HostConfig, NetworkingConfig and such encode to the same text each time.
// The value of a text seen twice is built once more, from a copy of the
// text and apart from any document, and shared from then on: OPA values
// are never modified once built (OPA shares its own interned ones the same
// way), so one value can sit in any number of documents.
//
// Equal texts give equal values (the reader is a function of the text), and
// a shared value is found by its whole text, compared byte for byte: what
// a request gets is the value its own text reads as, whatever other
// requests sent. The table is bounded in entries and bytes and emptied when
// full; a text is shared only on its second sighting, so one-off bodies
// cost a hash and nothing is built twice for them.
//
// Within a text not shared as a whole, each object or array of up to
// maxChildText bytes is looked up the same way (reader.shared): a new
// body's HostConfig differs in its binds, not in its LogConfig or its
// RestartPolicy.
const (
	minSharedText   = 8        // shorter texts are built as fast as found
	maxChildText    = 256      // longer objects and arrays in a text are built
	maxSharedText   = 64 << 10 // longer ones are not kept
	maxSharedBytes  = 512 << 10
	maxSharedValues = 1024
	seenSlots       = 4096 // texts seen once, by hash (direct-mapped)
)

type sharedValue struct {
	text string
	term *ast.Term
}

var shared = struct {
	mu     sync.RWMutex
	seed   maphash.Seed
	values map[uint64]sharedValue
	bytes  int
	seen   [seenSlots]uint64
}{seed: maphash.MakeSeed(), values: map[uint64]sharedValue{}}

// sharedText is the shared value of raw (a whole marshalled value, or one
// object or array in it), building and sharing it when raw was seen
// before; nil when raw is not shared (yet). raw is not kept.
func sharedText(raw string) *ast.Term {
	if len(raw) < minSharedText || len(raw) > maxSharedText || (raw[0] != '{' && raw[0] != '[') {
		return nil
	}
	h := maphash.String(shared.seed, raw)
	shared.mu.RLock()
	v, ok := shared.values[h]
	shared.mu.RUnlock()
	if ok {
		if v.text == raw {
			return v.term
		}
		return nil // another text with this hash is shared
	}
	slot := &shared.seen[h%seenSlots]
	shared.mu.Lock()
	again := *slot == h
	*slot = h
	shared.mu.Unlock()
	if !again {
		return nil
	}
	// Seen before: build it apart from any document (its own builder,
	// its strings slices of its own copy of the text) and share it.
	text := strings.Clone(raw)
	t, err := (&reader{b: &Builder{alone: true}, s: text}).whole()
	if err != nil {
		return nil // the slow path decides, every time
	}
	input.Freeze(t.Value) // sorted before it is shared
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if v, ok := shared.values[h]; ok {
		if v.text == text {
			return v.term // another request shared it first
		}
		return t
	}
	if len(shared.values) >= maxSharedValues || shared.bytes+len(text) > maxSharedBytes {
		clear(shared.values)
		shared.bytes = 0
	}
	shared.values[h] = sharedValue{text: text, term: t}
	shared.bytes += len(text)
	return t
}
