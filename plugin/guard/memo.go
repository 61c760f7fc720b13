package guard

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/apiversion"
	"github.com/dood-guard/dood-guard/plugin/enforce"
	"github.com/dood-guard/dood-guard/plugin/engine"
	"github.com/dood-guard/dood-guard/plugin/memo"
)

// The guard remembers outcomes per policy load (plugin/memo), keyed on
// every byte of the AuthZ request it reads. An outcome is remembered only
// when it follows from those bytes alone: the policy is deterministic, and neither the
// daemon's state nor the host's file system was consulted (see
// Guard.evaluate). Then the same request always gets the same answer, and
// giving it from memory is exact, not an approximation. (A request that is
// not remembered here may still have its decision remembered by the
// engine, keyed on what the policy reads of the input: plugin/engine.)

// memoSize bounds the outcomes remembered per policy load.
const memoSize = 4096

// loaded is a policy with its enforcement (the guard's mode and its data's
// per-rule modes), the API versions requests are read under, and the
// outcomes remembered for all three: swapping any of them drops those in the
// same step. A remembered outcome has the enforcement applied; since the
// enforcement is fixed for the load, giving it again is still exact. An
// unprefixed request's version is not in its bytes: a new daemon version
// is a new load.
type loaded struct {
	engine   *engine.Engine
	enf      enforce.Policy
	versions apiversion.Versions
	memo     *memo.Table[Outcome] // nil when the policy is not deterministic
}

func newLoaded(e *engine.Engine, enf enforce.Policy, v apiversion.Versions) *loaded {
	l := &loaded{engine: e, enf: enf, versions: v}
	if e != nil && e.Deterministic() {
		l.memo = memo.New[Outcome](memoSize)
	}
	return l
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// requestKey digests every field of the AuthZ request the guard reads, each
// length-prefixed so that no two requests share an encoding.
func requestKey(req *authorization.Request) memo.Key {
	bp := keyBufs.Get().(*[]byte)
	b := (*bp)[:0]
	for _, f := range [...]string{req.User, req.UserAuthNMethod, req.RequestMethod, req.RequestURI} {
		b = appendField(b, f)
	}
	var stack [16]string
	names := stack[:0]
	for k := range req.RequestHeaders {
		names = append(names, k)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendField(b, k)
		b = appendField(b, req.RequestHeaders[k])
	}
	b = binary.AppendUvarint(b, uint64(len(req.RequestBody)))
	b = append(b, req.RequestBody...)
	sum := sha256.Sum256(b)
	if cap(b) <= 1<<20 { // keep one body's worth, not the largest ever seen
		*bp = b
		keyBufs.Put(bp)
	}
	return sum
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
